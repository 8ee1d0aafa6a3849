// The gate every document passes before an agent adopts it: signature first, then validation,
// cluster and generation. A forged peer reply goes through the same gate.

#include "agent/cluster/signed_document.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "agent/cluster/signing.hpp"

using namespace pydio::agent;
using nlohmann::json;

namespace {

json example(std::int64_t generation) {
  std::ifstream in(std::string(PYDIO_TEST_DATA_DIR) + "/../../docs/examples/single-node.json");
  std::stringstream text;
  text << in.rdbuf();
  json document = json::parse(text.str());
  document["generation"] = generation;
  return document;
}

SignedDocument sign(const SigningKeys& keys, const std::string& text) {
  auto signature = sign_document(keys, text);
  REQUIRE(signature);
  return SignedDocument{text, *signature};
}

}  // namespace

TEST_CASE("only a document signed by the cluster's key, valid, and newer is adopted",
          "[signed_document]") {
  const SigningKeys keys = *generate_signing_keys();
  const std::string in_force_text = example(5).dump();
  const auto in_force = pydio::common::parse_desired_state(in_force_text);
  REQUIRE(in_force.state);
  const auto check = [&](const SignedDocument& document) {
    return check_signed_document(document, keys.public_pem, in_force.state.get(), in_force_text);
  };

  SECTION("the next generation, signed, is adopted") {
    const DocumentCheck result = check(sign(keys, example(6).dump()));
    CHECK(result.verdict == DocumentVerdict::kAdopt);
    REQUIRE(result.parsed.state);
    CHECK(result.parsed.state->generation == 6);
  }
  SECTION("a first document (nothing in force) is adopted when signed") {
    CHECK(check_signed_document(sign(keys, example(1).dump()), keys.public_pem, nullptr, "")
              .verdict == DocumentVerdict::kAdopt);
  }
  SECTION("the document in force is recognised, not adopted again") {
    CHECK(check(sign(keys, in_force_text)).verdict == DocumentVerdict::kInForce);
  }
  SECTION("an unsigned document is refused before it is parsed") {
    const DocumentCheck result = check(SignedDocument{example(6).dump(), ""});
    CHECK(result.verdict == DocumentVerdict::kRefused);
    CHECK_THAT(result.reason, Catch::StartsWith("unsigned"));
    CHECK_FALSE(result.parsed.state);
  }
  SECTION("tampered bytes under a good signature are refused") {
    SignedDocument document = sign(keys, example(6).dump());
    json tampered = json::parse(document.text);
    tampered["web"]["docroot"] = "/etc";
    document.text = tampered.dump();
    const DocumentCheck result = check(document);
    CHECK(result.verdict == DocumentVerdict::kRefused);
    CHECK_THAT(result.reason, Catch::StartsWith("bad signature"));
  }
  SECTION("a document signed by a fresh random key is refused") {
    const SigningKeys other = *generate_signing_keys();
    const DocumentCheck result = check(sign(other, example(7).dump()));
    CHECK(result.verdict == DocumentVerdict::kRefused);
    CHECK_THAT(result.reason, Catch::StartsWith("signed by another key"));
  }
  SECTION("another cluster's document is refused even when signed with this key") {
    json foreign = example(9);
    foreign["cluster"]["name"] = "elsewhere";
    const DocumentCheck result = check(sign(keys, foreign.dump()));
    CHECK(result.verdict == DocumentVerdict::kRefused);
    CHECK_THAT(result.reason, Catch::Contains("for cluster elsewhere"));
  }
  SECTION("an older signed document is not adopted") {
    const DocumentCheck result = check(sign(keys, example(4).dump()));
    CHECK(result.verdict == DocumentVerdict::kOlder);
    CHECK_THAT(result.reason, Catch::Contains("older than the generation in force (5)"));
  }
  SECTION("the same generation with other content is refused") {
    json other = example(5);
    other["web"]["alias"] = "/other";
    const DocumentCheck result = check(sign(keys, other.dump()));
    CHECK(result.verdict == DocumentVerdict::kRefused);
    CHECK_THAT(result.reason, Catch::Contains("generation not increased"));
  }
  SECTION("a signed but invalid document is refused with its errors") {
    json broken = example(6);
    broken["volumes"][0]["replica"] = "two";
    const DocumentCheck result = check(sign(keys, broken.dump()));
    CHECK(result.verdict == DocumentVerdict::kRefused);
    CHECK_THAT(result.reason, Catch::Contains("volumes[0].replica"));
  }
  SECTION("a document over the size limit is refused unverified") {
    const DocumentCheck result =
        check(SignedDocument{std::string(kMaxDocumentBytes + 1, ' '), "{}"});
    CHECK(result.verdict == DocumentVerdict::kRefused);
    CHECK_THAT(result.reason, Catch::Contains("larger than the limit"));
  }
}

TEST_CASE("a forged peer reply is refused", "[signed_document]") {
  const SigningKeys keys = *generate_signing_keys();
  const std::string in_force_text = example(5).dump();
  const auto in_force = pydio::common::parse_desired_state(in_force_text);
  const SignedDocument genuine = sign(keys, example(6).dump());
  const auto verdict_of = [&](const json& reply) {
    return check_signed_document(signed_document_from_reply(reply), keys.public_pem,
                                 in_force.state.get(), in_force_text);
  };

  SECTION("the genuine reply is adopted") {
    CHECK(verdict_of(
              {{"generation", 6}, {"document", genuine.text}, {"signature", genuine.signature}})
              .verdict == DocumentVerdict::kAdopt);
  }
  SECTION("a higher generation with the genuine signature of another document") {
    json forged = example(7);
    forged["web"]["docroot"] = "/etc";
    const DocumentCheck result = verdict_of(
        {{"generation", 7}, {"document", forged.dump()}, {"signature", genuine.signature}});
    CHECK(result.verdict == DocumentVerdict::kRefused);
    CHECK_THAT(result.reason, Catch::StartsWith("bad signature"));
  }
  SECTION("a reply without a signature, or with one of the wrong type") {
    CHECK(verdict_of({{"document", genuine.text}}).verdict == DocumentVerdict::kRefused);
    CHECK(verdict_of({{"document", genuine.text}, {"signature", 42}}).verdict ==
          DocumentVerdict::kRefused);
    CHECK(verdict_of({{"document", genuine.text}, {"signature", json::parse(genuine.signature)}})
              .verdict == DocumentVerdict::kRefused);
  }
  SECTION("a reply that is no object at all") {
    CHECK(signed_document_from_reply(json::array()).text.empty());
    CHECK(verdict_of(json("text")).verdict == DocumentVerdict::kRefused);
  }
}
