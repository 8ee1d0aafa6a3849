// The desired-state signing key: signatures over exact bytes, and every way a signature can be
// wrong named as such.

#include "agent/cluster/signing.hpp"

#include "agent/cluster/signing_files.hpp"
#include "common/file_ops.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

using namespace pydio::agent;

namespace {
SigningKeys fresh_keys() {
  auto keys = generate_signing_keys();
  REQUIRE(keys);
  return *keys;
}
}  // namespace

TEST_CASE("a signature verifies only over the exact bytes, with the key that made it",
          "[signing]") {
  const SigningKeys keys = fresh_keys();
  const std::string text = R"({"apiVersion":"pydio-agent/v1","generation":4})";
  auto signature = sign_document(keys, text);
  REQUIRE(signature);

  SECTION("the signed bytes verify") { CHECK(verify_document(keys.public_pem, text, *signature)); }
  SECTION("one byte changed does not") {
    std::string tampered = text;
    tampered[tampered.size() - 2] = '5';
    auto verified = verify_document(keys.public_pem, tampered, *signature);
    CHECK_FALSE(verified);
    CHECK_THAT(verified.message(), Catch::StartsWith("bad signature"));
  }
  SECTION("a trailing newline is another document") {
    CHECK_FALSE(verify_document(keys.public_pem, text + "\n", *signature));
  }
  SECTION("another key's signature is named as such") {
    const SigningKeys other = fresh_keys();
    auto forged = sign_document(other, text);
    REQUIRE(forged);
    auto verified = verify_document(keys.public_pem, text, *forged);
    CHECK_FALSE(verified);
    CHECK_THAT(verified.message(), Catch::StartsWith("signed by another key"));
    CHECK_THAT(verified.message(), Catch::Contains(key_id(keys.public_pem)));
  }
  SECTION("another key claiming this key's id still fails on the bytes") {
    auto forged = nlohmann::json::parse(*sign_document(fresh_keys(), text));
    forged["keyId"] = key_id(keys.public_pem);
    auto verified = verify_document(keys.public_pem, text, forged.dump());
    CHECK_FALSE(verified);
    CHECK_THAT(verified.message(), Catch::StartsWith("bad signature"));
  }
  SECTION("no signature, or something that is not one, is refused") {
    CHECK_THAT(verify_document(keys.public_pem, text, "").message(), Catch::StartsWith("unsigned"));
    for (const std::string& junk : std::vector<std::string>{
             "x", "{}", R"({"algorithm":"rsa","signature":"AAAA"})",
             R"({"algorithm":"ed25519","signature":"not base64!"})",
             R"({"algorithm":"ed25519","signature":"AAAA"})", std::string(5000, '{')})
      CHECK_THAT(verify_document(keys.public_pem, text, junk).message(),
                 Catch::StartsWith("not a signature"));
  }
  SECTION("without a public key nothing verifies") {
    CHECK_FALSE(verify_document("", text, *signature));
    CHECK_FALSE(verify_document("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                                text, *signature));
  }
  SECTION("a node with only the public key cannot sign") {
    CHECK_FALSE(sign_document(SigningKeys{keys.public_pem, "", ""}, text));
  }
}

TEST_CASE("key ids and key pairs", "[signing]") {
  const SigningKeys keys = fresh_keys();
  const SigningKeys other = fresh_keys();
  CHECK(key_id(keys.public_pem).size() == 16);
  CHECK(key_id(keys.public_pem) != key_id(other.public_pem));
  CHECK(key_id("not a key").empty());
  CHECK(check_key_pair(keys));
  CHECK_FALSE(check_key_pair(SigningKeys{keys.public_pem, other.private_pem, ""}));
  CHECK_FALSE(check_key_pair(SigningKeys{keys.public_pem, "garbage", ""}));
}

TEST_CASE("signing keys are stored root-only and read back", "[signing]") {
  char pattern[] = "/tmp/signing-test-XXXXXX";
  const std::string base = ::mkdtemp(pattern);
  const std::string pki = base + "/pki";
  const SigningKeys keys = fresh_keys();

  auto none = load_signing_keys(pki);
  REQUIRE(none);
  CHECK_FALSE(none->has_value());

  SECTION("a storage node keeps both keys; the private one 0600 in a 0700 directory") {
    REQUIRE(save_signing_keys(pki, keys));
    struct stat st {};
    REQUIRE(::stat(pki.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    REQUIRE(::stat(signing_private_path(pki).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto loaded = load_signing_keys(pki);
    REQUIRE(loaded);
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->public_pem == keys.public_pem);
    CHECK((*loaded)->private_pem == keys.private_pem);

    ::chmod(signing_private_path(pki).c_str(), 0644);
    auto exposed = load_signing_keys(pki);
    CHECK_FALSE(exposed);
  }
  SECTION("a compute node keeps only the public key") {
    REQUIRE(save_signing_keys(pki, SigningKeys{keys.public_pem, "", ""}));
    auto loaded = load_signing_keys(pki);
    REQUIRE(loaded);
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->private_pem.empty());
    CHECK_FALSE(std::filesystem::exists(signing_private_path(pki)));
  }
  std::filesystem::remove_all(base);
}

TEST_CASE("a hostile signature envelope is refused, never a crash or an escape on a terminal",
          "[signing]") {
  const SigningKeys keys = fresh_keys();
  const std::string text = R"({"generation":4})";
  const std::string id = key_id(keys.public_pem);
  for (const std::string& value : {std::string("===="), std::string("========"),
                                   std::string("A==="), std::string(88, '='),
                                   std::string("QUJD")}) {
    INFO(value);
    const std::string envelope =
        nlohmann::json{{"algorithm", "ed25519"}, {"keyId", id}, {"signature", value}}.dump();
    auto verified = verify_document(keys.public_pem, text, envelope);
    CHECK_FALSE(verified);
    CHECK_THAT(verified.message(), Catch::StartsWith("not a signature"));
  }
  {  // a key id made to move an operator's cursor is not echoed
    const std::string envelope = nlohmann::json{{"algorithm", "ed25519"},
                                                {"keyId", "\x1b]0;owned\x07"},
                                                {"signature", std::string(86, 'A') + "=="}}
                                     .dump();
    auto verified = verify_document(keys.public_pem, text, envelope);
    CHECK_FALSE(verified);
    CHECK(verified.message().find('\x1b') == std::string::npos);
    CHECK_THAT(verified.message(), Catch::Contains("a malformed keyId"));
  }
}

TEST_CASE("a rotated key is trusted through the succession the old key signed", "[signing]") {
  const SigningKeys old_keys = fresh_keys();
  auto next = make_successor(old_keys);
  REQUIRE(next);
  const std::string text = R"({"generation":7})";
  auto signature = sign_document(*next, text);
  REQUIRE(signature);

  SECTION("a node on the old key verifies the succession, then the document, and learns the key") {
    CHECK_FALSE(verify_document(old_keys.public_pem, text, *signature));  // not the old key's
    auto signer = verify_document_or_successor(old_keys.public_pem, text, *signature);
    REQUIRE(signer);
    REQUIRE(signer->has_value());
    CHECK(key_id((*signer)->public_pem) == key_id(next->public_pem));
    CHECK((*signer)->private_pem.empty());
    CHECK_FALSE((*signer)->succession.empty());
  }
  SECTION("a node already on the new key verifies directly; the old key is refused there") {
    auto signer = verify_document_or_successor(next->public_pem, text, *signature);
    REQUIRE(signer);
    CHECK_FALSE(signer->has_value());
    auto by_old = sign_document(old_keys, text);
    REQUIRE(by_old);
    auto refused = verify_document_or_successor(next->public_pem, text, *by_old);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.status().message(), Catch::StartsWith("signed by another key"));
  }
  SECTION("an attacker's key with a succession the cluster's key did not sign: refused") {
    const SigningKeys attacker = fresh_keys();
    auto forged = make_successor(attacker);  // vouched for by the attacker's own key
    REQUIRE(forged);
    nlohmann::json succession = nlohmann::json::parse(forged->succession);
    succession["previousKeyId"] = key_id(old_keys.public_pem);  // claims the cluster's key
    forged->succession = succession.dump();
    auto forged_signature = sign_document(*forged, text);
    REQUIRE(forged_signature);
    auto refused = verify_document_or_successor(old_keys.public_pem, text, *forged_signature);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.status().message(),
               Catch::Contains("its key succession is not signed by key " +
                               key_id(old_keys.public_pem)));
  }
  SECTION("the succession's key swapped for another: refused") {
    nlohmann::json envelope = nlohmann::json::parse(*signature);
    const SigningKeys other = fresh_keys();
    envelope["succession"]["publicKey"] = other.public_pem;
    auto refused = verify_document_or_successor(old_keys.public_pem, text, envelope.dump());
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.status().message(),
               Catch::Contains("its key succession is not signed by key " +
                               key_id(old_keys.public_pem)));
  }
  SECTION("a node two rotations behind is told to join again") {
    auto third = make_successor(*next);
    REQUIRE(third);
    auto third_signature = sign_document(*third, text);
    REQUIRE(third_signature);
    auto refused = verify_document_or_successor(old_keys.public_pem, text, *third_signature);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.status().message(),
               Catch::Contains("claims to succeed key " + key_id(next->public_pem)) &&
                   Catch::Contains("--replace-signing-key"));
  }
  SECTION("the successor signs other bytes than the document: refused") {
    auto refused = verify_document_or_successor(old_keys.public_pem, text + " ", *signature);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.status().message(), Catch::StartsWith("bad signature"));
  }
  SECTION("a key without its private half cannot rotate") {
    CHECK_FALSE(make_successor(SigningKeys{old_keys.public_pem, "", ""}));
  }
}

TEST_CASE("rotated keys on disk: stored, finished after a crash, the old private key removed",
          "[signing]") {
  char pattern[] = "/tmp/signing-test-XXXXXX";
  const std::string base = ::mkdtemp(pattern);
  const std::string pki = base + "/pki";
  const SigningKeys old_keys = fresh_keys();
  auto next = make_successor(old_keys);
  REQUIRE(next);
  REQUIRE(save_signing_keys(pki, old_keys));

  SECTION("the leader keeps the successor with its succession") {
    REQUIRE(save_signing_keys(pki, *next));
    auto loaded = load_signing_keys(pki);
    REQUIRE(loaded);
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->public_pem == next->public_pem);
    CHECK((*loaded)->private_pem == next->private_pem);
    CHECK((*loaded)->succession == next->succession);
  }
  SECTION("a crash between the private and the public key's write: finished at load") {
    REQUIRE(pydio::common::write_file_atomically(signing_succession_path(pki), next->succession, 0644));
    REQUIRE(pydio::common::write_file_atomically(signing_private_path(pki), next->private_pem, 0600));
    auto loaded = load_signing_keys(pki);
    REQUIRE(loaded);
    REQUIRE(loaded->has_value());
    CHECK((*loaded)->public_pem == next->public_pem);
    CHECK((*loaded)->succession == next->succession);
    auto again = load_signing_keys(pki);  // the public key file was repaired
    REQUIRE(again);
    CHECK((*again)->public_pem == next->public_pem);
  }
  SECTION("a crash after the succession's write only: the old key stays, the file is ignored") {
    REQUIRE(pydio::common::write_file_atomically(signing_succession_path(pki), next->succession, 0644));
    auto loaded = load_signing_keys(pki);
    REQUIRE(loaded);
    CHECK((*loaded)->public_pem == old_keys.public_pem);
    CHECK((*loaded)->private_pem == old_keys.private_pem);
    CHECK((*loaded)->succession.empty());
  }
  SECTION("a follower trusts the successor: the old private key is gone") {
    REQUIRE(trust_successor_key(pki, SigningKeys{next->public_pem, "", next->succession}));
    CHECK_FALSE(std::filesystem::exists(signing_private_path(pki)));
    auto loaded = load_signing_keys(pki);
    REQUIRE(loaded);
    CHECK((*loaded)->public_pem == next->public_pem);
    CHECK((*loaded)->private_pem.empty());
    CHECK((*loaded)->succession == next->succession);
  }
  std::filesystem::remove_all(base);
}

TEST_CASE("a staged rotation is promoted or discarded, never half in force", "[signing]") {
  char pattern[] = "/tmp/signing-test-XXXXXX";
  const std::string base = ::mkdtemp(pattern);
  const std::string pki = base + "/pki";
  const SigningKeys old_keys = fresh_keys();
  auto next = make_successor(old_keys);
  REQUIRE(next);
  REQUIRE(save_signing_keys(pki, old_keys));
  REQUIRE(stage_successor_key(pki, *next));

  auto staged = load_staged_successor(pki);
  REQUIRE(staged);
  REQUIRE(staged->has_value());
  CHECK((*staged)->private_pem == next->private_pem);
  auto in_force = load_signing_keys(pki);  // staging changes nothing in force
  REQUIRE(in_force);
  CHECK((*in_force)->public_pem == old_keys.public_pem);

  SECTION("promoted: the new pair and its succession are in force, nothing staged is left") {
    REQUIRE(promote_staged_key(pki));
    auto loaded = load_signing_keys(pki);
    REQUIRE(loaded);
    CHECK((*loaded)->public_pem == next->public_pem);
    CHECK((*loaded)->private_pem == next->private_pem);
    CHECK((*loaded)->succession == next->succession);
    auto none = load_staged_successor(pki);
    REQUIRE(none);
    CHECK_FALSE(none->has_value());
  }
  SECTION("a promotion cut short after the private key: read whole, finished by promoting again") {
    REQUIRE(::rename((pki + "/signing.next.succession").c_str(),
                     signing_succession_path(pki).c_str()) == 0);
    REQUIRE(::rename((pki + "/signing.next.key").c_str(), signing_private_path(pki).c_str()) == 0);
    auto again = load_staged_successor(pki);
    REQUIRE(again);
    REQUIRE(again->has_value());
    CHECK((*again)->private_pem == next->private_pem);
    CHECK((*again)->succession == next->succession);
    REQUIRE(promote_staged_key(pki));
    auto loaded = load_signing_keys(pki);
    REQUIRE(loaded);
    CHECK((*loaded)->public_pem == next->public_pem);
  }
  SECTION("discarded: the old pair stays, nothing staged is left") {
    REQUIRE(discard_staged_key(pki));
    auto loaded = load_signing_keys(pki);
    REQUIRE(loaded);
    CHECK((*loaded)->private_pem == old_keys.private_pem);
    auto none = load_staged_successor(pki);
    REQUIRE(none);
    CHECK_FALSE(none->has_value());
  }
  SECTION("a rejoin replaces every key file with the answer's public key") {
    const SigningKeys other = fresh_keys();
    REQUIRE(replace_signing_keys(pki, SigningKeys{other.public_pem, "", ""}));
    auto loaded = load_signing_keys(pki);
    REQUIRE(loaded);
    CHECK((*loaded)->public_pem == other.public_pem);
    CHECK((*loaded)->private_pem.empty());
    CHECK((*loaded)->succession.empty());
    CHECK_FALSE(std::filesystem::exists(signing_private_path(pki)));
    CHECK_FALSE(std::filesystem::exists(pki + "/signing.next.pub"));
  }
  std::filesystem::remove_all(base);
}
