// The peer API's listener: nothing before the node has a certificate, and a port taken by
// another process is tried again every 2 s until it is free (no exit, no restart loop).

#include "agent/daemon/peer_endpoint.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

#include "agent/trust/pki_files.hpp"

using namespace pydio::agent;
using namespace std::chrono_literals;
namespace net = boost::asio;

namespace {

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/peer-endpoint-test-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

api::ServerOptions options() {
  api::ServerOptions out;
  out.identified_handler = [](const api::Request& request, const api::PeerIdentity&) {
    return api::json_response(request, boost::beast::http::status::ok, {{"ok", true}});
  };
  return out;
}

}  // namespace

TEST_CASE("the peer endpoint waits for a certificate, and for a taken port", "[peer_endpoint]") {
  TempDir dir;
  trust::NodeTrust node_trust(dir.path + "/pki");
  REQUIRE(node_trust.load());
  net::io_context ioc;

  // Another process holds a port of 127.0.0.1.
  const auto loopback = net::ip::make_address("127.0.0.1");
  net::ip::tcp::acceptor squatter(ioc, net::ip::tcp::endpoint(loopback, 0));
  const auto port = squatter.local_endpoint().port();
  PeerEndpoint endpoint(ioc, node_trust, options(), "127.0.0.1:" + std::to_string(port));

  SECTION("no certificate yet: it does not listen") { CHECK_FALSE(endpoint.ensure_listening()); }
  SECTION("with a certificate: refused while the port is taken, listening once it is free") {
    REQUIRE(node_trust.ensure_first_node("demo", "n1", "127.0.0.1"));
    endpoint.start();
    CHECK_FALSE(endpoint.ensure_listening());
    ioc.run_for(3s);  // the retry timer fires and fails again: the endpoint keeps trying
    CHECK_FALSE(endpoint.ensure_listening());
    squatter.close();
    // The retry timer binds it: wait for that (generously), never for how fast. A connect
    // succeeds once something listens (the kernel answers); it does not take the port.
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    boost::system::error_code ec = net::error::connection_refused;
    while (ec && std::chrono::steady_clock::now() < deadline) {
      ioc.run_for(100ms);
      net::ip::tcp::socket client(ioc);
      client.connect(net::ip::tcp::endpoint(loopback, port), ec);
    }
    CHECK_FALSE(ec);
    CHECK(endpoint.ensure_listening());
  }
  endpoint.stop();
}
