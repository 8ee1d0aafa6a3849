#pragma once
// Where the directly started services (no systemd, as on the simulated nodes) keep their pid
// files and option files. Pure functions of the local config, shared by Services and by the
// resources that write those files (the db-server resource writes mariadb_defaults_file()
// with pid-file = mariadb_pid_file()).

#include <optional>
#include <string>

#include "common/local_config.hpp"

namespace pydio::agent {

// glusterd is started as `glusterd -p kGlusterdPidFile`.
inline constexpr const char* kGlusterdPidFile = "/run/glusterd.pid";

// APACHE_PID_FILE as Debian's envvars computes it: /run/apache2/apache2.pid, or
// /run/apache2-NAME/apache2.pid for a config dir /etc/apache2-NAME.
std::string apache_pid_file(const std::string& apache_config_dir);

// The directory of local.mysql_socket (/run/mysqld): the directly started mariadbd's runtime
// directory, owned by mysql, and its tmpdir too (render_direct_mariadb_config).
std::string mariadb_runtime_dir(const common::LocalConfig& local);

// "<mariadb_runtime_dir>/mysqld.pid".
std::string mariadb_pid_file(const common::LocalConfig& local);

// "<local.state_dir>/mariadbd.spawned.pid": the PID of the mariadbd this agent started
// directly, written at the start (before mariadbd writes its own pid file).
std::string spawned_mariadb_pid_file(const common::LocalConfig& local);

// "<local.state_dir>/mariadb.cnf": the only option file mariadbd is started with.
std::string mariadb_defaults_file(const common::LocalConfig& local);

// The PID in a pid file's text ("1234\n"); nullopt unless it is a positive decimal number.
std::optional<int> parse_pid_file(const std::string& text);

}  // namespace pydio::agent
