#pragma once
// Which nodes of the cluster this node can reach, and whether it is on the majority side.
//
// Why: a node cut off the network keeps answering on its own: its FUSE mounts read (and, with
// replica 2's default client quorum "none", even write) its local brick once the ping-timeout
// has passed, so the mounts alone would call it healthy while it serves stale data, writes a
// split brain, and cannot reach the database. A node that reaches only a minority of the
// cluster's nodes is therefore not healthy.
//
// "Reachable" is about the network, not the agent: a TCP connect to the node's peer port that
// is accepted or refused (RST) within the bound proves the node is there; only no answer, or no
// route, counts as unreachable. So stopping an agent for an upgrade never takes others out.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/desired_state.hpp"

namespace pydio::agent {

// Pure. "" when `reachable` (node names, this node included) is a majority of the desired
// state's nodes, or exactly half including its first node (the tie-break gluster's own "auto"
// quorum uses: the first brick); else the reason, naming the nodes it cannot reach.
std::string minority_problem(const common::DesiredState& desired, const std::string& self,
                             const std::set<std::string>& reachable);

// True when a TCP connect to address:port is accepted or refused within `bound`.
bool tcp_reachable(const std::string& address, std::uint16_t port, std::chrono::milliseconds bound);

// Checks every other node of the desired state every kPeriod on its own thread (one connect
// per node, in parallel, each bounded) and keeps the last answer. Thread-safe.
class Reachability {
 public:
  static constexpr std::chrono::seconds kPeriod{2};
  static constexpr std::chrono::milliseconds kConnectBound{1000};

  Reachability(std::string self,
               std::function<std::shared_ptr<const common::DesiredState>()> desired);
  ~Reachability();
  void start();
  void stop();
  // Names of the nodes reached in the last round, this node included; nullopt before the first.
  std::optional<std::set<std::string>> reachable() const;

 private:
  void loop();
  void round();  // one round: connect to every other node's peer port at once

  const std::string self_;
  std::function<std::shared_ptr<const common::DesiredState>()> desired_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;                         // guarded by mutex_
  std::optional<std::set<std::string>> reached_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace pydio::agent
