#pragma once
// The TLS layer of the peer API: a TCP connection accepted by a listener whose options carry a
// TLS context first completes a TLS handshake (bounded by the idle timeout), then becomes an
// ordinary Session over the TLS stream. The session hands each request to the options'
// identified handler together with who connected: the source address and, when the client
// presented a certificate the cluster CA signed, its CN (the node name). A handshake that
// fails (no TLS, a certificate of another CA) closes the connection; nothing is read from it.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>

#include "agent/api/connection_limit.hpp"
#include "agent/api/server_options.hpp"

namespace pydio::agent::api {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// REQUIRES: options->tls is set. The connection takes its place in `connections` before the
// handshake (idle, so evictable at the cap); the handshake must end within the header timeout.
void start_tls_session(boost::asio::ip::tcp::socket socket,
                       std::shared_ptr<const ServerOptions> options,
                       std::shared_ptr<ConnectionLimit> connections);

}  // namespace pydio::agent::api
