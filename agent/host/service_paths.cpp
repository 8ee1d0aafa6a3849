#include "agent/host/service_paths.hpp"

#include <cctype>
#include <climits>

namespace pydio::agent {

std::string apache_pid_file(const std::string& apache_config_dir) {
  // envvars: SUFFIX="-${APACHE_CONFDIR##/etc/apache2-}" when the prefix matched, else empty.
  const std::string prefix = "/etc/apache2-";
  std::string suffix;
  if (apache_config_dir.compare(0, prefix.size(), prefix) == 0) {
    suffix = "-" + apache_config_dir.substr(prefix.size());
  }
  return "/run/apache2" + suffix + "/apache2.pid";
}

std::string mariadb_runtime_dir(const common::LocalConfig& local) {
  const std::string& socket = local.mysql_socket;
  auto slash = socket.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : socket.substr(0, slash);
}

std::string mariadb_pid_file(const common::LocalConfig& local) {
  std::string dir = mariadb_runtime_dir(local);
  if (dir.back() != '/') dir += '/';
  return dir + "mysqld.pid";
}

std::string spawned_mariadb_pid_file(const common::LocalConfig& local) {
  return local.state_dir + "/mariadbd.spawned.pid";
}

std::string mariadb_defaults_file(const common::LocalConfig& local) {
  return local.state_dir + "/mariadb.cnf";
}

std::optional<int> parse_pid_file(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  long long pid = 0;
  std::size_t digits = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, ++digits) {
    pid = pid * 10 + (text[i] - '0');
    if (pid > INT_MAX) return std::nullopt;
  }
  if (digits == 0 || pid <= 0) return std::nullopt;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i != text.size()) return std::nullopt;
  return static_cast<int>(pid);
}

}  // namespace pydio::agent
