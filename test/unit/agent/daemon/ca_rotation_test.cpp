// A storage node following a CA rotation through its three documents (no network: the node holds
// both keys itself, as the leader does): the CA files it keeps at each step, the old key deleted
// once the new CA issues, its certificate renewed at once under the new CA, a CA key handed only
// for a listed CA this node holds, and a signer that cannot issue under the CA a renewing node
// expects answering 503 (that node then asks another storage node).

#include "agent/daemon/ca_rotation.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/daemon/certificate_issuer.hpp"
#include "agent/trust/ca_set.hpp"
#include "agent/trust/pki.hpp"
#include "agent/trust/pki_files.hpp"
#include "common/runner.hpp"

using namespace pydio::agent;
namespace trust = pydio::agent::trust;
using pydio::common::parse_desired_state;

namespace {

struct Node {
  Node() {
    char pattern[] = "/tmp/ca-rotation-test-XXXXXX";
    path = ::mkdtemp(pattern);
    local.node_name = "node1";
    local.address = "198.18.0.1";
    local.state_dir = path + "/state";
    local.secrets_path = path + "/secrets.json";
    local.pki_dir = path + "/pki";
  }
  ~Node() { std::filesystem::remove_all(path); }
  std::string path;
  pydio::common::LocalConfig local;
};

// docs/examples/single-node.json (node1: storage, compute, db) with `cas` listed.
std::string document(std::int64_t generation, const std::vector<std::string>& cas) {
  std::ifstream in(std::string(PYDIO_TEST_DATA_DIR) + "/../../docs/examples/single-node.json");
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = nlohmann::json::parse(text.str());
  parsed["generation"] = generation;
  if (!cas.empty()) parsed["security"]["caCertificates"] = cas;
  return parsed.dump();
}

std::string csr_for(const std::string& name) {
  return trust::make_csr(trust::generate_key().value(), name).value();
}

}  // namespace

TEST_CASE("a storage node follows a CA rotation, and hands and signs only what it may",
          "[ca_rotation]") {
  Node dir;
  const trust::KeyPair old_ca = trust::make_ca("pydio").value();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // notBefore has seconds
  const trust::KeyPair new_ca = trust::make_ca("pydio").value();
  const std::string old_pin = trust::spki_pin(old_ca.cert_pem).value();
  const std::string new_pin = trust::spki_pin(new_ca.cert_pem).value();
  const std::string key = trust::generate_key().value();
  const std::string cert =
      trust::sign_node_certificate(old_ca, trust::make_csr(key, "node1").value(), "node1",
                                   "198.18.0.1", trust::CertificateRole::kStorage)
          .value();
  // The leader's files right after begin(): the old CA issues, the new key kept beside it.
  REQUIRE(trust::save_pki(dir.local.pki_dir, trust::NodePki{old_ca.cert_pem, old_ca.key_pem, cert,
                                                            key, new_ca.key_pem}));

  EventLog events(dir.path + "/events.jsonl");
  NodeState state(dir.local, events);
  REQUIRE(state.load());
  pydio::common::SystemRunner runner;
  LeaderLink leader(state, dir.local);
  ChangeCommitter changes(state, leader, dir.local, [] {});
  ClusterReport cluster(state, leader, dir.local, runner, [] { return nlohmann::json(); });
  CertificateRenewal renewal(state, dir.local, events);
  CaRotation rotation(state, changes, leader, cluster, renewal, dir.local, events);
  CertificateIssuer issuer(state, events);
  REQUIRE(state.submit(parse_desired_state(document(2, {})))->errors.empty());

  SECTION("introducing [old, new]: both trusted, both keys kept, nothing renewed") {
    REQUIRE(state.submit(parse_desired_state(document(3, {old_ca.cert_pem, new_ca.cert_pem})))
                ->errors.empty());
    rotation.follow();
    auto pki = trust::load_pki(dir.local.pki_dir).value();
    REQUIRE(pki);
    CHECK(pki->ca_cert_pem == trust::join_certificates({old_ca.cert_pem, new_ca.cert_pem}));
    CHECK(pki->ca_key_pem == old_ca.key_pem);
    CHECK(pki->next_ca_key_pem == new_ca.key_pem);
    CHECK(pki->node_cert_pem == cert);
    CHECK(state.trust().ca_pin() == old_pin);
    const auto report = rotation.report();
    CHECK(report["phase"] == "introducing");
    CHECK(report["keys"] == nlohmann::json{old_pin, new_pin});

    // the new key goes to a storage node that asks for a listed CA; nothing else does
    CHECK(rotation.hand_key("node2", new_pin).body["caKey"] == new_ca.key_pem);
    const auto other = trust::make_ca("other").value();
    CHECK(rotation.hand_key("node2", trust::spki_pin(other.cert_pem).value()).status == 404);

    // a renewal that expects the new CA is not signed here yet: 503, another one is asked
    const auto early = issuer.issue("node1", "198.18.0.1", csr_for("node1"), new_pin);
    CHECK(early.status == 503);
    CHECK_THAT(early.body["error"].get<std::string>(), Catch::Contains("ask another storage node"));

    SECTION("issuing [new, old]: the old key is deleted, the certificate renewed at once") {
      REQUIRE(state.submit(parse_desired_state(document(4, {new_ca.cert_pem, old_ca.cert_pem})))
                  ->errors.empty());
      rotation.follow();
      pki = trust::load_pki(dir.local.pki_dir).value();
      REQUIRE(pki);
      CHECK(pki->ca_key_pem == new_ca.key_pem);
      CHECK(pki->next_ca_key_pem.empty());
      CHECK_FALSE(std::filesystem::exists(dir.local.pki_dir + "/ca-next.key"));
      CHECK(trust::issuer_index(pki->node_cert_pem, {new_ca.cert_pem}) ==
            std::optional<std::size_t>(0));
      CHECK(state.trust().ca_pin() == new_pin);
      CHECK(rotation.report()["issuer"] == new_pin);
      // the old CA's key is gone: it cannot be handed out any more
      CHECK(rotation.hand_key("node2", old_pin).status == 404);
      // a renewal under the new CA is signed by it
      const auto signed_reply = issuer.issue("web1", "198.18.0.4", csr_for("web1"), new_pin);
      REQUIRE(signed_reply.status == 200);
      CHECK(trust::verify_signed_by(signed_reply.body["nodeCert"].get<std::string>(),
                                    new_ca.cert_pem));

      SECTION("retired [new]: only the new CA is trusted") {
        REQUIRE(state.submit(parse_desired_state(document(5, {new_ca.cert_pem})))->errors.empty());
        rotation.follow();
        pki = trust::load_pki(dir.local.pki_dir).value();
        REQUIRE(pki);
        CHECK(pki->ca_cert_pem == new_ca.cert_pem);
        CHECK(rotation.report()["phase"] == "steady");
      }
    }
  }
  SECTION("a storage node without the issuing CA's key answers 503, not a certificate") {
    REQUIRE(state.trust().replace_cas(old_ca.cert_pem, "", ""));
    const auto reply = issuer.issue("web1", "198.18.0.4", csr_for("web1"));
    CHECK(reply.status == 503);
    CHECK_THAT(reply.body["error"].get<std::string>(),
               Catch::Contains("does not hold the key of the issuing CA"));
  }
  SECTION("a new key no document in force names is kept: the document may still come") {
    // begin() on a leader whose commit went through but whose answer was lost (or a node that
    // has not adopted the new document yet): this node may hold the only copy of the new key.
    rotation.follow();
    CHECK(std::filesystem::exists(dir.local.pki_dir + "/ca-next.key"));
    CHECK(state.trust().next_ca_key() == new_ca.key_pem);
    CHECK(state.trust().ca_key() == old_ca.key_pem);
    // the same with a steady list in force (a rotation ran before)
    REQUIRE(state.submit(parse_desired_state(document(3, {old_ca.cert_pem})))->errors.empty());
    rotation.follow();
    CHECK(trust::load_pki(dir.local.pki_dir).value()->next_ca_key_pem == new_ca.key_pem);
    // and once the document naming it arrives, the node is already holding its key
    REQUIRE(state.submit(parse_desired_state(document(4, {old_ca.cert_pem, new_ca.cert_pem})))
                ->errors.empty());
    rotation.follow();
    CHECK(rotation.report()["keys"] == nlohmann::json{old_pin, new_pin});
  }
}
