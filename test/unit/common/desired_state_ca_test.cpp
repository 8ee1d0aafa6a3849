// security.caCertificates in the desired state: each entry one self-signed CA certificate, a
// few at most, no CA twice; errors name the entry; written back unchanged, and left out when
// empty so documents without a CA rotation read as before.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/trust/pki.hpp"
#include "common/desired_state.hpp"

namespace {

using nlohmann::json;
using pydio::common::parse_desired_state;
using pydio::common::serialize_desired_state;
using pydio::common::validate_desired_state;
namespace trust = pydio::agent::trust;

json document_with(const json& cas) {
  json document = {{"apiVersion", "pydio-agent/v1"},
                   {"generation", 2},
                   {"cluster", {{"name", "pydio"}}},
                   {"nodes",
                    {{{"name", "node1"},
                      {"address", "198.18.0.1"},
                      {"roles", {"storage", "compute", "db"}},
                      {"bricks",
                       {{{"name", "data"}, {"device", "/dev/xvdb"}, {"mountpoint", "/data"}},
                        {{"name", "config"}, {"directory", "/data/config-brick"}}}}}}},
                   {"volumes",
                    {{{"name", "pydio-data"}, {"replica", 1}, {"brick", "data"}},
                     {{"name", "pydio-config"}, {"replica", 1}, {"brick", "config"}}}}};
  if (!cas.is_null()) document["security"]["caCertificates"] = cas;
  return document;
}

std::string new_ca(const std::string& name) {
  auto ca = trust::make_ca(name);
  REQUIRE(ca);
  return ca->cert_pem;
}

// A node certificate: a certificate, but not a CA.
std::string node_certificate(const std::string& ca_name) {
  auto ca = trust::make_ca(ca_name);
  REQUIRE(ca);
  auto key = trust::generate_key();
  REQUIRE(key);
  auto csr = trust::make_csr(*key, "node1");
  REQUIRE(csr);
  auto cert =
      trust::sign_node_certificate(*ca, *csr, "node1", "198.18.0.1", trust::CertificateRole::kNode);
  REQUIRE(cert);
  return *cert;
}

std::vector<std::string> errors_of(const json& document) {
  return parse_desired_state(document.dump()).errors;
}

}  // namespace

TEST_CASE("the cluster CAs of the desired state are read strictly and written back unchanged",
          "[desired_state][ca_rotation]") {
  const std::string old_ca = new_ca("pydio");
  const std::string next_ca = new_ca("pydio next");

  SECTION("absent: none, and the written document has no such key") {
    auto parsed = parse_desired_state(document_with(nullptr).dump());
    REQUIRE(parsed.state);
    CHECK(parsed.state->security.ca_certificates.empty());
    CHECK(serialize_desired_state(*parsed.state).find("caCertificates") == std::string::npos);
  }
  SECTION("two CAs, in order, and the same after a round trip") {
    auto parsed = parse_desired_state(document_with({next_ca, old_ca}).dump());
    REQUIRE(parsed.errors.empty());
    CHECK(parsed.state->security.ca_certificates == std::vector<std::string>{next_ca, old_ca});
    auto again = parse_desired_state(serialize_desired_state(*parsed.state));
    REQUIRE(again.state);
    CHECK(again.state->security.ca_certificates == parsed.state->security.ca_certificates);
    CHECK(validate_desired_state(*parsed.state).empty());
  }
  SECTION("each entry must be one self-signed CA certificate; the error names the entry") {
    CHECK(errors_of(document_with({old_ca, "hello"})) ==
          std::vector<std::string>{"security.caCertificates[1]: must be one certificate in PEM "
                                   "(-----BEGIN CERTIFICATE-----)"});
    CHECK(errors_of(document_with({node_certificate("pydio")})) ==
          std::vector<std::string>{
              "security.caCertificates[0]: must be a CA certificate (basicConstraints CA:TRUE)"});
    CHECK(errors_of(document_with({old_ca + next_ca})).size() == 1);  // two in one entry
    CHECK(errors_of(document_with({old_ca + "trailing"})).size() == 1);
    CHECK(errors_of(document_with({7})).size() == 1);
    CHECK(errors_of(document_with({std::string(9000, 'a')})) ==
          std::vector<std::string>{"security.caCertificates[0]: must be at most 8192 characters"});
  }
  SECTION("no CA twice, and at most three") {
    CHECK(errors_of(document_with({old_ca, old_ca})) ==
          std::vector<std::string>{
              "security.caCertificates[1]: the same CA (public key) is listed twice"});
    const std::vector<std::string> four = {old_ca, next_ca, new_ca("a"), new_ca("b")};
    const auto errors = errors_of(document_with(four));
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::StartsWith("security.caCertificates: at most 3 certificates"));
  }
  SECTION("a state built in code gets the reader's words") {
    auto parsed = parse_desired_state(document_with(nullptr).dump());
    REQUIRE(parsed.state);
    auto state = *parsed.state;
    state.security.ca_certificates = {old_ca, "not a certificate", old_ca};
    CHECK(validate_desired_state(state) ==
          std::vector<std::string>{"security.caCertificates[1]: must be one certificate in PEM "
                                   "(-----BEGIN CERTIFICATE-----)",
                                   "security.caCertificates[2]: the same CA (public key) is "
                                   "listed twice"});
  }
}
