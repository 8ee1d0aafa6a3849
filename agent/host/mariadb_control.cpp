#include "agent/host/mariadb_control.hpp"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "agent/host/pid_file.hpp"
#include "agent/host/service_paths.hpp"

namespace pydio::agent {
namespace {

namespace fs = std::filesystem;
using common::Command;
using common::Status;

constexpr std::chrono::seconds kAdminTimeout{5};
// mariadbd was ready 0.24 s after start on the reference VM; a crash-recovering InnoDB or a
// Galera joiner receiving a state transfer takes longer, and the reconciler retries with backoff.
constexpr std::chrono::seconds kReadyTimeout{90};
constexpr std::chrono::seconds kStopTimeout{60};
constexpr std::chrono::seconds kPidFileGrace{15};
constexpr std::chrono::seconds kSystemctlTimeout{120};

// mariadbd drops to `mysql` before it creates its socket, pid file and error log, so their
// directories must be mysql's (an unwritable log-error is silently not created at all).
Status ensure_mysql_dir(const std::string& path) {
  std::error_code error;
  fs::create_directories(path, error);
  if (error) return Status::error("mkdir " + path + ": " + error.message());
  struct passwd entry {};
  struct passwd* found = nullptr;
  char buffer[4096];
  if (getpwnam_r("mysql", &entry, buffer, sizeof buffer, &found) != 0 || found == nullptr) {
    return Status::error("chown " + path + ": no user mysql");
  }
  if (::chown(path.c_str(), entry.pw_uid, entry.pw_gid) != 0) {
    return Status::error("chown " + path + " mysql: " + std::strerror(errno));
  }
  return Status::ok();
}

}  // namespace

Status ensure_mariadb_runtime_dir(const common::LocalConfig& local) {
  return ensure_mysql_dir(mariadb_runtime_dir(local));
}

MysqlEndpoint mariadb_admin_endpoint(const common::LocalConfig& local) {
  MysqlEndpoint endpoint;
  endpoint.socket_path = local.mysql_socket;
  endpoint.user = "root";  // unix_socket authentication: the agent runs as OS root
  endpoint.connect_timeout = kAdminTimeout;
  endpoint.read_timeout = kAdminTimeout;
  endpoint.write_timeout = kAdminTimeout;
  return endpoint;
}

namespace {

Status wait_until_accepting(Services& services, const common::LocalConfig& local) {
  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  std::string last_error;
  const auto started = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline) {
    // A Galera member that finds no primary component to join gives up and exits. Its pid
    // file appears only some time after the start, so absence counts after a grace period.
    if (std::chrono::steady_clock::now() - started > kPidFileGrace &&
        !services.is_running(Service::kMariadb)) {
      return Status::error("mariadb exited before it accepted connections (see its error log" +
                           std::string(last_error.empty() ? ")" : "; last: " + last_error + ")"));
    }
    auto session = MysqlSession::connect(mariadb_admin_endpoint(local));
    if (session) return Status::ok();
    last_error = session.status().message();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Status::error("mariadb not accepting connections after " +
                       std::to_string(kReadyTimeout.count()) + "s: " + last_error);
}

Status wait_until_stopped(Services& services) {
  const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  while (services.is_running(Service::kMariadb)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::error("mariadb still running " + std::to_string(kStopTimeout.count()) +
                           "s after SHUTDOWN");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Status::ok();
}

}  // namespace

Status start_mariadb(Services& services, common::ProcessRunner& runner,
                     const common::LocalConfig& local, MariadbStart how) {
  if (services.uses_systemd()) {
    // galera_new_cluster (Debian's mariadb-server) starts the unit with --wsrep-new-cluster.
    Status started =
        how == MariadbStart::kNewCluster
            ? common::run_checked(runner, Command({"galera_new_cluster"}, kSystemctlTimeout))
            : services.start(Service::kMariadb);
    if (!started) return started;
    return wait_until_accepting(services, local);
  }
  Status made = ensure_mariadb_runtime_dir(local);
  if (!made) return made;
  Status started = how == MariadbStart::kNewCluster
                       ? services.start_with(Service::kMariadb, {"--wsrep-new-cluster"})
                       : services.start(Service::kMariadb);
  if (!started) return started;
  return wait_until_accepting(services, local);
}

Status stop_mariadb(Services& services, common::ProcessRunner& runner,
                    const common::LocalConfig& local) {
  if (!services.is_running(Service::kMariadb)) return Status::ok();
  if (services.uses_systemd()) {
    return common::run_checked(runner,
                               Command({"systemctl", "stop", "mariadb"}, kSystemctlTimeout));
  }
  // SHUTDOWN first; a server that does not take it shuts down as cleanly on SIGTERM: one that
  // does not accept connections yet (InnoDB recovery, a joiner waiting for a state transfer),
  // or a Galera member outside a primary component ("WSREP has not yet prepared node for
  // application use").
  std::string refused;
  auto session = MysqlSession::connect(mariadb_admin_endpoint(local));
  if (session) {
    auto shutdown = (*session)->execute("SHUTDOWN");
    if (!shutdown) refused = shutdown.status().message();
  } else {
    refused = session.status().message();
  }
  if (!refused.empty()) {
    std::optional<int> pid = live_pid(mariadb_pid_file(local), {"mariadbd", "mysqld"});
    if (!pid) pid = live_pid(spawned_mariadb_pid_file(local), {"mariadbd"});
    if (!pid) return Status::error(refused + "; and no live mariadbd pid to send SIGTERM to");
    if (::kill(*pid, SIGTERM) != 0)
      return Status::error("kill -TERM " + std::to_string(*pid) + ": " + std::strerror(errno));
  }
  return wait_until_stopped(services);
}

Status restart_mariadb(Services& services, common::ProcessRunner& runner,
                       const common::LocalConfig& local, MariadbStart how) {
  if (services.uses_systemd() && how == MariadbStart::kNormal) {
    Status restarted = common::run_checked(
        runner, Command({"systemctl", "restart", "mariadb"}, kSystemctlTimeout));
    if (!restarted) return restarted;
    return wait_until_accepting(services, local);
  }
  if (services.uses_systemd()) {
    Status stopped =
        common::run_checked(runner, Command({"systemctl", "stop", "mariadb"}, kSystemctlTimeout));
    if (!stopped) return stopped;
    return start_mariadb(services, runner, local, how);
  }
  // Direct mode: a clean SHUTDOWN over the admin connection, then a start.
  {
    auto session = MysqlSession::connect(mariadb_admin_endpoint(local));
    if (!session) return session.status();
    auto shutdown = (*session)->execute("SHUTDOWN");
    if (!shutdown) return shutdown.status();
  }
  Status stopped = wait_until_stopped(services);
  if (!stopped) return stopped;
  return start_mariadb(services, runner, local, how);
}

}  // namespace pydio::agent
