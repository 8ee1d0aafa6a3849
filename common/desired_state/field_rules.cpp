#include "common/desired_state/field_rules.hpp"

#include <algorithm>
#include <cctype>

#include "common/field_checks.hpp"
#include "common/host_pattern.hpp"
#include "common/reserved_names.hpp"

// Validation rules are documented for operators in docs/desired-state.md; keep the two in step.

namespace pydio::common::desired_state {

namespace {

constexpr int kMaxPort = 65535;
constexpr std::int64_t kMaxReplica = 16;
constexpr std::size_t kMaxHostPatternLength = 255;  // MariaDB's mysql.user Host column

std::string lower_case(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// `value` (case-insensitively) among `reserved`, as "<what> \"<reserved>\"" problem.
template <typename List>
std::optional<std::string> reserved_problem(const std::string& value, const List& reserved,
                                            const char* what) {
  const std::string lowered = lower_case(value);
  for (const char* name : reserved) {
    if (lowered == name) {
      return quote_value(value) + " is reserved (" + what + "); choose another name";
    }
  }
  return std::nullopt;
}

bool has_control_character(const std::string& text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return std::iscntrl(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

std::optional<std::string> range_problem(std::int64_t value, std::int64_t low, std::int64_t high) {
  if (value >= low && value <= high) return std::nullopt;
  return "must be between " + std::to_string(low) + " and " + std::to_string(high) + ", got " +
         std::to_string(value);
}

void check_int(ErrorLines& errors, const std::string& field, std::int64_t value, std::int64_t low,
               std::int64_t high) {
  if (auto problem = range_problem(value, low, high)) add_error(errors, field, *problem);
}

bool is_name_ok(ErrorLines& errors, const std::string& path, const std::string& value,
                std::size_t max_length) {
  return accept(errors, path, value,
                [&](const std::string& v) { return check_name(v, max_length); });
}

bool is_path_ok(ErrorLines& errors, const std::string& path, const std::string& value) {
  return accept(errors, path, value, check_confined_path);
}

std::optional<std::string> php_literal_problem(const std::string& value) {
  for (const char c : value) {
    if (c == '"' || c == '\\' || c == '$' || static_cast<unsigned char>(c) < 0x20) {
      return "is written into Pydio's PHP files: no \", \\, $ or control characters, got " +
             quote_value(value);
    }
  }
  return std::nullopt;
}

std::optional<std::string> pydio_path_problem(const std::string& value) {
  if (auto problem = check_confined_path(value)) return problem;
  return php_literal_problem(value);
}

std::optional<std::string> api_version_problem(const std::string& value) {
  if (value == kApiVersion) return std::nullopt;
  return std::string("must be \"") + kApiVersion + "\", got " + quote_value(value);
}

std::optional<std::string> generation_problem(std::int64_t value) {
  if (value < 1) return "must be at least 1";
  if (value > kMaxGeneration) {
    return "must be at most " + std::to_string(kMaxGeneration) + " (2^53-1)";
  }
  return std::nullopt;
}

std::optional<std::string> repeated_role_problem(Role role, const std::vector<Role>& earlier) {
  if (std::find(earlier.begin(), earlier.end(), role) == earlier.end()) return std::nullopt;
  return "role " + quote_value(role_name(role)) + " listed twice";
}

std::optional<std::string> device_problem(const std::string& value) {
  if (auto problem = check_absolute_path(value)) return problem;
  if (value.rfind("/dev/", 0) == 0) return std::nullopt;
  return "must be a block device under /dev, got " + quote_value(value);
}

std::optional<std::string> filesystem_problem(const std::string& value) {
  if (value == "xfs") return std::nullopt;
  return "only \"xfs\" is supported, got " + quote_value(value);
}

std::optional<std::string> volume_name_problem(const std::string& value) {
  if (auto problem = check_name(value, kMaxNameLength)) return problem;
  // gluster's CLI accepts only letters, digits, "-" and "_" in volume names, and "all"
  // means every volume in `gluster volume set all`.
  if (value.find('.') != std::string::npos) return "gluster volume names may not contain \".\"";
  if (value == "all") return "\"all\" is reserved by gluster";
  return std::nullopt;
}

std::optional<std::string> replica_problem(std::int64_t value) {
  if (value < 1) return "must be at least 1";
  if (value > kMaxReplica) return "must be at most 16";
  return std::nullopt;
}

std::optional<std::string> arbiter_problem(std::int64_t value) {
  if (value == 0 || value == 1) return std::nullopt;
  return "must be 0 or 1";
}

std::optional<std::string> arbiter_replica_problem(int arbiter, int replica) {
  if (arbiter != 1 || replica == 3 || replica == 0) return std::nullopt;
  return "arbiter 1 needs replica 3, got replica " + std::to_string(replica);
}

std::optional<std::string> option_name_problem(const std::string& key) {
  if (auto problem = check_name(key, kMaxOptionNameLength)) {
    return "option name " + quote_value(key) + " " + *problem;
  }
  // The agent sets auth.allow to exactly the cluster's nodes (docs/security.md, "Gluster locked
  // down"); an operator's value would fight it or open the volumes to other hosts.
  if (key == "auth.allow" || key == "auth.reject") {
    return "option " + quote_value(key) +
           " is managed by the agent (auth.allow admits exactly the storage and compute nodes' "
           "addresses); remove it";
  }
  // Gluster TLS is all or nothing across the cluster (certificates, secure-access, both volume
  // sides); one option set by hand would lock clients out or turn encryption off.
  if (key == "client.ssl" || key == "server.ssl" || key == "auth.ssl-allow" ||
      key.rfind("ssl.", 0) == 0) {
    return "option " + quote_value(key) +
           " is managed by the agent (gluster TLS is chosen with security.glusterTls at init); "
           "remove it";
  }
  return std::nullopt;
}

std::optional<std::string> option_value_problem(const std::string& value) {
  if (value.empty() || has_control_character(value)) {
    return "must be a non-empty value without control characters";
  }
  // The value is an argument of the root gluster CLI; "--log-file=..." there would be read
  // as an option (gluster_argv() also ends the options with "--").
  if (value.front() == '-') return "must not start with \"-\", got " + quote_value(value);
  return std::nullopt;
}

std::optional<std::string> alias_problem(const std::string& alias) {
  if (alias.empty() || alias.front() != '/') {
    return "must start with \"/\", got " + quote_value(alias);
  }
  const std::string problem =
      "must be \"/\" followed by path segments of [A-Za-z0-9._~-], without \"..\" or a "
      "trailing \"/\" (e.g. \"/pydio\"), got " +
      quote_value(alias);
  if (alias == "/") return problem;
  std::string segment;
  for (std::size_t i = 1; i <= alias.size(); ++i) {
    if (i == alias.size() || alias[i] == '/') {
      if (segment.empty() || segment == "." || segment == "..") return problem;
      segment.clear();
      continue;
    }
    const char c = alias[i];
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '_' && c != '~' &&
        c != '-') {
      return problem;
    }
    segment += c;
  }
  return std::nullopt;
}

std::optional<std::string> health_file_problem(const std::string& value) {
  if (value != "." && value != ".." && !check_name(value)) return std::nullopt;
  return "must be a plain file name ([A-Za-z0-9._-]+, not \".\" or \"..\", not starting with "
         "\"-\"), got " +
         quote_value(value);
}

UrlHost url_host(const std::string& url) {
  const std::string problem =
      "must be an http:// or https:// URL with a host name or IPv4 address, e.g. "
      "https://files.example.com, got " +
      quote_value(url);
  std::string rest;
  for (const char* scheme : {"http://", "https://"}) {
    if (url.rfind(scheme, 0) == 0) rest = url.substr(std::string(scheme).size());
  }
  if (rest.empty()) return {"", problem};
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isspace(u) != 0 || std::iscntrl(u) != 0 || c == '"' || c == '\'' || c == '\\' ||
        c == '<' || c == '>') {
      return {"", problem};
    }
  }
  const std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string::npos) return {"", problem};
  std::string host = authority;
  const auto colon = authority.find(':');
  if (colon != std::string::npos) {
    host = authority.substr(0, colon);
    const std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
        std::stoi(port) > kMaxPort) {
      return {"", problem};
    }
  }
  if (check_host(host)) return {"", problem};
  return {host, std::nullopt};
}

std::optional<std::string> port_problem(std::int64_t value) {
  if (value >= 1 && value <= kMaxPort) return std::nullopt;
  return "must be between 1 and 65535";
}

std::optional<std::string> database_name_problem(const std::string& value) {
  if (auto problem = check_name(value, kMaxNameLength)) return problem;
  return reserved_problem(value, kReservedSchemas, "a MariaDB system schema or the agents' own");
}

std::optional<std::string> database_user_problem(const std::string& value) {
  if (auto problem = check_name(value, kMaxDatabaseUserLength)) return problem;
  return reserved_problem(value, kReservedDatabaseUsers,
                          "a MariaDB system account or the agents' own");
}

std::optional<std::string> web_account_problem(const std::string& value, const char* what) {
  if (auto problem = check_posix_name(value, what)) return problem;
  return reserved_problem(value, kReservedWebAccounts,
                          "a system account; the web user must be an unprivileged one such as "
                          "www-data");
}

std::optional<std::string> allowed_host_problem(const std::string& host,
                                                const std::vector<std::string>& earlier) {
  if (host.empty() || host.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789._%-") != std::string::npos) {
    return "must match [A-Za-z0-9._%-]+, got " + quote_value(host);
  }
  if (host.front() == '-') return "must not start with \"-\", got " + quote_value(host);
  if (host.size() > kMaxHostPatternLength) return "must be at most 255 characters";
  if (matches_every_ipv4(host)) {
    return quote_value(host) +
           " would allow every host; list the nodes' addresses or a subnet pattern like "
           "198.18.0.%";
  }
  if (std::find(earlier.begin(), earlier.end(), host) != earlier.end()) {
    return quote_value(host) + " listed twice";
  }
  return std::nullopt;
}

}  // namespace pydio::common::desired_state
