#pragma once
// A throwaway MariaDB server for one integration test: its own datadir, socket and pid file in
// a fresh temporary directory (owned by mysql), bound to 127.0.0.1 on a free port, started
// with --no-defaults so nothing of the machine's /etc/mysql is read or changed.
// The destructor stops it by PID (SIGTERM, then SIGKILL) and removes the directory, pass or
// fail. Root over the socket is authenticated by unix_socket (the tests run as root).

#include <string>

#include "agent/host/mysql_session.hpp"
#include "common/runner.hpp"

namespace pydio::test {

class PrivateMariadb {
 public:
  PrivateMariadb() = default;
  // Installs and starts it, waiting (60 s at most) until it accepts connections. Whatever it
  // started is cleaned up by the destructor, also after a failure.
  common::Status start();
  ~PrivateMariadb();
  PrivateMariadb(const PrivateMariadb&) = delete;
  PrivateMariadb& operator=(const PrivateMariadb&) = delete;

  int port() const { return port_; }
  int pid() const { return pid_; }
  const std::string& socket_path() const { return socket_; }
  const std::string& directory() const { return dir_; }
  // root over the unix socket.
  agent::MysqlEndpoint admin_endpoint() const;

 private:
  common::SystemRunner runner_;
  std::string dir_;
  std::string socket_;
  int port_ = 0;
  int pid_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_local_port();

// Stops a process by PID: SIGTERM, up to `grace` for it to go (a zombie counts as gone),
// then SIGKILL. Never signals anything but `pid`.
void stop_pid(int pid, std::chrono::milliseconds grace);

}  // namespace pydio::test
