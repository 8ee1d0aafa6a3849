#pragma once
// Starts, reloads and asks an HAProxy instance (an lb node's, or a compute node's database
// proxy), through systemd where the node runs it (HaproxyPaths::unit) and directly otherwise (as
// on the simulated nodes), like Services does for Apache and MariaDB.
// Direct: `haproxy -W -D -f CFG -p PID -S MASTER-SOCKET` (master-worker, as Debian's unit runs
// it); a reload is SIGUSR2 to the master, which starts new workers that take the listening
// sockets over from the old ones (stats socket `expose-fd listeners`): no connection is
// dropped, the old workers finish what they serve. Every call has a timeout.

#include <chrono>
#include <string>

#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

struct HaproxyPaths {
  std::string config = "/etc/haproxy/haproxy.cfg";  // what Debian's haproxy.service reads
  std::string pid_file = "/run/haproxy.pid";        // the master's PID (as the unit's -p)
  std::string master_socket = "/run/haproxy-master.sock";
  std::string admin_socket = "/run/haproxy/admin.sock";
  std::string server_state = "/var/lib/haproxy/server-state";
  std::string unit = "haproxy";  // the systemd unit that runs this instance
};

// The compute nodes' local database proxy (resources/db_proxy_resource.hpp): an HAProxy
// instance of its own next to the lb's, with its own files and unit
// (systemd/pydio-db-proxy.service), so that neither one's reload or death touches the other.
inline HaproxyPaths db_proxy_paths() {
  HaproxyPaths paths;
  paths.config = "/etc/haproxy/pydio-db-proxy.cfg";
  paths.pid_file = "/run/pydio-db-proxy.pid";
  paths.master_socket = "/run/pydio-db-proxy-master.sock";
  paths.admin_socket = "/run/pydio-db-proxy/admin.sock";
  paths.server_state = "/var/lib/haproxy/pydio-db-proxy-state";
  paths.unit = "pydio-db-proxy";
  return paths;
}

// The Debian package that provides the binary (named in the error when it is missing).
inline constexpr const char* kHaproxyPackage = "haproxy";

class HaproxyControl {
 public:
  HaproxyControl(common::ProcessRunner& runner, bool use_systemd, HaproxyPaths paths = {});

  // "" when the haproxy binary is on PATH, else the error naming the package.
  static std::string missing_binary();
  bool is_running();
  // `haproxy -c -f path`; the error carries HAProxy's own output.
  common::Status check_config(const std::string& path);
  // Writes `text` as `path` only once `haproxy -c` accepts it (checked under another name
  // first): what HAProxy would load on its next start or reload stays the previous, working
  // file until then.
  common::Status install_config(const std::string& path, const std::string& text);
  // Starts HAProxy when it is not running.
  common::Status start();
  // Stops the instance this object names (REQUIRES: the agent started it: its configuration
  // is the agent's). systemd: `systemctl stop` and `disable` of its unit (its configuration is
  // about to be moved aside, so it must not start at boot). Direct: SIGTERM to the master named
  // by the pid file (its workers exit with it), SIGKILL if it is still there after a while.
  // Success: no process of this instance runs. Nothing is done by process name.
  common::Status stop();
  // Saves the servers' states (show servers state -> server-state file, so DRAIN and DOWN
  // survive) and reloads without dropping connections.
  common::Status reload();
  // One command on the admin socket (e.g. "show stat"): its whole answer, within `timeout`.
  common::Expected<std::string> admin_command(
      const std::string& command,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) const;

  const HaproxyPaths& paths() const { return paths_; }

 private:
  common::ProcessRunner& runner_;
  const bool use_systemd_;
  const HaproxyPaths paths_;
};

}  // namespace pydio::agent
