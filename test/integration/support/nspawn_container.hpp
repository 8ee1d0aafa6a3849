#pragma once
// A Debian 12 machine with systemd as PID 1 for the package scenario: systemd-nspawn boots a
// throwaway overlay of the cached tree test/container-tree built (read-only here), inside a
// private mount namespace, with a private network namespace (only lo, plus a veth pair whose
// two ends both stay inside it, so the agent has a non-loopback address and no packet leaves).
// Everything it made goes when the object is destroyed: the container is powered off (then
// killed) by PID, which takes its mount and network namespaces and the overlay with it, and
// the temporary directory is removed.

#include <chrono>
#include <string>
#include <vector>

#include "common/runner.hpp"

namespace pydio::test {

class NspawnContainer {
 public:
  // `tree`: the complete tree (test/container-tree path); REQUIREs it to be built.
  explicit NspawnContainer(std::string tree);
  ~NspawnContainer();
  NspawnContainer(const NspawnContainer&) = delete;
  NspawnContainer& operator=(const NspawnContainer&) = delete;

  // Starts systemd-nspawn -b; returns at once (wait_booted waits).
  void boot();
  // Until `systemctl is-system-running` says running (or degraded: the failed units are
  // printed); false at the deadline.
  bool wait_booted(std::chrono::seconds deadline);
  // `address`/24 on a veth inside the container's own network namespace.
  void add_address(const std::string& address);

  // A command inside the container (its mount, UTS, IPC, network and PID namespaces; the
  // container's own binaries).
  common::RunResult run(const std::vector<std::string>& argv,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60),
                        const std::string& stdin_data = "");
  // Its stdout; REQUIREs success.
  std::string must(const std::vector<std::string>& argv,
                   std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // A host binary run in the container's network namespace only (curl from the host).
  common::RunResult run_in_network(const std::vector<std::string>& argv,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // A path inside the container as the host reaches it (/proc/<PID 1>/root/...).
  std::string host_path(const std::string& container_path) const;
  void write_file(const std::string& container_path, const std::string& text);
  std::string read_file(const std::string& container_path) const;

  int leader_pid() const { return leader_; }
  const std::string& dir() const { return dir_; }

 private:
  void find_leader();
  void power_off();

  std::string tree_;
  std::string dir_;  // temporary: upper/, work/, root/, console.log
  common::SystemRunner runner_;
  int nspawn_pid_ = -1;
  int leader_ = -1;  // the container's PID 1, as the host numbers it
};

}  // namespace pydio::test
