#pragma once
// Starts, reloads and asks HAProxy on an lb node, through systemd where the node runs it and
// directly otherwise (as on the simulated nodes), like Services does for Apache and MariaDB.
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
};

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
  // Starts HAProxy when it is not running.
  common::Status start();
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
