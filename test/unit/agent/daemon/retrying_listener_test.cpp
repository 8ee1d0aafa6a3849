// The health and metrics listeners on a port someone else holds: the agent waits for the port
// instead of exiting, and serves as soon as it is free. Real sockets on 127.0.0.1.

#include "agent/daemon/retrying_listener.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <optional>
#include <thread>

#include "agent/cluster/http_client.hpp"

namespace http = boost::beast::http;
using namespace pydio::agent;
using namespace std::chrono_literals;

namespace {

bool wait_until(const std::function<bool()>& condition, std::chrono::seconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

}  // namespace

TEST_CASE("a listener whose port is taken waits for it instead of failing",
          "[retrying_listener]") {
  // The squatter: a plain listening socket on an ephemeral port of 127.0.0.1.
  boost::asio::io_context squatter_ioc;
  std::optional<boost::asio::ip::tcp::acceptor> squatter;
  squatter.emplace(squatter_ioc, boost::asio::ip::tcp::endpoint(
                                     boost::asio::ip::make_address("127.0.0.1"), 0));
  const std::uint16_t port = squatter->local_endpoint().port();

  boost::asio::io_context ioc;
  api::ServerOptions options;
  options.handler = [](const api::Request& request) {
    return api::json_response(request, http::status::ok, {{"pong", true}});
  };
  RetryingListener listener(ioc, "test endpoint", options, "127.0.0.1:" + std::to_string(port));
  listener.start();
  auto guard = boost::asio::make_work_guard(ioc);
  std::thread loop([&] { ioc.run(); });

  CHECK_FALSE(listener.listening());  // taken: no exception, no exit, not listening
  std::this_thread::sleep_for(2500ms);  // at least one retry while still taken
  CHECK_FALSE(listener.listening());

  squatter.reset();  // the port is free again
  CHECK(wait_until([&] { return listener.listening(); }, 30s));
  auto answer = api::exchange_tcp("127.0.0.1", port,
                                  api::Request{http::verb::get, "/anything", 11}, 5s);
  REQUIRE(answer.ok());
  CHECK(answer.response.result() == http::status::ok);

  listener.stop();
  guard.reset();
  ioc.stop();
  loop.join();
}
