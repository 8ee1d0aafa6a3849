#pragma once
// The metrics listener (GET /metrics, plain HTTP on agent.json metricsListen): bound at start
// and, when the port is taken (another process, a local user squatting it), tried again every
// 2 s with a warning in the log instead of exiting: metrics must never keep the agent, and so
// the node's convergence, from running. Nothing is bound when the listen address is "".
// Runs on the event loop: start() and stop() from the thread that owns the daemon, retries on
// the loop; guarded by mutex_.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "agent/api/http_server.hpp"
#include "agent/api/server_options.hpp"

namespace pydio::agent {

class MetricsEndpoint {
 public:
  MetricsEndpoint(boost::asio::io_context& ioc, api::ServerOptions options, std::string listen);
  void start();
  void stop();

 private:
  bool try_listen();
  void schedule();

  boost::asio::io_context& ioc_;
  const api::ServerOptions options_;
  const std::string listen_;
  boost::asio::steady_timer timer_;
  std::mutex mutex_;
  std::unique_ptr<api::HttpServer> server_;  // guarded by mutex_
  bool stopped_ = false;                     // guarded by mutex_
  int failures_ = 0;                         // guarded by mutex_
};

}  // namespace pydio::agent
