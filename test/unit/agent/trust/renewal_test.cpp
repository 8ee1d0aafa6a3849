// Certificate renewal, the pure parts: when the window opens, what a signer accepts in a
// request, the crash-safe replacement of node.key and node.crt, and a renewal in force.

#include "agent/trust/renewal.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/trust/node_trust.hpp"
#include "agent/trust/pki.hpp"
#include "agent/trust/pki_files.hpp"

using namespace pydio::agent::trust;
using namespace std::chrono_literals;

namespace {

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/renewal-test-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// A second certificate of the same CA for node n1 at 198.18.0.1, with its key.
std::pair<std::string, std::string> renewed_pair(const NodePki& pki) {
  const std::string key = generate_key().value();
  const std::string cert =
      sign_node_certificate(KeyPair{pki.ca_key_pem, pki.ca_cert_pem}, make_csr(key, "n1").value(),
                            "n1", "198.18.0.1", CertificateRole::kStorage)
          .value();
  return {cert, key};
}

}  // namespace

TEST_CASE("the renewal window opens when a third of the lifetime remains", "[renewal]") {
  const Clock::time_point start = Clock::from_time_t(1'800'000'000);
  const Clock::time_point end = start + 365 * 24h;  // the agents' one-year certificate
  const Clock::time_point opens = renewal_opens(start, end);

  SECTION("one year: the window opens about 121.7 days before the end") {
    CHECK(std::chrono::duration_cast<std::chrono::hours>(end - opens).count() == 365 * 24 / 3);
  }
  SECTION("before, inside, at the end and past it") {
    CHECK(renewal_need(start, end, start) == RenewalNeed::kNotYet);
    CHECK(renewal_need(start, end, opens - 1s) == RenewalNeed::kNotYet);
    CHECK(renewal_need(start, end, opens) == RenewalNeed::kDue);
    CHECK(renewal_need(start, end, end - 1s) == RenewalNeed::kDue);
    CHECK(renewal_need(start, end, end) == RenewalNeed::kExpired);
    CHECK(renewal_need(start, end, end + 100 * 24h) == RenewalNeed::kExpired);
  }
  SECTION("not valid yet counts as expired: the peers refuse it just the same") {
    CHECK(renewal_need(start, end, start - 1s) == RenewalNeed::kExpired);
  }
  SECTION("the window follows each certificate's own lifetime") {
    // 25 days long, 5 left (what the scenario plants): due; 33 days long, 13 left: not yet.
    const Clock::time_point now = start + 20 * 24h;
    CHECK(renewal_need(start, start + 25 * 24h, now) == RenewalNeed::kDue);
    CHECK(renewal_need(start, start + 33 * 24h, now) == RenewalNeed::kNotYet);
  }
  SECTION("a certificate that ends before it starts is due at once") {
    CHECK(renewal_opens(end, start) == end);
  }
  CHECK(renewal_need_name(RenewalNeed::kDue) == "due");
}

TEST_CASE("a renewal request is signed only for the caller's own name", "[renewal]") {
  const std::string key = generate_key().value();

  SECTION("a request for the caller's own name is accepted") {
    const RequestCheck check = check_certificate_request(make_csr(key, "web1").value(), "web1");
    CHECK(check.verdict == RequestVerdict::kAccepted);
    CHECK(check.reason.empty());
  }
  SECTION("a request for another node's name is refused, naming both") {
    const RequestCheck check = check_certificate_request(make_csr(key, "n1").value(), "web1");
    CHECK(check.verdict == RequestVerdict::kOtherNode);
    CHECK(check.reason ==
          "a node speaks only for itself: node web1 asked for a certificate of node n1");
  }
  SECTION("no caller name: refused") {
    CHECK(check_certificate_request(make_csr(key, "web1").value(), "").verdict ==
          RequestVerdict::kOtherNode);
  }
  SECTION("not a request, or a request whose signature does not verify: malformed") {
    CHECK(check_certificate_request("not pem", "web1").verdict == RequestVerdict::kMalformed);
    std::string csr = make_csr(key, "web1").value();
    // Flip one character of the base64 body near its end (inside the signature).
    const auto end_marker = csr.find("-----END");
    REQUIRE(end_marker != std::string::npos);
    char& c = csr[end_marker - 10];
    c = c == 'A' ? 'B' : 'A';
    CHECK(check_certificate_request(csr, "web1").verdict == RequestVerdict::kMalformed);
  }
}

TEST_CASE("a certificate's serial, dates and address are read back", "[renewal]") {
  const NodePki pki = create_first_node_pki("tutorial", "n1", "198.18.0.1").value();
  const auto info = certificate_info(pki.node_cert_pem);
  REQUIRE(info);
  CHECK_FALSE(info->serial.empty());
  const auto life =
      std::chrono::duration_cast<std::chrono::hours>(info->not_after - info->not_before);
  CHECK(life.count() == kNodeLifetimeDays * 24);  // 365 days plus the 5 minutes of backdating
  CHECK(names_address(pki.node_cert_pem, "198.18.0.1"));
  CHECK_FALSE(names_address(pki.node_cert_pem, "198.18.0.2"));
  auto other = renewed_pair(pki);
  CHECK(certificate_info(other.first)->serial != info->serial);
}

TEST_CASE("a renewed node key and certificate replace the old pair, even across a crash",
          "[renewal]") {
  TempDir dir;
  const NodePki pki = create_first_node_pki("tutorial", "n1", "198.18.0.1").value();
  REQUIRE(save_pki(dir.path, pki));
  const auto [cert, key] = renewed_pair(pki);

  SECTION("replaced: the new pair loads, the key is 0600 and no .next file is left") {
    REQUIRE(replace_node_certificate(dir.path, cert, key));
    auto loaded = load_pki(dir.path);
    REQUIRE(loaded);
    REQUIRE(*loaded);
    CHECK((*loaded)->node_cert_pem == cert);
    CHECK((*loaded)->node_key_pem == key);
    struct stat st {};
    REQUIRE(::stat((dir.path + "/node.key").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK_FALSE(std::filesystem::exists(dir.path + "/node.crt.next"));
    CHECK_FALSE(std::filesystem::exists(dir.path + "/node.key.next"));
  }
  SECTION("a crash after the key was renamed: the next load completes the replacement") {
    write(dir.path + "/node.crt.next", cert);
    write(dir.path + "/node.key", key);
    ::chmod((dir.path + "/node.key").c_str(), 0600);
    auto loaded = load_pki(dir.path);
    REQUIRE(loaded);
    REQUIRE(*loaded);
    CHECK((*loaded)->node_cert_pem == cert);
    CHECK(read(dir.path + "/node.crt") == cert);
    CHECK_FALSE(std::filesystem::exists(dir.path + "/node.crt.next"));
  }
  SECTION("a crash before the key was renamed: the old pair stays, the leftovers go") {
    write(dir.path + "/node.crt.next", cert);
    write(dir.path + "/node.key.next", key);
    auto loaded = load_pki(dir.path);
    REQUIRE(loaded);
    REQUIRE(*loaded);
    CHECK((*loaded)->node_cert_pem == pki.node_cert_pem);
    CHECK_FALSE(std::filesystem::exists(dir.path + "/node.crt.next"));
    CHECK_FALSE(std::filesystem::exists(dir.path + "/node.key.next"));
  }
}

TEST_CASE("NodeTrust puts a renewed certificate in force for new connections", "[renewal]") {
  TempDir dir;
  NodeTrust trust(dir.path + "/pki");
  REQUIRE(trust.ensure_first_node("tutorial", "n1", "198.18.0.1"));
  const NodePki before = trust.pki().value();
  const auto server_before = trust.server_context();
  const auto [cert, key] = renewed_pair(before);

  SECTION("renewed: the files and the contexts change, the CA stays") {
    REQUIRE(trust.renew(before.node_cert_pem, cert, key));
    CHECK(trust.pki()->node_cert_pem == cert);
    CHECK(trust.pki()->ca_cert_pem == before.ca_cert_pem);
    CHECK(trust.server_context() != server_before);
    NodeTrust reloaded(dir.path + "/pki");
    REQUIRE(reloaded.load());
    CHECK(reloaded.pki()->node_cert_pem == cert);
  }
  SECTION("the certificate changed meanwhile: refused, nothing written") {
    CHECK_FALSE(trust.renew("another certificate", cert, key));
    CHECK(read(dir.path + "/pki/node.crt") == before.node_cert_pem);
  }
  SECTION("a key that does not match, or a certificate of another CA: refused") {
    CHECK_FALSE(trust.renew(before.node_cert_pem, cert, generate_key().value()));
    const KeyPair other = make_ca("other").value();
    const std::string foreign = sign_node_certificate(other, make_csr(key, "n1").value(), "n1",
                                                      "198.18.0.1", CertificateRole::kStorage)
                                    .value();
    CHECK_FALSE(trust.renew(before.node_cert_pem, foreign, key));
    CHECK(trust.pki()->node_cert_pem == before.node_cert_pem);
  }
}
