#pragma once
// The peer API's listener on <address>:8481 over TLS, started once this node has a certificate
// (at once after init or join) and kept trying like every listener of the agent
// (RetryingListener): when the port is taken by another process the agent says so in the log
// and tries again every 2 s instead of exiting (a restart loop would leave the port to whoever
// took it). Once bound it stays bound until stop().
// Thread-safe: ensure_listening() may be called from any thread (the retry timer runs on the
// event loop, init and join call it from the blocking pool).

#include <boost/asio/io_context.hpp>
#include <string>

#include "agent/api/server_options.hpp"
#include "agent/daemon/retrying_listener.hpp"
#include "agent/trust/node_trust.hpp"

namespace pydio::agent {

class PeerEndpoint {
 public:
  // `options`: the handler and limits; the TLS context is taken from `trust` when it is ready,
  // and again for each connection (a renewed certificate serves at once).
  PeerEndpoint(boost::asio::io_context& ioc, const trust::NodeTrust& trust,
               api::ServerOptions options, std::string listen);
  // Tries now, then every 2 s until bound.
  void start() { listener_.start(); }
  // Binds if not bound yet and this node has a certificate. True when listening.
  bool ensure_listening() { return listener_.ensure_listening(); }
  void stop() { listener_.stop(); }

 private:
  RetryingListener listener_;
};

}  // namespace pydio::agent
