// Join tokens: their form, the hash the desired state keeps, --ttl, and the admission decision.

#include "agent/cluster/join_token.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "common/utc_time.hpp"

namespace {

using namespace std::chrono_literals;
using pydio::agent::format_ttl;
using pydio::agent::is_join_token_form;
using pydio::agent::join_token_refusal;
using pydio::agent::make_join_token;
using pydio::agent::parse_token_ttl;
using pydio::agent::token_secret_hash;
using pydio::common::JoinTokenSpec;

constexpr std::int64_t kNow = 1796112000;  // 2026-12-01T08:00:00Z

}  // namespace

TEST_CASE("a new join token: printed form, hashed secret, expiry", "[join_token]") {
  auto made = make_join_token({}, kNow, 24h, "rack 2");
  REQUIRE(made);
  CHECK(is_join_token_form(made->token));
  CHECK(made->spec.id == made->token.substr(0, 6));
  CHECK(made->spec.secret_hash == token_secret_hash(made->token.substr(7)));
  // What the desired state keeps says nothing of the secret itself.
  CHECK(made->spec.secret_hash.find(made->token.substr(7)) == std::string::npos);
  CHECK(made->spec.expires == kNow + 24 * 3600);
  CHECK(made->spec.description == "rack 2");

  SECTION("tokens differ, and a new id is never one in use") {
    std::set<std::string> seen;
    std::vector<JoinTokenSpec> existing;
    for (int i = 0; i < 50; ++i) {
      auto next = make_join_token(existing, kNow, 1h, "");
      REQUIRE(next);
      CHECK(seen.insert(next->spec.id).second);
      existing.push_back(next->spec);
    }
  }
}

TEST_CASE("the hash of a secret is SHA-256 in lowercase hex", "[join_token]") {
  // sha256("0123456789abcdef"), as `printf 0123456789abcdef | sha256sum` prints it.
  CHECK(token_secret_hash("0123456789abcdef") ==
        "sha256:9f9f5111f7b27a781f1f1ddde5ebc2dd2b796bfc7365c9c28b548e564176929f");
}

TEST_CASE("join token admission: known, right secret, not expired", "[join_token]") {
  auto made = make_join_token({}, kNow, 1h, "");
  REQUIRE(made);
  const std::vector<JoinTokenSpec> tokens = {made->spec};
  const std::string id = made->spec.id;

  SECTION("a valid token admits") {
    CHECK(join_token_refusal(tokens, made->token, kNow).empty());
    CHECK(join_token_refusal(tokens, made->token, kNow + 3599).empty());
  }
  SECTION("at its expiry it is refused, saying when it expired") {
    const std::string refusal = join_token_refusal(tokens, made->token, kNow + 3600);
    CHECK(refusal == "join token " + id + " expired at " + pydio::common::format_utc(kNow + 3600) +
                         "; create a new one with agentctl token create on a storage node");
  }
  SECTION("an unknown id, a deleted token and a wrong secret get the same answer") {
    const std::string wrong_secret = id + ".0000000000000000";
    const std::string unknown_id = std::string("zzzzzz") + made->token.substr(6);
    const std::string expected = " is not valid (deleted, never created, or a wrong secret)";
    CHECK_THAT(join_token_refusal(tokens, wrong_secret, kNow), Catch::Contains(expected));
    CHECK_THAT(join_token_refusal(tokens, unknown_id, kNow), Catch::Contains(expected));
    CHECK_THAT(join_token_refusal({}, made->token, kNow), Catch::Contains(expected));
    // An expired token with a wrong secret does not reveal its expiry.
    CHECK_THAT(join_token_refusal(tokens, wrong_secret, kNow + 7200), Catch::Contains(expected));
  }
  SECTION("a malformed token is refused before any look-up") {
    for (const char* bad : {"", "letmein", "ABCDEF.0123456789abcdef", "abcdef.0123456789abcde",
                            "abcdef-0123456789abcdef", "abcdef.0123456789abcdef0"}) {
      INFO(bad);
      CHECK_THAT(join_token_refusal(tokens, bad, kNow),
                 Catch::StartsWith("a join token of the form"));
    }
  }
}

TEST_CASE("--ttl: durations from 1m to 720h", "[join_token]") {
  CHECK(*parse_token_ttl("24h") == 24h);
  CHECK(*parse_token_ttl("90m") == 90min);
  CHECK(*parse_token_ttl("1h30m") == 90min);
  CHECK(*parse_token_ttl("1m") == 1min);
  CHECK(*parse_token_ttl("60s") == 1min);
  CHECK(*parse_token_ttl("720h") == 720h);
  SECTION("out of bounds or malformed: an error naming the flag") {
    for (const char* bad : {"59s", "721h", "0m", "1d", "24", "h", "-1h", "1.5h", "", "24h "}) {
      auto ttl = parse_token_ttl(bad);
      INFO(bad);
      REQUIRE_FALSE(ttl);
      CHECK_THAT(ttl.status().message(), Catch::StartsWith(std::string("--ttl ") + bad + ":"));
    }
    CHECK_THAT(parse_token_ttl("721h").status().message(),
               Catch::EndsWith("must be from 1m to 720h, got 721h"));
  }
  CHECK(format_ttl(5400s) == "1h30m");
  CHECK(format_ttl(24h) == "24h");
  CHECK(format_ttl(45s) == "45s");
}
