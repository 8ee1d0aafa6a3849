#include "agent/host/services.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>
#include <vector>

#include "agent/host/pid_file.hpp"
#include "agent/host/service_paths.hpp"

namespace pydio::agent {
namespace {

using common::Command;
using common::RunResult;
using common::Status;

constexpr std::chrono::seconds kQueryTimeout{10};
// systemd may wait for a unit's own start timeout; ours must be shorter than the reconciler's
// patience but long enough for glusterd (2.4-3.4 s measured) and MariaDB's first start.
constexpr std::chrono::seconds kStartTimeout{90};
constexpr std::chrono::seconds kReloadTimeout{30};
// Per signal; the workers finish what they serve on TERM, a hung one gets KILL after this.
constexpr std::chrono::seconds kOrphanStopTimeout{2};

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// apache2ctl reads APACHE_CONFDIR to find envvars and passes -d for a non-default directory.
Command apache2ctl(const common::LocalConfig& local, const std::string& verb,
                   std::chrono::milliseconds timeout) {
  Command command({"apache2ctl", verb}, timeout);
  command.extra_env["APACHE_CONFDIR"] = local.apache_config_dir;
  return command;
}

Status checked(common::ProcessRunner& runner, const Command& command, const std::string& what) {
  RunResult result = runner.run(command);
  if (result.succeeded()) return Status::ok();
  return Status::error(what + ": " + result.describe_failure(command.argv));
}

// A SIGKILLed Apache main process leaves its workers running, still bound to its ports, so a
// new Apache could not bind them. They are the dead main process's group (Apache's main
// process leads its own session); stop them (TERM, then KILL) before starting a new one.
// Under systemd the unit's cgroup takes care of this.
Status stop_orphaned_workers(const std::string& pid_file, const std::vector<std::string>& comms) {
  auto old_main = pid_in_file(pid_file);
  if (!old_main || !is_zombie_or_gone(*old_main)) return Status::ok();
  std::vector<int> orphans = group_members(*old_main, comms);
  for (int signal_number : {SIGTERM, SIGKILL}) {
    if (orphans.empty()) return Status::ok();
    for (int pid : orphans) ::kill(pid, signal_number);
    const auto deadline = std::chrono::steady_clock::now() + kOrphanStopTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      orphans = group_members(*old_main, comms);
      if (orphans.empty()) return Status::ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return Status::error("workers of the dead main process " + std::to_string(*old_main) +
                       " did not exit");
}

}  // namespace

std::string service_name(Service service) {
  switch (service) {
    case Service::kGlusterd:
      return "glusterd";
    case Service::kApache:
      return "apache2";
    case Service::kMariadb:
      return "mariadb";
  }
  return "unknown";
}

Services::Services(common::ProcessRunner& runner, const common::LocalConfig& local)
    : runner_(runner), local_(local) {
  switch (local.services) {
    case common::ServiceManager::kSystemd:
      use_systemd_ = true;
      break;
    case common::ServiceManager::kDirect:
      use_systemd_ = false;
      break;
    case common::ServiceManager::kAuto:
      // The test sd_booted() uses: systemd creates this directory when it is PID 1.
      use_systemd_ = path_exists("/run/systemd/system");
      break;
  }
}

bool Services::is_running(Service service) {
  if (use_systemd_) {
    Command command({"systemctl", "is-active", "--quiet", service_name(service)}, kQueryTimeout);
    return runner_.run(command).succeeded();
  }
  switch (service) {
    case Service::kGlusterd:
      return live_pid(kGlusterdPidFile, {"glusterd"}).has_value();
    case Service::kApache:
      return live_pid(apache_pid_file(local_.apache_config_dir), {"apache2"}).has_value();
    case Service::kMariadb:
      return live_pid(mariadb_pid_file(local_), {"mariadbd", "mysqld"}).has_value();
  }
  return false;
}

Status Services::start(Service service) { return start_with(service, {}); }

Status Services::start_with(Service service, const std::vector<std::string>& extra_arguments) {
  const std::string what = "start " + service_name(service);
  if (is_running(service)) return Status::ok();
  if (!extra_arguments.empty() && (use_systemd_ || service != Service::kMariadb)) {
    return Status::error(what + ": extra arguments are only for mariadbd run directly");
  }
  if (use_systemd_) {
    return checked(runner_, Command({"systemctl", "start", service_name(service)}, kStartTimeout),
                   what);
  }
  switch (service) {
    case Service::kGlusterd:
      // glusterd daemonizes (setsid) and writes the pid file is_running() reads.
      return checked(runner_, Command({"glusterd", "-p", kGlusterdPidFile}, kStartTimeout), what);
    case Service::kApache: {
      Status stopped =
          stop_orphaned_workers(apache_pid_file(local_.apache_config_dir), {"apache2"});
      if (!stopped) return stopped.with_context(what);
      // Not `apache2 -k start`: only apache2ctl sources envvars (APACHE_RUN_DIR, ...).
      return checked(runner_, apache2ctl(local_, "start", kStartTimeout), what);
    }
    case Service::kMariadb: {
      // The db-server resource owns the option file (datadir, socket, bind-address, user,
      // pid-file = mariadb_pid_file()) and writes it before it asks for a start.
      const std::string defaults = mariadb_defaults_file(local_);
      if (!path_exists(defaults)) {
        return Status::error(what + ": " + defaults + " does not exist (written by db-server)");
      }
      std::vector<std::string> argv = {"mariadbd", "--defaults-file=" + defaults};
      argv.insert(argv.end(), extra_arguments.begin(), extra_arguments.end());
      auto pid = runner_.spawn_detached(argv, local_.state_dir + "/mariadbd.out");
      return pid.status().with_context(what);
    }
  }
  return Status::error(what + ": unknown service");
}

Status Services::reload(Service service) {
  const std::string what = "reload " + service_name(service);
  if (use_systemd_) {
    return checked(runner_,
                   Command({"systemctl", "reload", service_name(service)}, kReloadTimeout), what);
  }
  if (service == Service::kApache) {
    return checked(runner_, apache2ctl(local_, "graceful", kReloadTimeout), what);
  }
  return Status::error(what + ": not supported without systemd");
}

}  // namespace pydio::agent
