#pragma once
// Limits every HTTP connection of the agent runs under, shared by listener and session.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
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
  bool storage_certificate = false;  // that certificate says OU=storage (trust/pki.hpp)
  // The server TLS context the handshake used (held for its identity only): a request on a
  // connection whose handshake predates a change of the node's certificates or trusted CAs
  // is refused, so a connection made under a CA retired since cannot outlive the retirement.
  std::shared_ptr<const void> tls_context = nullptr;
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
  // Called with each request's header as soon as it is read, before the body: an answer
  // returned here is sent instead (the body is never read) and the connection closed. Lets the
  // peer API refuse a caller it does not admit before accepting its 1 MiB body. `peer` is who
  // connected (TLS endpoints; empty otherwise). Runs on the io_context thread: must not block.
  // Empty: every header passes.
  std::function<std::optional<Response>(const RequestHeader&, const PeerIdentity&)> check_header;
  // Connections open at once on one listener. At the cap the connection idle longest (waiting
  // for a request header) is closed to admit the new one; when none is idle the new one is
  // closed (connection_limit.hpp). Each connection costs one descriptor.
  std::size_t max_connections = 256;
  // Longest wait for a whole request header, counted from when the connection is ready for
  // a request (accepted, or its previous answer written): a client dribbling a header is cut.
  std::chrono::milliseconds header_timeout{std::chrono::seconds(5)};
  // Longest wait for a request body once its header is read, and for writing a response; the
  // connection is closed when it runs out.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(10)};
  std::size_t body_limit = 1024 * 1024;  // larger request bodies get 413 and a close
  std::size_t header_limit = 8 * 1024;   // larger request headers get 431 and a close
  // Set: TCP connections speak TLS with this context (tls_session.hpp) and requests go to
  // `identified_handler` instead of `handler`.
  std::shared_ptr<boost::asio::ssl::context> tls;
  // Set: each new TLS connection takes its context from here instead of `tls` (null: `tls`),
  // so a renewed node certificate serves the next handshake without a restart.
  std::function<std::shared_ptr<boost::asio::ssl::context>()> current_tls;
  IdentifiedHandler identified_handler;
};

}  // namespace pydio::agent::api
