#pragma once
// HAProxy's agent-check on compute nodes (role lb exists): HAProxy connects to
// <node address>:<loadBalancer.agentPort> every agentIntervalMs and reads one line, which this
// agent writes at once and then closes (HAProxy 2.6 configuration.txt, "agent-check"):
//   "drain\n"     the operator drained the node, or the leader's rollout of a release drains
//                 it (common::rollout_drains): no new sessions, sticky ones stay
//   "ready up\n"  not drained (cancels a drain this agent set; "up" counts only while the HTTP
//                 check passes too)
// Never "down": HAProxy applies an agent's "down" at once (its agent fall is 1), so one slow
// health round would move every sticky session. A node that cannot serve fails the HTTP check
// of GET /health/serving instead, which goes DOWN only after `fall` failures in a row.
// Connections are capped (ConnectionLimit, the oldest idle one closed at the cap); nothing is
// read from the caller, so it cannot make the agent do any work but write one line.
// Thread safety: start()/stop() from one thread; the reply function is called on the
// io_context's threads and must not block.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/api/connection_limit.hpp"
#include "common/status.hpp"

namespace pydio::agent::api {

inline constexpr int kAgentCheckPort = 8482;

// Pure. `draining`: the operator's drain or the rollout's (agent_check_draining()).
std::string agent_check_reply(bool draining);

class AgentCheckListener : public std::enable_shared_from_this<AgentCheckListener> {
 public:
  static constexpr std::size_t kMaxConnections = 64;
  using Reply = std::function<std::string()>;

  AgentCheckListener(boost::asio::io_context& ioc, Reply reply);
  // Binds "host:port" and starts accepting. Errors name the address.
  common::Status listen(const std::string& host_port);
  // Stops accepting (connections in flight end after their one line).
  void stop();
  // The bound port (for "host:0" in tests); 0 before listen().
  std::uint16_t port() const;

 private:
  void accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  Reply reply_;
  std::shared_ptr<ConnectionLimit> connections_;
  std::string description_;
};

}  // namespace pydio::agent::api
