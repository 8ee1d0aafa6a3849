// The cluster CAs of a rotation: which CA issued a certificate (by signature, whatever the
// names), the phase a list is in, which CA keys a storage node keeps, and the files on disk as
// a rotation replaces them.

#include "agent/trust/ca_set.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/trust/node_trust.hpp"
#include "agent/trust/pki.hpp"
#include "agent/trust/pki_files.hpp"

using namespace pydio::agent::trust;

namespace {

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/ca-set-test-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

// Two CAs of one cluster, the second made (at least) a second after the first, as a rotation
// makes them; the same name on purpose: names never decide.
struct TwoCas {
  TwoCas() {
    old_ca = make_ca("pydio").value();
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // notBefore has seconds
    new_ca = make_ca("pydio").value();
  }
  KeyPair old_ca;
  KeyPair new_ca;
};

std::string node_cert(const KeyPair& ca, const std::string& key) {
  auto csr = make_csr(key, "web1");
  REQUIRE(csr);
  auto cert = sign_node_certificate(ca, *csr, "web1", "198.18.0.4", CertificateRole::kNode);
  REQUIRE(cert);
  return *cert;
}

}  // namespace

TEST_CASE("the CAs of a rotation: issuer, phase and keys kept", "[pki][ca_rotation]") {
  const TwoCas cas;
  const std::string& old_cert = cas.old_ca.cert_pem;
  const std::string& new_cert = cas.new_ca.cert_pem;

  SECTION("a bundle splits into its certificates and joins back") {
    const std::string bundle = join_certificates({new_cert, old_cert});
    const auto split = split_certificates(bundle);
    REQUIRE(split.size() == 2);
    CHECK(split[0] == new_cert);
    CHECK(split[1] == old_cert);
    CHECK(join_certificates(split) == bundle);
    CHECK(split_certificates("no certificate here").empty());
  }
  SECTION("the CA that issued a certificate is found by its signature, not by its name") {
    const std::string key = generate_key().value();
    const std::string by_new = node_cert(cas.new_ca, key);
    const std::string by_old = node_cert(cas.old_ca, key);
    CHECK(issuer_index(by_new, {old_cert, new_cert}) == std::optional<std::size_t>(1));
    CHECK(issuer_index(by_old, {old_cert, new_cert}) == std::optional<std::size_t>(0));
    CHECK_FALSE(issuer_index(by_old, {new_cert}));
    CHECK_FALSE(issuer_index("garbage", {old_cert}));
  }
  SECTION("the phase comes from the CAs' age: old first introduces, new first retires") {
    CHECK(made_after(new_cert, old_cert));
    CHECK_FALSE(made_after(old_cert, new_cert));
    CHECK(ca_phase({}) == CaPhase::kSteady);
    CHECK(ca_phase({new_cert}) == CaPhase::kSteady);
    CHECK(ca_phase({old_cert, new_cert}) == CaPhase::kIntroducing);
    CHECK(ca_phase({new_cert, old_cert}) == CaPhase::kRetiring);
    CHECK(newest_ca({old_cert, new_cert}) == new_cert);
  }
  SECTION("a storage node keeps the issuing CA's key, and the new one's only while introducing") {
    CHECK(ca_keys_wanted({old_cert, new_cert}) == std::vector<std::string>{old_cert, new_cert});
    CHECK(ca_keys_wanted({new_cert, old_cert}) == std::vector<std::string>{new_cert});
    CHECK(ca_keys_wanted({new_cert}) == std::vector<std::string>{new_cert});
    CHECK(ca_keys_wanted({}).empty());
  }
  SECTION("the files of a rotation: ca.crt the bundle, ca.key the issuing CA's, ca-next.key") {
    TempDir dir;
    const std::string key = generate_key().value();
    REQUIRE(
        save_pki(dir.path, NodePki{old_cert, cas.old_ca.key_pem, node_cert(cas.old_ca, key), key}));
    NodeTrust node(dir.path);
    REQUIRE(node.load());
    const std::string old_pin = node.ca_pin();

    // introducing: both trusted, the new key beside the old one
    REQUIRE(node.replace_cas(join_certificates({old_cert, new_cert}), cas.old_ca.key_pem,
                             cas.new_ca.key_pem));
    auto loaded = load_pki(dir.path).value();
    REQUIRE(loaded);
    CHECK(loaded->ca_cert_pem == join_certificates({old_cert, new_cert}));
    CHECK(loaded->ca_key_pem == cas.old_ca.key_pem);
    CHECK(loaded->next_ca_key_pem == cas.new_ca.key_pem);
    CHECK(node.ca_pin() == old_pin);  // the old CA still issues: joiners pin it

    // the new CA issues: the old key is gone from disk, the pin is the new CA's
    REQUIRE(node.replace_cas(join_certificates({new_cert, old_cert}), cas.new_ca.key_pem, ""));
    loaded = load_pki(dir.path).value();
    REQUIRE(loaded);
    CHECK(loaded->ca_key_pem == cas.new_ca.key_pem);
    CHECK(loaded->next_ca_key_pem.empty());
    CHECK_FALSE(std::filesystem::exists(dir.path + "/ca-next.key"));
    CHECK(node.ca_pin() == spki_pin(new_cert).value());
    CHECK(node.can_sign());

    // a key that is not the issuing CA's is refused, nothing changes
    CHECK_FALSE(node.replace_cas(join_certificates({new_cert}), cas.old_ca.key_pem, ""));
    CHECK(load_pki(dir.path).value()->ca_cert_pem == join_certificates({new_cert, old_cert}));

    // retired: only the new CA
    REQUIRE(node.replace_cas(new_cert, cas.new_ca.key_pem, ""));
    CHECK(load_pki(dir.path).value()->ca_cert_pem == new_cert);
  }
}

TEST_CASE("a rotation starts only with a younger CA, and a joiner takes only the listed CAs",
          "[pki][ca_rotation]") {
  const TwoCas cas;
  const std::string& old_cert = cas.old_ca.cert_pem;
  const std::string& new_cert = cas.new_ca.cert_pem;
  const std::string old_pin = spki_pin(old_cert).value();
  const std::string new_pin = spki_pin(new_cert).value();

  SECTION("the new CA must be made strictly after the issuing one") {
    CHECK(new_ca_age_refusal(old_cert, new_cert).empty());
    // a leader whose clock is behind the node that made the issuing CA
    const std::string refusal = new_ca_age_refusal(new_cert, old_cert);
    CHECK_THAT(refusal, Catch::Contains("clock"));
    CHECK_THAT(refusal, Catch::Contains("notBefore"));
    // the same second: [current, next] would read as retiring
    CHECK_FALSE(new_ca_age_refusal(old_cert, old_cert).empty());
  }
  SECTION("the join answer's bundle is exactly what the signed document lists") {
    const std::string other = make_ca("other").value().cert_pem;
    // nothing listed: only the pinned CA, alone
    CHECK(join_bundle_refusal(old_cert, {}, old_pin).empty());
    CHECK_FALSE(join_bundle_refusal(old_cert, {}, new_pin).empty());
    CHECK_FALSE(join_bundle_refusal(join_certificates({old_cert, other}), {}, old_pin).empty());
    CHECK_FALSE(join_bundle_refusal("", {}, old_pin).empty());
    // listed: the same CAs in the same order, nothing more, nothing less
    CHECK(
        join_bundle_refusal(join_certificates({old_cert, new_cert}), {old_cert, new_cert}, old_pin)
            .empty());
    CHECK_FALSE(
        join_bundle_refusal(join_certificates({old_cert, other}), {old_cert, new_cert}, old_pin)
            .empty());
    CHECK_FALSE(join_bundle_refusal(join_certificates({old_cert, new_cert, other}),
                                    {old_cert, new_cert}, old_pin)
                    .empty());
    CHECK_FALSE(join_bundle_refusal(old_cert, {old_cert, new_cert}, old_pin).empty());
  }
}

TEST_CASE("ca.key is touched only when the issuing CA changes, and never lost on the way",
          "[pki][ca_rotation]") {
  const TwoCas cas;
  const std::string& old_cert = cas.old_ca.cert_pem;
  const std::string& new_cert = cas.new_ca.cert_pem;
  TempDir dir;
  const std::string key = generate_key().value();
  REQUIRE(
      save_pki(dir.path, NodePki{old_cert, cas.old_ca.key_pem, node_cert(cas.old_ca, key), key}));
  // A second name for ca.key: it still names the same file only if ca.key was never replaced.
  std::filesystem::create_hard_link(dir.path + "/ca.key", dir.path + "/ca.key.link");
  const auto links = [&dir] {
    struct stat st {};
    REQUIRE(::stat((dir.path + "/ca.key").c_str(), &st) == 0);
    return st.st_nlink;
  };

  SECTION("the same issuing CA: ca.key stays the very same file") {
    REQUIRE(links() == 2);
    REQUIRE(save_cas(dir.path, join_certificates({old_cert, new_cert}), cas.old_ca.key_pem,
                     cas.new_ca.key_pem));
    CHECK(links() == 2);
    REQUIRE(save_cas(dir.path, old_cert, cas.old_ca.key_pem, ""));
    CHECK(links() == 2);
    CHECK(load_pki(dir.path).value()->ca_key_pem == cas.old_ca.key_pem);
  }
  SECTION("another issuing CA: its key in place, nothing staged left") {
    REQUIRE(save_cas(dir.path, join_certificates({new_cert, old_cert}), cas.new_ca.key_pem, ""));
    auto loaded = load_pki(dir.path).value();
    CHECK(loaded->ca_key_pem == cas.new_ca.key_pem);
    CHECK_FALSE(std::filesystem::exists(dir.path + "/ca.key.next"));
  }
  SECTION("a crash after ca.crt changed but before the staged key was renamed: completed") {
    REQUIRE(save_cas(dir.path, join_certificates({new_cert, old_cert}), cas.new_ca.key_pem, ""));
    std::filesystem::rename(dir.path + "/ca.key", dir.path + "/ca.key.next");
    auto loaded = load_pki(dir.path).value();
    REQUIRE(loaded);
    CHECK(loaded->ca_key_pem == cas.new_ca.key_pem);
    CHECK_FALSE(std::filesystem::exists(dir.path + "/ca.key.next"));
  }
  SECTION("a crash before ca.crt changed: the staged key goes, the set stays whole") {
    {
      std::ofstream staged(dir.path + "/ca.key.next");
      staged << cas.new_ca.key_pem;
    }
    std::filesystem::permissions(
        dir.path + "/ca.key.next",
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto loaded = load_pki(dir.path).value();
    REQUIRE(loaded);
    CHECK(loaded->ca_key_pem == cas.old_ca.key_pem);
    CHECK_FALSE(std::filesystem::exists(dir.path + "/ca.key.next"));
  }
}
