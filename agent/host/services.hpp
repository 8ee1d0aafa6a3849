#pragma once
// Starts, checks and reloads the services the agent depends on, through systemd where the node
// runs it (/run/systemd/system exists) and directly otherwise (as on the simulated test nodes).
// Every call goes through the ProcessRunner with a timeout; none blocks indefinitely.

#include <string>
#include <vector>

#include "common/local_config.hpp"
#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

enum class Service { kGlusterd, kApache, kMariadb };

std::string service_name(Service service);  // "glusterd", "apache2", "mariadb"

class Services {
 public:
  Services(common::ProcessRunner& runner, const common::LocalConfig& local);
  bool uses_systemd() const { return use_systemd_; }
  // True when the service's main process is alive (pid file + /proc, or systemctl is-active).
  bool is_running(Service service);
  // Starts the service if it is not running. Returns once the start command returned; callers
  // that need the service to answer wait for that themselves.
  common::Status start(Service service);
  // Same, with extra arguments for the server (direct mode only: mariadbd's
  // --wsrep-new-cluster); an error for a service run by systemd.
  common::Status start_with(Service service, const std::vector<std::string>& extra_arguments);
  // Graceful reload (Apache: apache2ctl graceful / systemctl reload apache2).
  common::Status reload(Service service);

 private:
  common::ProcessRunner& runner_;
  const common::LocalConfig& local_;
  bool use_systemd_;
};

}  // namespace pydio::agent
