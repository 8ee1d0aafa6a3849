#pragma once
// Limits every HTTP connection of the agent runs under, shared by listener and session.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "agent/api/http_message.hpp"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace pydio::agent::api {

// Who is on the other end of a TLS connection (tls_session.hpp).
struct PeerIdentity {
  std::string address;           // the connection's source address, e.g. "198.18.0.2"
  std::string certificate_name;  // CN of a client certificate the cluster CA signed; "" if none
};

// A handler that also learns who asked (TLS endpoints only).
using IdentifiedHandler = std::function<Response(const Request&, const PeerIdentity&)>;

struct ServerOptions {
  Handler handler;
  // Requests for which `blocking` is true are handed to `offload` (the daemon's bounded pool)
  // instead of running on the io_context thread; the response is written back on the
  // connection's strand. `offload` returns false when the pool is full: the request gets 503.
  // Both empty: every request runs on the io_context thread (the handler must not block).
  std::function<bool(const Request&)> blocking;
  std::function<bool(std::function<void()>)> offload;
  // Longest wait for a whole request (or for the next one on a kept-alive connection) and for
  // writing a response; the connection is closed when it runs out.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(10)};
  std::size_t body_limit = 1024 * 1024;  // larger request bodies get 413 and a close
  std::size_t header_limit = 8 * 1024;   // larger request headers get 431 and a close
  // Set: TCP connections speak TLS with this context (tls_session.hpp) and requests go to
  // `identified_handler` instead of `handler`.
  std::shared_ptr<boost::asio::ssl::context> tls;
  IdentifiedHandler identified_handler;
};

}  // namespace pydio::agent::api
