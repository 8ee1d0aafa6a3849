#include "common/local_config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/field_checks.hpp"
#include "common/file_ops.hpp"
#include "common/strict_json.hpp"

// Field reference for operators: docs/desired-state.md ("Local configuration").

namespace pydio::common {

using nlohmann::json;

namespace {

constexpr int kMinPassIntervalSeconds = 1;
constexpr int kMaxPassIntervalSeconds = 3600;
// Below 3 s a lease cannot survive one slow database round trip; above 5 min a dead leader
// blocks leader-only work for too long.
constexpr int kMinLeaseSeconds = 3;
constexpr int kMaxLeaseSeconds = 300;
constexpr mode_t kSecretsMode = 0600;

Expected<std::string> read_whole_file(int fd, const std::string& path) {
  std::string text;
  char buffer[8192];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      return Status::error("read " + path + ": " + errno_text(errno));
    }
    text.append(buffer, static_cast<std::size_t>(got));
  }
  return text;
}

Expected<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error("open " + path + ": " + errno_text(errno));
  auto text = read_whole_file(fd, path);
  ::close(fd);
  return text;
}

// One Status listing every problem, one "<file>: <json path>: <what>" line each.
Status file_errors(const std::string& prefix, const ErrorLines& errors) {
  std::string message;
  for (const auto& line : errors) {
    if (!message.empty()) message += "\n";
    message += prefix + ": " + line;
  }
  return Status::error(message);
}

// "host:port" with an IPv4 host (0.0.0.0 = every address) and a port in 1..65535.
std::optional<std::string> check_listen(const std::string& value) {
  const std::string problem =
      "must be \"<IPv4 address>:<port>\", e.g. 0.0.0.0:8480, got " + quote_value(value);
  const auto colon = value.rfind(':');
  if (colon == std::string::npos) return problem;
  const std::string host = value.substr(0, colon);
  const std::string port = value.substr(colon + 1);
  if (!is_ipv4(host) || port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return problem;
  }
  const int number = std::stoi(port);
  if (number < 1 || number > 65535) return problem;
  return std::nullopt;
}

void read_path(ObjectReader& reader, const char* key, std::string& target, ErrorLines& errors) {
  if (auto value = reader.string(key, Presence::kOptional)) {
    if (auto problem = check_absolute_path(*value)) {
      add_error(errors, reader.path_of(key), *problem);
    } else {
      target = *value;
    }
  }
}

void read_seconds(ObjectReader& reader, const char* key, int min, int max, int& target,
                  ErrorLines& errors) {
  if (auto value = reader.integer(key, Presence::kOptional)) {
    if (*value < min || *value > max) {
      add_error(errors, reader.path_of(key),
                "must be between " + std::to_string(min) + " and " + std::to_string(max));
    } else {
      target = static_cast<int>(*value);
    }
  }
}

LocalConfig read_local_config(const json& document, ErrorLines& errors) {
  LocalConfig config;
  ObjectReader reader(document, "", errors);
  if (auto name = reader.string("nodeName", Presence::kRequired)) {
    if (auto problem = check_name(*name)) {
      add_error(errors, "nodeName", *problem);
    } else {
      config.node_name = *name;
    }
  }
  if (auto address = reader.string("address", Presence::kRequired)) {
    if (auto problem = check_node_ipv4(*address)) {
      add_error(errors, "address", *problem);
    } else {
      config.address = *address;
    }
  }
  if (auto listen = reader.string("healthListen", Presence::kOptional)) {
    if (auto problem = check_listen(*listen)) {
      add_error(errors, "healthListen", *problem);
    } else {
      config.health_listen = *listen;
    }
  }
  // Default on the private address: scrapers on the private network reach it, a public
  // balancer (which forwards to Apache only) does not. "" turns the listener off.
  config.metrics_listen = config.address.empty() ? "" : config.address + ":8483";
  if (auto listen = reader.string("metricsListen", Presence::kOptional)) {
    if (listen->empty()) {
      config.metrics_listen.clear();
    } else if (auto problem = check_listen(*listen)) {
      add_error(errors, "metricsListen", *problem + " (or \"\" for no metrics listener)");
    } else {
      config.metrics_listen = *listen;
    }
  }
  read_path(reader, "adminSocket", config.admin_socket, errors);
  read_path(reader, "stateDir", config.state_dir, errors);
  read_path(reader, "secretsPath", config.secrets_path, errors);
  read_path(reader, "pkiDir", config.pki_dir, errors);
  if (auto services = reader.string("services", Presence::kOptional)) {
    if (*services == "auto") {
      config.services = ServiceManager::kAuto;
    } else if (*services == "systemd") {
      config.services = ServiceManager::kSystemd;
    } else if (*services == "direct") {
      config.services = ServiceManager::kDirect;
    } else {
      add_error(errors, "services",
                "must be \"auto\", \"systemd\" or \"direct\", got " + quote_value(*services));
    }
  }
  read_seconds(reader, "passIntervalSeconds", kMinPassIntervalSeconds, kMaxPassIntervalSeconds,
               config.pass_interval_seconds, errors);
  read_seconds(reader, "leaseSeconds", kMinLeaseSeconds, kMaxLeaseSeconds, config.lease_seconds,
               errors);
  read_path(reader, "apacheConfigDir", config.apache_config_dir, errors);
  read_path(reader, "mysqlDatadir", config.mysql_datadir, errors);
  read_path(reader, "mysqlSocket", config.mysql_socket, errors);
  if (auto install = reader.boolean("installPackages", Presence::kOptional))
    config.install_packages = *install;
  read_path(reader, "phpProbeDir", config.php_probe_dir, errors);
  reader.finish("secrets belong in the secrets file (secretsPath), not in agent.json");
  return config;
}

Secrets read_secrets(const json& document, ErrorLines& errors) {
  Secrets secrets;
  ObjectReader reader(document, "", errors);
  const auto read_secret = [&](const char* key, std::string& target) {
    if (auto value = reader.string(key, Presence::kOptional)) {
      if (value->empty()) {
        add_error(errors, key, "must not be empty (omit the field instead)");
      } else {
        target = *value;
      }
    }
  };
  // Written by versions that kept the cluster's one join token here: read (so the file still
  // loads), never used, and dropped when the agent rewrites the file at its start.
  std::string old_join_token;
  read_secret("joinToken", old_join_token);
  secrets.has_dropped_fields = !old_join_token.empty();
  read_secret("dbPassword", secrets.db_password);
  read_secret("leasePassword", secrets.lease_password);
  reader.finish();
  return secrets;
}

std::string parent_directory(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Expected<LocalConfig> load_local_config(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.status().with_context("local config");
  ErrorLines errors;
  auto document = parse_strict_json(*text, errors);
  LocalConfig config;
  if (document) config = read_local_config(*document, errors);
  if (!errors.empty()) return file_errors(path, errors);
  return config;
}

Expected<Secrets> load_secrets(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error("secrets file " + path + ": " + errno_text(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    return Status::error("secrets file " + path + ": stat: " + errno_text(error));
  }
  // Checked on the open descriptor, so the file read is the file whose mode was checked.
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return Status::error("secrets file " + path + " is not a regular file");
  }
  if ((info.st_mode & 077) != 0) {
    ::close(fd);
    return Status::error("secrets file " + path + " has mode " + octal_mode(info.st_mode) +
                         "; must be 0600 (chmod 600 it)");
  }
  if (info.st_uid != ::geteuid()) {
    ::close(fd);
    return Status::error("secrets file " + path + " is owned by uid " +
                         std::to_string(info.st_uid) + "; must be owned by uid " +
                         std::to_string(::geteuid()) + ", the agent's own user (chown it)");
  }
  auto text = read_whole_file(fd, path);
  ::close(fd);
  if (!text) return text.status().with_context("secrets file");
  ErrorLines errors;
  auto document = parse_strict_json(*text, errors, EchoInput::kNo);
  Secrets secrets;
  if (document) secrets = read_secrets(*document, errors);
  if (!errors.empty()) return file_errors("secrets file " + path, errors);
  return secrets;
}

Status save_secrets(const std::string& path, const Secrets& secrets) {
  const std::string context = "save secrets file " + path;
  nlohmann::ordered_json document = nlohmann::ordered_json::object();
  if (!secrets.db_password.empty()) document["dbPassword"] = secrets.db_password;
  if (!secrets.lease_password.empty()) document["leasePassword"] = secrets.lease_password;
  const std::string text = document.dump(2) + "\n";

  const std::string directory = parent_directory(path);
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::error(context + ": create directory " + directory + ": " + errno_text(errno));
  }
  return write_file_atomically(path, text, kSecretsMode, ::geteuid(), ::getegid())
      .with_context(context);
}

}  // namespace pydio::common
