// The cluster's X.509 primitives: a CA, node certificates signed from a joiner's request, the
// CA pin, and the files on disk with their modes.

#include "agent/trust/pki.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/trust/pki_files.hpp"

using namespace pydio::agent::trust;

namespace {

struct TempDir {
  TempDir() {
    char pattern[] = "/tmp/pki-test-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

}  // namespace

TEST_CASE("a node certificate is signed for the name and address the signer decides", "[pki]") {
  auto ca = make_ca("demo");
  REQUIRE(ca);
  auto key = generate_key();
  REQUIRE(key);
  auto csr = make_csr(*key, "claims-to-be-n1");
  REQUIRE(csr);

  auto cert = sign_node_certificate(*ca, *csr, "web1", "198.18.0.4", CertificateRole::kNode);
  REQUIRE(cert);
  CHECK(verify_signed_by(*cert, ca->cert_pem));
  CHECK(key_matches(*key, *cert));
  CHECK(common_name(*cert).value() == "web1");  // not what the request claimed
  auto life = remaining_life(*cert);
  REQUIRE(life);
  CHECK(life->count() > (kNodeLifetimeDays - 1) * 24 * 3600);
  CHECK(life->count() <= kNodeLifetimeDays * 24 * 3600);

  SECTION("another CA's certificate does not verify against this one") {
    auto other = make_ca("other");
    REQUIRE(other);
    auto foreign = sign_node_certificate(*other, *csr, "web1", "198.18.0.4", CertificateRole::kNode);
    REQUIRE(foreign);
    auto verified = verify_signed_by(*foreign, ca->cert_pem);
    REQUIRE_FALSE(verified);
    CHECK(verified.message().find("does not verify against the cluster CA") != std::string::npos);
  }
  SECTION("a request whose signature does not verify is refused") {
    std::string tampered = *csr;
    tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
    CHECK_FALSE(sign_node_certificate(*ca, tampered, "web1", "198.18.0.4", CertificateRole::kNode));
    CHECK_FALSE(sign_node_certificate(*ca, "not a request", "web1", "198.18.0.4", CertificateRole::kNode));
  }
  SECTION("only a certificate signed as a storage node's says so (OU=storage)") {
    CHECK_FALSE(certifies_storage(*cert));
    auto storage = sign_node_certificate(*ca, *csr, "n1", "198.18.0.1", CertificateRole::kStorage);
    REQUIRE(storage);
    CHECK(certifies_storage(*storage));
    CHECK(common_name(*storage).value() == "n1");
    CHECK_FALSE(certifies_storage("not a certificate"));
  }
  SECTION("a key that is not the certificate's does not match") {
    auto other_key = generate_key();
    REQUIRE(other_key);
    CHECK_FALSE(key_matches(*other_key, *cert));
  }
}

TEST_CASE("the CA pin is the SHA-256 of its SubjectPublicKeyInfo", "[pki]") {
  auto ca = make_ca("demo");
  REQUIRE(ca);
  auto pin = spki_pin(ca->cert_pem);
  REQUIRE(pin);
  CHECK(pin->size() == 7 + 64);
  CHECK(pin->rfind("sha256:", 0) == 0);
  CHECK(spki_pin(ca->cert_pem).value() == *pin);               // stable
  CHECK(spki_pin(make_ca("demo")->cert_pem).value() != *pin);  // a new key, a new pin

  SECTION("the same as openssl computes it (kubeadm's recipe)") {
    TempDir dir;
    const std::string file = dir.path + "/ca.crt";
    std::ofstream(file) << ca->cert_pem;
    const std::string command = "openssl x509 -pubkey -noout -in " + file +
                                " | openssl pkey -pubin -outform der | sha256sum > " + dir.path +
                                "/pin";
    REQUIRE(std::system(command.c_str()) == 0);
    std::ifstream in(dir.path + "/pin");
    std::string hex;
    in >> hex;
    CHECK("sha256:" + hex == *pin);
  }
}

TEST_CASE("the PKI files: keys 0600, the CA key only where given, a mismatch refused", "[pki]") {
  TempDir dir;
  const std::string pki_dir = dir.path + "/pki";
  CHECK_FALSE(load_pki(pki_dir).value().has_value());  // nothing yet: not an error

  auto first = create_first_node_pki("demo", "n1", "198.18.0.1");
  REQUIRE(first);
  REQUIRE(save_pki(pki_dir, *first));
  struct stat st {};
  REQUIRE(::stat(pki_dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  for (const char* key : {"/ca.key", "/node.key"}) {
    REQUIRE(::stat((pki_dir + key).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  auto loaded = load_pki(pki_dir);
  REQUIRE(loaded);
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->node_cert_pem == first->node_cert_pem);
  CHECK((*loaded)->ca_key_pem == first->ca_key_pem);

  SECTION("a node that may not lead keeps no CA key") {
    NodePki compute = *first;
    compute.ca_key_pem.clear();
    REQUIRE(save_pki(pki_dir, compute));
    CHECK(::access((pki_dir + "/ca.key").c_str(), F_OK) != 0);
    CHECK(load_pki(pki_dir).value()->ca_key_pem.empty());
  }
  SECTION("a key readable by others is refused, naming the file and mode") {
    ::chmod((pki_dir + "/node.key").c_str(), 0644);
    auto refused = load_pki(pki_dir);
    REQUIRE_FALSE(refused);
    CHECK(refused.status().message() ==
          pki_dir + "/node.key: mode 644 lets others read a private key; expected 0600");
  }
  SECTION("a node key that is not the certificate's is refused") {
    NodePki mismatched = *first;
    mismatched.node_key_pem = generate_key().value();
    REQUIRE(save_pki(pki_dir, mismatched));
    CHECK_FALSE(load_pki(pki_dir));
  }
}
