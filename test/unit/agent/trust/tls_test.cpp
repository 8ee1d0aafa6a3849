// The peer API's TLS over loopback: a node certificate is seen by the handler as the node's
// name, a client without a certificate gets through only as anonymous, a certificate of
// another CA never reaches the handler, and a joiner's pin check names both hashes.

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "agent/api/http_server.hpp"
#include "agent/cluster/tls_client.hpp"
#include "agent/trust/pki.hpp"
#include "agent/trust/pki_files.hpp"
#include "agent/trust/tls_context.hpp"

using namespace pydio::agent;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

namespace {

// A node PKI for `name` at 127.0.0.1 signed by `ca`.
trust::NodePki node_pki(const trust::KeyPair& ca, const std::string& name,
                        trust::CertificateRole role = trust::CertificateRole::kStorage) {
  auto key = trust::generate_key().value();
  auto cert = trust::sign_node_certificate(ca, trust::make_csr(key, name).value(), name,
                                           "127.0.0.1", role);
  return trust::NodePki{ca.cert_pem, "", cert.value(), key};
}

// A TLS server on 127.0.0.1 whose handler answers with the identity it was given.
struct Server {
  explicit Server(const trust::NodePki& pki) {
    api::ServerOptions options;
    options.tls =
        trust::make_server_context(pki.ca_cert_pem, pki.node_cert_pem, pki.node_key_pem).value();
    options.identified_handler = [](const api::Request& request, const api::PeerIdentity& peer) {
      return api::json_response(request, http::status::ok,
                                {{"name", peer.certificate_name}, {"address", peer.address}});
    };
    server.emplace(ioc, options);
    port = server->listen_tcp("127.0.0.1:0").value();
    thread = std::thread([this] { ioc.run(); });
  }
  ~Server() {
    server->stop();
    ioc.stop();
    thread.join();
  }
  boost::asio::io_context ioc;
  std::optional<api::HttpServer> server;
  std::uint16_t port = 0;
  std::thread thread;
};

api::Exchange ask(Server& server, trust::TlsContext& tls) {
  return api::exchange_tls("127.0.0.1", server.port, api::Request(http::verb::get, "/who", 11), 5s,
                           tls);
}

}  // namespace

TEST_CASE("TLS between agents: the handler learns the verified node name", "[tls]") {
  auto ca = trust::make_ca("demo").value();
  Server server(node_pki(ca, "n1"));

  SECTION("a node certificate of the cluster: its CN and the source address") {
    auto me = node_pki(ca, "web1");
    auto tls = trust::make_client_context(ca.cert_pem, me.node_cert_pem, me.node_key_pem).value();
    auto answer = ask(server, *tls);
    REQUIRE(answer.ok());
    auto body = nlohmann::json::parse(answer.response.body());
    CHECK(body["name"] == "web1");
    CHECK(body["address"] == "127.0.0.1");
  }
  SECTION("no client certificate: anonymous (only the join route admits it)") {
    auto tls = trust::make_client_context(ca.cert_pem, "", "").value();
    auto answer = ask(server, *tls);
    REQUIRE(answer.ok());
    CHECK(nlohmann::json::parse(answer.response.body())["name"] == "");
  }
  SECTION("a client certificate of another CA: the handshake fails, nothing is answered") {
    auto other = trust::make_ca("other").value();
    auto stranger = node_pki(other, "n1");
    // The stranger trusts the real CA (it knows the public certificate), so only its own
    // certificate can be the reason it is refused.
    auto tls =
        trust::make_client_context(ca.cert_pem, stranger.node_cert_pem, stranger.node_key_pem)
            .value();
    auto answer = ask(server, *tls);
    CHECK_FALSE(answer.ok());
  }
  SECTION("a server of another CA: the client refuses it before sending anything") {
    auto other = trust::make_ca("other").value();
    auto me = node_pki(ca, "web1");
    Server squatter(node_pki(other, "n1"));
    auto tls = trust::make_client_context(ca.cert_pem, me.node_cert_pem, me.node_key_pem).value();
    auto answer = ask(squatter, *tls);
    REQUIRE_FALSE(answer.ok());
    CHECK(answer.error.find("TLS handshake") != std::string::npos);
  }
}

TEST_CASE("a joiner reads the CA a server presents and compares it with the pin", "[tls]") {
  auto ca = trust::make_ca("demo").value();
  Server server(node_pki(ca, "n1"));
  const std::string pin = trust::spki_pin(ca.cert_pem).value();

  SECTION("the right pin: the CA certificate") {
    auto fetched = api::fetch_pinned_ca("127.0.0.1", server.port, pin, 5s);
    REQUIRE(fetched);
    CHECK(trust::spki_pin(*fetched).value() == pin);
  }
  SECTION("another pin: refused, naming both hashes") {
    const std::string wrong = "sha256:" + std::string(64, '0');
    auto fetched = api::fetch_pinned_ca("127.0.0.1", server.port, wrong, 5s);
    REQUIRE_FALSE(fetched);
    const std::string message = fetched.status().message();
    CHECK(message.find(pin) != std::string::npos);
    CHECK(message.find(wrong) != std::string::npos);
    CHECK(message.find("refusing to send the join token") != std::string::npos);
  }
}

TEST_CASE("a joiner sends its token only to a storage node of the pinned CA", "[tls]") {
  auto ca = trust::make_ca("demo").value();
  const std::string pin = trust::spki_pin(ca.cert_pem).value();
  // A compute node of the cluster (root there may be the web application's attacker).
  Server compute(node_pki(ca, "web1", trust::CertificateRole::kNode));

  SECTION("the pin step names why, before any secret is sent") {
    auto fetched = api::fetch_pinned_ca("127.0.0.1", compute.port, pin, 5s);
    REQUIRE_FALSE(fetched);
    const std::string message = fetched.status().message();
    CHECK(message.find("not a storage node") != std::string::npos);
    CHECK(message.find("refusing to send the join token") != std::string::npos);
  }
  SECTION("the joiner's TLS context completes no handshake with it") {
    auto tls = trust::make_joiner_context(ca.cert_pem).value();
    auto answer = ask(compute, *tls);
    REQUIRE_FALSE(answer.ok());
    CHECK(answer.error.find("TLS handshake") != std::string::npos);
  }
  SECTION("a storage node: both pass") {
    Server storage(node_pki(ca, "n1", trust::CertificateRole::kStorage));
    CHECK(api::fetch_pinned_ca("127.0.0.1", storage.port, pin, 5s));
    auto tls = trust::make_joiner_context(ca.cert_pem).value();
    CHECK(ask(storage, *tls).ok());
  }
}
