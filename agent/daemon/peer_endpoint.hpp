#pragma once
// The peer API's listener on <address>:8481 over TLS, started once this node has a certificate
// (at once after init or join) and kept trying: when the port is taken by another process the
// agent says so in the log and tries again every 2 s instead of exiting (a restart loop would
// leave the port to whoever took it). Once bound it stays bound until stop().
// Thread-safe: ensure_listening() may be called from any thread (the retry timer runs on the
// event loop, init and join call it from the blocking pool).

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <mutex>
#include <string>

#include "agent/api/http_server.hpp"
#include "agent/trust/node_trust.hpp"

namespace pydio::agent {

class PeerEndpoint {
 public:
  // `options`: the handler and limits; the TLS context is taken from `trust` when it is ready,
  // and again for each connection (a renewed certificate serves at once).
  PeerEndpoint(boost::asio::io_context& ioc, const trust::NodeTrust& trust,
               api::ServerOptions options, std::string listen);
  // Tries now, then every 2 s until bound.
  void start();
  // Binds if not bound yet and this node has a certificate. True when listening.
  bool ensure_listening();
  void stop();

 private:
  void schedule();

  boost::asio::io_context& ioc_;
  const trust::NodeTrust& trust_;
  const api::ServerOptions options_;
  const std::string listen_;
  boost::asio::steady_timer timer_;
  std::mutex mutex_;
  std::unique_ptr<api::HttpServer> server_;  // guarded by mutex_; set once bound
  std::string last_error_;                   // guarded by mutex_
  int failures_ = 0;                         // guarded by mutex_; since the last success
  bool stopped_ = false;                     // guarded by mutex_
};

}  // namespace pydio::agent
