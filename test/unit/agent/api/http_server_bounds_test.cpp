// The HTTP server under hostile clients, for real on 127.0.0.1: a header dribbled byte by
// byte is cut at the header timeout, check_header answers before the body is read, and at
// the connection cap the oldest idle connection is closed to admit a new one.

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/http_server.hpp"

namespace http = boost::beast::http;
namespace net = boost::asio;
using namespace pydio::agent::api;
using namespace std::chrono_literals;

namespace {

// A server with `options` on 127.0.0.1, its io_context on its own thread until scope end.
class RunningServer {
 public:
  explicit RunningServer(ServerOptions options) : server_(ioc_, std::move(options)) {
    auto port = server_.listen_tcp("127.0.0.1:0");
    REQUIRE(port.has_value());
    port_ = *port;
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~RunningServer() {
    server_.stop();
    ioc_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  net::io_context ioc_;
  HttpServer server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

Response ok_handler(const Request& request) {
  return json_response(request, http::status::ok, {{"ok", true}});
}

std::unique_ptr<net::ip::tcp::socket> connect(net::io_context& ioc, std::uint16_t port) {
  auto socket = std::make_unique<net::ip::tcp::socket>(ioc);
  socket->connect({net::ip::make_address("127.0.0.1"), port});
  return socket;
}

Response get_ping(net::ip::tcp::socket& socket) {
  Request request{http::verb::get, "/ping", 11};
  request.set(http::field::host, "localhost");
  http::write(socket, request);
  boost::beast::flat_buffer buffer;
  Response response;
  http::read(socket, buffer, response);
  return response;
}

// Waits (up to `deadline`) for the server to close `socket`; true when it did.
bool closed_by_server(net::ip::tcp::socket& socket, std::chrono::seconds deadline) {
  ::timeval tv{static_cast<time_t>(deadline.count()), 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char byte = 0;
  const ssize_t got = ::recv(socket.native_handle(), &byte, 1, 0);
  return got == 0 || (got < 0 && errno == ECONNRESET);
}

}  // namespace

TEST_CASE("a request header dribbled byte by byte is cut at the header timeout",
          "[http_server][bounds]") {
  ServerOptions options;
  options.handler = ok_handler;
  options.header_timeout = 1s;
  options.idle_timeout = 30s;
  RunningServer running(options);

  net::io_context ioc;
  auto socket = connect(ioc, running.port());
  const std::string header = "GET /ping HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
  const auto start = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  // One byte every 200 ms: each read makes progress, only a whole-header deadline stops it.
  for (std::size_t i = 0; !ec && std::chrono::steady_clock::now() - start < 20s; ++i) {
    net::write(*socket, net::buffer(&header[i % header.size()], 1), ec);
    std::this_thread::sleep_for(200ms);
  }
  const auto lasted = std::chrono::steady_clock::now() - start;
  CHECK(ec);  // the server closed the connection
  // Well before the idle (body) timeout of 30 s: it was the header timeout.
  CHECK(lasted < 20s);
}

TEST_CASE("check_header answers before the body is read", "[http_server][bounds]") {
  std::atomic<int> handled{0};
  ServerOptions options;
  options.handler = [&handled](const Request& request) {
    ++handled;
    return ok_handler(request);
  };
  options.check_header = [](const RequestHeader& header) -> std::optional<Response> {
    if (header.find(http::field::authorization) != header.end()) return std::nullopt;
    Request bare;
    bare.version(11);
    return error_response(bare, http::status::unauthorized, "no credential");
  };
  options.idle_timeout = 30s;
  RunningServer running(options);

  net::io_context ioc;
  SECTION("no credential: 401 at once, the announced 1 MB body never sent") {
    auto socket = connect(ioc, running.port());
    const std::string header =
        "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n";
    net::write(*socket, net::buffer(header));
    boost::beast::flat_buffer buffer;
    Response response;
    http::read(*socket, buffer, response);
    CHECK(response.result() == http::status::unauthorized);
    CHECK_FALSE(response.keep_alive());
    CHECK(handled == 0);
  }
  SECTION("with a credential: the body is read and the handler runs") {
    auto socket = connect(ioc, running.port());
    Request request{http::verb::post, "/echo", 11};
    request.set(http::field::host, "localhost");
    request.set(http::field::authorization, "Bearer x");
    request.body() = std::string(1000, 'x');
    request.prepare_payload();
    http::write(*socket, request);
    boost::beast::flat_buffer buffer;
    Response response;
    http::read(*socket, buffer, response);
    CHECK(response.result() == http::status::ok);
    CHECK(handled == 1);
  }
}

TEST_CASE("at the connection cap the oldest idle connection is closed for a new one",
          "[http_server][bounds]") {
  ServerOptions options;
  options.handler = ok_handler;
  options.max_connections = 4;
  options.header_timeout = 60s;  // only eviction may close the idle ones here
  RunningServer running(options);

  net::io_context ioc;
  std::vector<std::unique_ptr<net::ip::tcp::socket>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(connect(ioc, running.port()));
    std::this_thread::sleep_for(50ms);  // accepted in this order
  }
  auto newcomer = connect(ioc, running.port());
  CHECK(get_ping(*newcomer).result() == http::status::ok);
  CHECK(closed_by_server(*idle[0], 10s));

  // A second newcomer evicts the next oldest, never the one that just asked (now idle again
  // but younger).
  auto second = connect(ioc, running.port());
  CHECK(get_ping(*second).result() == http::status::ok);
  CHECK(closed_by_server(*idle[1], 10s));
  CHECK(get_ping(*newcomer).result() == http::status::ok);
}
