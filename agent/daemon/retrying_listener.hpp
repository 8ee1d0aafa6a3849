#pragma once
// A TCP listener (the health endpoint on healthListen, GET /metrics on metricsListen, the peer
// API on <address>:8481) bound at start and, when the port is taken (another process, a local
// user squatting it while the agent restarts), tried again every 2 s with a warning in the log
// instead of exiting: an agent that exits would only be restarted into the same taken port, and
// the node would stop converging. Nothing is bound when the listen address is "". Once bound it
// stays bound until stop().
// Thread-safe: ensure_listening() may be called from any thread (the retry timer runs on the
// event loop); every member is guarded by mutex_.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/api/http_server.hpp"
#include "agent/api/server_options.hpp"

namespace pydio::agent {

class RetryingListener {
 public:
  // The options to serve with, asked at each try; nullopt: nothing to serve yet (the peer API
  // before this node has a certificate), tried again without a warning.
  using OptionsSource = std::function<std::optional<api::ServerOptions>()>;

  // `what` names the listener in the log ("health endpoint", "peer API").
  RetryingListener(boost::asio::io_context& ioc, std::string what, OptionsSource options,
                   std::string listen);
  RetryingListener(boost::asio::io_context& ioc, std::string what, api::ServerOptions options,
                   std::string listen);
  // Tries now, then every 2 s until bound.
  void start();
  // Binds if not bound yet (and the source has options). True when listening.
  bool ensure_listening();
  void stop();
  // Whether the port is bound now (false while it is taken by someone else).
  bool listening() const;

 private:
  void schedule();
  bool stopped() const;

  boost::asio::io_context& ioc_;
  const std::string what_;
  const OptionsSource options_;
  const std::string listen_;
  boost::asio::steady_timer timer_;
  mutable std::mutex mutex_;
  std::unique_ptr<api::HttpServer> server_;  // guarded by mutex_; set once bound
  std::string last_error_;                   // guarded by mutex_
  int failures_ = 0;                         // guarded by mutex_; since the last success
  bool stopped_ = false;                     // guarded by mutex_
};

}  // namespace pydio::agent
