#include "agent/cluster/http_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/system/system_error.hpp>
#include <optional>
#include <utility>

namespace pydio::agent::api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::uint64_t kResponseBodyLimit = 16 * 1024 * 1024;

ExchangeFailure classify_connect_error(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return ExchangeFailure::kTimedOut;
  if (ec == net::error::connection_refused || ec == net::error::not_found ||
      ec == boost::system::errc::no_such_file_or_directory ||
      ec == boost::system::errc::not_a_directory) {
    return ExchangeFailure::kNotListening;
  }
  return ExchangeFailure::kConnectFailed;
}

// Runs connect, write, read as asynchronous operations on a private io_context, because
// basic_stream's timeout only applies to asynchronous operations. The deadline is set once
// so it bounds the whole exchange.
template <class Protocol>
Exchange run_exchange(const typename Protocol::endpoint& endpoint, Request request,
                      std::chrono::milliseconds timeout) {
  net::io_context ioc;
  beast::basic_stream<Protocol> stream(ioc);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kResponseBodyLimit);
  Exchange result;

  if (request.find(http::field::host) == request.end()) request.set(http::field::host, "localhost");
  request.prepare_payload();

  auto fail = [&](ExchangeFailure kind, const beast::error_code& ec) {
    result.failure = ec == beast::error::timeout ? ExchangeFailure::kTimedOut : kind;
    result.error = ec == beast::error::timeout
                       ? "no answer within " + std::to_string(timeout.count()) + " ms"
                       : ec.message();
  };

  stream.expires_after(timeout);
  stream.async_connect(endpoint, [&](beast::error_code ec) {
    if (ec) {
      fail(classify_connect_error(ec), ec);
      return;
    }
    http::async_write(stream, request, [&](beast::error_code write_ec, std::size_t) {
      if (write_ec) {
        fail(ExchangeFailure::kBroken, write_ec);
        return;
      }
      http::async_read(stream, buffer, parser, [&](beast::error_code read_ec, std::size_t) {
        if (read_ec) {
          fail(ExchangeFailure::kBroken, read_ec);
          return;
        }
        result.response = parser.release();
      });
    });
  });
  ioc.run();

  beast::error_code ignored;
  stream.socket().shutdown(Protocol::socket::shutdown_both, ignored);
  return result;
}

}  // namespace

Exchange exchange_unix(const std::string& socket_path, Request request,
                       std::chrono::milliseconds timeout) {
  try {
    net::local::stream_protocol::endpoint endpoint(socket_path);
    return run_exchange<net::local::stream_protocol>(endpoint, std::move(request), timeout);
  } catch (const boost::system::system_error& e) {  // path longer than sun_path
    return Exchange{ExchangeFailure::kConnectFailed, socket_path + ": " + e.code().message(), {}};
  }
}

Exchange exchange_tcp(const std::string& host, std::uint16_t port, Request request,
                      std::chrono::milliseconds timeout) {
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) return Exchange{ExchangeFailure::kConnectFailed, host + ": " + ec.message(), {}};
  return run_exchange<net::ip::tcp>(net::ip::tcp::endpoint(address, port), std::move(request),
                                    timeout);
}

}  // namespace pydio::agent::api
