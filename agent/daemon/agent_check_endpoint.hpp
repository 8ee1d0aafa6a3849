#pragma once
// Keeps the agent-check listener (api/agent_check.hpp) where the desired state wants it:
// on <this node's address>:<loadBalancer.agentPort> when this node is compute and some node
// has role lb, nowhere otherwise. Looks every 2 s (and at once on update()), so an lb node
// added, a port changed or a port that was busy is followed without a restart.
// Thread-safe: update() may be called from any thread (guarded by mutex_).

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/api/agent_check.hpp"
#include "common/desired_state.hpp"

namespace pydio::agent {

// Pure: "<address>:<agentPort>" when `node_name` is compute and a node has role lb.
std::optional<std::string> agent_check_address(const common::DesiredState& desired,
                                               const std::string& node_name);

// Pure: whether HAProxy is told "drain": the operator drained this node (`operator_drained`),
// or the leader's rollout drains it now (common::rollout_drains; `desired` may be null).
bool agent_check_draining(const common::DesiredState* desired, const std::string& node_name,
                          bool operator_drained);

class AgentCheckEndpoint {
 public:
  using Desired = std::function<std::shared_ptr<const common::DesiredState>()>;
  AgentCheckEndpoint(boost::asio::io_context& ioc, Desired desired, std::string node_name,
                     api::AgentCheckListener::Reply reply);
  void start();
  // Binds, moves or closes the listener to match the desired state now.
  void update();
  // "" while listening or not asked to; else why the port could not be bound. A serving reason
  // (the node fails HAProxy's HTTP check): whoever holds the port instead would answer
  // HAProxy's agent-check for this node, e.g. `ready up` during a drain.
  std::string problem() const;
  void stop();

 private:
  void schedule();

  boost::asio::io_context& ioc_;
  Desired desired_;
  const std::string node_name_;
  api::AgentCheckListener::Reply reply_;
  boost::asio::steady_timer timer_;
  mutable std::mutex mutex_;
  std::shared_ptr<api::AgentCheckListener> listener_;  // guarded by mutex_
  std::string bound_;                                  // guarded by mutex_; "" when none
  std::string last_error_;                             // guarded by mutex_
  bool stopped_ = false;                               // guarded by mutex_
};

}  // namespace pydio::agent
