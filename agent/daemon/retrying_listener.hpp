#pragma once
// A plain-HTTP TCP listener (the health endpoint on healthListen, GET /metrics on metricsListen)
// bound at start and, when the port is taken (another process, a local user squatting it while
// the agent restarts), tried again every 2 s with a warning in the log instead of exiting: an
// agent that exits would only be restarted into the same taken port, and the node would stop
// converging. Nothing is bound when the listen address is "".
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

class RetryingListener {
 public:
  // `what` names the listener in the log ("health endpoint", "metrics endpoint").
  RetryingListener(boost::asio::io_context& ioc, std::string what, api::ServerOptions options,
                   std::string listen);
  void start();
  void stop();
  // Whether the port is bound now (false while it is taken by someone else).
  bool listening() const;

 private:
  bool try_listen();
  void schedule();

  boost::asio::io_context& ioc_;
  const std::string what_;
  const api::ServerOptions options_;
  const std::string listen_;
  boost::asio::steady_timer timer_;
  mutable std::mutex mutex_;
  std::unique_ptr<api::HttpServer> server_;  // guarded by mutex_
  bool stopped_ = false;                     // guarded by mutex_
  int failures_ = 0;                         // guarded by mutex_
};

}  // namespace pydio::agent
