#include "common/field_checks.hpp"

#include <cctype>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/reserved_names.hpp"

namespace pydio::common {

std::string quote_value(const std::string& value) {
  return nlohmann::json(value).dump(-1, ' ', /*ensure_ascii=*/false,
                                    nlohmann::json::error_handler_t::replace);
}

namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
}

std::vector<std::string> split(const std::string& value, char separator) {
  std::vector<std::string> parts;
  std::string part;
  for (char c : value) {
    if (c == separator) {
      parts.push_back(part);
      part.clear();
    } else {
      part += c;
    }
  }
  parts.push_back(part);
  return parts;
}

bool all_digits(const std::string& value) {
  if (value.empty()) return false;
  for (char c : value) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> check_name(const std::string& value, std::size_t max_length) {
  if (value.empty()) return "must not be empty";
  for (char c : value) {
    if (!is_name_char(c)) return "must match [A-Za-z0-9_.-]+, got " + quote_value(value);
  }
  if (value.front() == '-') return "must not start with \"-\", got " + quote_value(value);
  if (value.size() > max_length) {
    return "must be at most " + std::to_string(max_length) + " characters";
  }
  return std::nullopt;
}

std::optional<std::string> check_absolute_path(const std::string& value, RootPath root) {
  if (value.empty() || value.front() != '/') {
    return "must be an absolute path without \"..\", got " + quote_value(value);
  }
  for (const auto& component : split(value, '/')) {
    if (component == "..")
      return "must be an absolute path without \"..\", got " + quote_value(value);
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isspace(u) != 0 || std::iscntrl(u) != 0 || c == '"' || c == '\'' || c == '\\') {
      return "must not contain whitespace, quotes, backslashes or control characters, got " +
             quote_value(value);
    }
  }
  if (value == "/") {
    if (root == RootPath::kRefused) return std::string("must not be \"/\"");
    return std::nullopt;
  }
  const auto components = split(value.substr(1), '/');
  for (const auto& component : components) {
    if (component.empty() || component == ".") {
      return "must be normalized (no \"//\", no \".\" component, no trailing \"/\"), got " +
             quote_value(value);
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_confined_path(const std::string& value) {
  if (auto problem = check_absolute_path(value, RootPath::kRefused)) return problem;
  for (const char* protected_dir : kProtectedDirectories) {
    if (path_is_within(value, protected_dir)) {
      return std::string("must not be under ") + protected_dir +
             " (a system or agent directory), got " + quote_value(value);
    }
    if (path_is_within(protected_dir, value)) {
      return std::string("must not contain ") + protected_dir +
             " (a system or agent directory), got " + quote_value(value);
    }
  }
  return std::nullopt;
}

bool is_ipv4(const std::string& value) {
  const auto parts = split(value, '.');
  if (parts.size() != 4) return false;
  for (const auto& part : parts) {
    if (!all_digits(part) || part.size() > 3) return false;
    if (part.size() > 1 && part.front() == '0') return false;
    if (std::stoi(part) > 255) return false;
  }
  return true;
}

std::optional<std::string> check_node_ipv4(const std::string& value) {
  if (!is_ipv4(value)) return "must be an IPv4 address like 198.18.0.1, got " + quote_value(value);
  const int first = std::stoi(split(value, '.').front());
  if (value == "0.0.0.0") return std::string("0.0.0.0 is not an address peers can reach");
  if (value == "255.255.255.255") return value + " is the broadcast address, not a node address";
  if (first >= 224 && first <= 239) return value + " is a multicast address, not a node address";
  return std::nullopt;
}

std::optional<std::string> check_host(const std::string& value) {
  if (is_ipv4(value)) return std::nullopt;
  const std::string problem = "must be a host name or an IPv4 address, got " + quote_value(value);
  if (value.empty() || value.size() > 253) return problem;
  bool numeric_only = true;
  for (const auto& label : split(value, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return problem;
    }
    for (char c : label) {
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-') return problem;
      if (std::isdigit(static_cast<unsigned char>(c)) == 0) numeric_only = false;
    }
  }
  // "1.2.3" or "300.1.1.1" are neither valid addresses nor plausible names.
  if (numeric_only) return problem;
  return std::nullopt;
}

std::optional<std::string> check_posix_name(const std::string& value, const char* what) {
  const std::string problem = std::string("must be a valid POSIX ") + what +
                              " name ([A-Za-z_][A-Za-z0-9_.-]*, at most 32 characters), got " +
                              quote_value(value);
  if (value.empty() || value.size() > 32) return problem;
  const char first = value.front();
  if (std::isalpha(static_cast<unsigned char>(first)) == 0 && first != '_') return problem;
  for (char c : value) {
    if (!is_name_char(c)) return problem;
  }
  return std::nullopt;
}

bool path_is_within(const std::string& path, const std::string& base) {
  if (path == base) return true;
  if (base == "/") return !path.empty() && path.front() == '/';
  return path.size() > base.size() && path.compare(0, base.size(), base) == 0 &&
         path[base.size()] == '/';
}

}  // namespace pydio::common
