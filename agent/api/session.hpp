#pragma once
// One accepted HTTP/1.1 connection: reads requests (keep-alive), hands each to the handler and
// writes its response. The header of each request must arrive within the header timeout, and
// may be answered at once by the options' check_header (the body is then never read); the
// body and the answer run under the idle timeout. A request over the body or header limit is
// answered (413/431) and the connection closed; a malformed request gets 400 and a close.
// The session counts in its listener's ConnectionLimit: idle while waiting for a header,
// busy from header to answer, evictable while idle. The session owns itself through
// shared_ptr and ends when the connection does. Instantiated for TCP and unix-domain stream
// sockets (session.cpp), and on the peer API for TCP under TLS (tls_session.hpp).

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <memory>
#include <optional>
#include <utility>

#include "agent/api/connection_limit.hpp"
#include "agent/api/server_options.hpp"

namespace pydio::agent::api {

// `Stream` is the plain stream or, on the peer API, a TLS stream over it (tls_session.hpp).
template <class Protocol, class Stream = boost::beast::basic_stream<Protocol>>
class Session : public std::enable_shared_from_this<Session<Protocol, Stream>> {
 public:
  using Socket = typename Protocol::socket;

  // `connection`: a socket or a stream to build `Stream` from. `peer`: TLS only, who connected.
  // `admitted`: TLS only, the place in `connections` taken before the handshake.
  template <class Connection>
  Session(Connection&& connection, std::shared_ptr<const ServerOptions> options,
          std::shared_ptr<ConnectionLimit> connections, PeerIdentity peer = {},
          std::optional<ConnectionLimit::Id> admitted = std::nullopt)
      : stream_(std::forward<Connection>(connection)),
        options_(std::move(options)),
        connections_(std::move(connections)),
        id_(admitted),
        peer_(std::move(peer)) {}
  ~Session();
  // Takes a place in the connection limit, or its own eviction for the place taken before
  // (closes the connection when refused), and starts reading the first request. The session keeps itself alive until the connection ends.
  void run();

 private:
  void read_request();
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  // Answers a failed read (timeout, limit, malformed) and returns true; false when ec is 0.
  bool handled_read_error(boost::beast::error_code ec);
  // Runs the handler; an exception becomes a 500 answer.
  Response respond(const Request& request) const;
  void write_response(Response response);
  void on_write(bool close, boost::beast::error_code ec, std::size_t bytes);
  void close();
  // Closes after an error answer while the client may still be sending: stops sending, then
  // discards what arrives until EOF or a short timeout, so closing with unread data does not
  // reset the connection before the client has read the answer.
  void linger_then_close();
  void on_linger_read(boost::beast::error_code ec, std::size_t bytes);

  Stream stream_;
  std::shared_ptr<const ServerOptions> options_;
  std::shared_ptr<ConnectionLimit> connections_;
  std::optional<ConnectionLimit::Id> id_;  // set by run() when admitted
  PeerIdentity peer_;                      // TLS only: who connected
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  Response response_;    // kept here until its asynchronous write completes
  bool linger_ = false;  // the request was not read to its end: linger before closing
  std::array<char, 4096> discard_{};
};

extern template class Session<boost::asio::ip::tcp>;
extern template class Session<boost::asio::local::stream_protocol>;

}  // namespace pydio::agent::api
