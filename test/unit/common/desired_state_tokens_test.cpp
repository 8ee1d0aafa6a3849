// "joinTokens" in the desired state: read strictly, validated with the reader's words when built
// in code, written back unchanged, and never a secret.

#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/desired_state.hpp"
#include "common/utc_time.hpp"

namespace {

using nlohmann::json;
using pydio::common::DesiredState;
using pydio::common::JoinTokenSpec;
using pydio::common::parse_desired_state;
using pydio::common::serialize_desired_state;
using pydio::common::validate_desired_state;

const std::string kHash = "sha256:" + std::string(64, 'a');

json document_with(const json& tokens) {
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
  if (!tokens.is_null()) document["joinTokens"] = tokens;
  return document;
}

json token(const std::string& id, const std::string& expires = "2026-12-01T08:00:00Z") {
  return {{"id", id}, {"secretHash", kHash}, {"expires", expires}, {"description", "rack 2"}};
}

std::vector<std::string> errors_of(const json& document) {
  return parse_desired_state(document.dump()).errors;
}

}  // namespace

TEST_CASE("join tokens are read from the desired state and written back unchanged",
          "[desired_state][join_token]") {
  SECTION("no joinTokens: none, and the written document has no such key") {
    auto parsed = parse_desired_state(document_with(nullptr).dump());
    REQUIRE(parsed.state);
    CHECK(parsed.state->join_tokens.empty());
    CHECK(serialize_desired_state(*parsed.state).find("joinTokens") == std::string::npos);
  }
  SECTION("two tokens, their expiry in UTC seconds") {
    auto parsed = parse_desired_state(
        document_with({token("abcdef"), token("ghij42", "2027-02-28T23:59:59Z")}).dump());
    INFO(json(parsed.errors).dump());
    REQUIRE(parsed.state);
    REQUIRE(parsed.state->join_tokens.size() == 2);
    const JoinTokenSpec& first = parsed.state->join_tokens[0];
    CHECK(first.id == "abcdef");
    CHECK(first.secret_hash == kHash);
    CHECK(first.expires == 1796112000);  // 2026-12-01T08:00:00Z
    CHECK(first.description == "rack 2");
    CHECK(parsed.state->join_tokens[1].id == "ghij42");
    // Round trip: the written document reads back as the same tokens.
    const std::string written = serialize_desired_state(*parsed.state);
    auto again = parse_desired_state(written);
    REQUIRE(again.state);
    CHECK(serialize_desired_state(*again.state) == written);
    CHECK(json::parse(written)["joinTokens"][1]["expires"] == "2027-02-28T23:59:59Z");
  }
}

TEST_CASE("bad join tokens are refused, each named by its path", "[desired_state][join_token]") {
  const std::vector<std::pair<json, std::string>> cases = {
      {json{token("ABCDEF")}, "joinTokens[0].id: must be 6 lowercase letters or digits"},
      {json{token("abcde")}, "joinTokens[0].id: must be 6 lowercase letters or digits"},
      {json{token("abcdef"), token("abcdef")}, "joinTokens[1].id: \"abcdef\" listed twice"},
      {json{token("abcdef", "2026-02-30T00:00:00Z")}, "joinTokens[0].expires: must be a UTC time"},
      {json{token("abcdef", "2026-12-01 08:00:00")}, "joinTokens[0].expires: must be a UTC time"},
      {json{token("abcdef", "2026-12-01T08:00:00+01:00")},
       "joinTokens[0].expires: must be a UTC time"},
      {json{{{"id", "abcdef"}, {"secretHash", "sha256:abc"}, {"expires", "2026-12-01T08:00:00Z"}}},
       "joinTokens[0].secretHash: must be sha256:<64 lowercase hex digits>"},
      {json{{{"id", "abcdef"}, {"expires", "2026-12-01T08:00:00Z"}}}, "joinTokens[0].secretHash"},
      {json{{{"id", "abcdef"},
             {"secretHash", kHash},
             {"expires", "2026-12-01T08:00:00Z"},
             {"secret", "0123456789abcdef"}}},
       "joinTokens[0].secret"},
      {json{{{"id", "abcdef"},
             {"secretHash", kHash},
             {"expires", "2026-12-01T08:00:00Z"},
             {"description", "line\nbreak"}}},
       "joinTokens[0].description: must not contain control characters"},
      {json{{{"id", "abcdef"},
             {"secretHash", kHash},
             {"expires", "2026-12-01T08:00:00Z"},
             {"description", std::string(201, 'x')}}},
       "joinTokens[0].description: must be at most 200 characters"},
      {json("abcdef"), "joinTokens: must be an array"},
  };
  for (const auto& [tokens, expected] : cases) {
    DYNAMIC_SECTION(tokens.dump().substr(0, 120)) {
      const auto errors = errors_of(document_with(tokens));
      INFO(json(errors).dump());
      REQUIRE_FALSE(errors.empty());
      CHECK_THAT(errors.front(), Catch::StartsWith(expected));
    }
  }
  SECTION("at most 100 tokens") {
    json tokens = json::array();
    for (int i = 0; i < 101; ++i) {
      char id[8];
      std::snprintf(id, sizeof id, "t%05d", i);
      tokens.push_back(token(id));
    }
    const auto errors = errors_of(document_with(tokens));
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors.front(), Catch::StartsWith("joinTokens: at most 100 tokens"));
  }
  SECTION("a hash that is wrong is not echoed (it is the hash of a secret)") {
    json bad = token("abcdef");
    bad["secretHash"] = "sha256:" + std::string(64, 'Z');
    const auto errors = errors_of(document_with(json{bad}));
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().find("ZZZZ") == std::string::npos);
  }
}

TEST_CASE("join tokens built in code are refused with the reader's words",
          "[desired_state][join_token]") {
  auto parsed = parse_desired_state(document_with(json{token("abcdef")}).dump());
  REQUIRE(parsed.state);
  const std::vector<std::pair<const char*, std::function<void(DesiredState&)>>> changes = {
      {"a bad id", [](DesiredState& s) { s.join_tokens[0].id = "ab.def"; }},
      {"a duplicate id", [](DesiredState& s) { s.join_tokens.push_back(s.join_tokens[0]); }},
      {"a bad hash", [](DesiredState& s) { s.join_tokens[0].secret_hash = "md5:00"; }},
      {"a control character",
       [](DesiredState& s) { s.join_tokens[0].description = std::string("a\tb"); }},
  };
  for (const auto& [what, change] : changes) {
    DYNAMIC_SECTION(what) {
      DesiredState state = *parsed.state;
      change(state);
      const auto errors = validate_desired_state(state);
      CHECK_FALSE(errors.empty());
      CHECK(errors == parse_desired_state(serialize_desired_state(state)).errors);
    }
  }
  SECTION("an expiry the text form cannot hold") {
    DesiredState state = *parsed.state;
    state.join_tokens[0].expires = -1;
    const auto errors = validate_desired_state(state);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors.front(), Catch::StartsWith("joinTokens[0].expires: must be a UTC time"));
  }
}

TEST_CASE("UTC times have one text form", "[utc_time]") {
  using pydio::common::format_utc;
  using pydio::common::parse_utc;
  CHECK(format_utc(0) == "1970-01-01T00:00:00Z");
  CHECK(format_utc(1796112000) == "2026-12-01T08:00:00Z");
  CHECK(parse_utc("2026-12-01T08:00:00Z") == 1796112000);
  CHECK(parse_utc("2028-02-29T00:00:00Z").has_value());  // a leap day
  CHECK(parse_utc("9999-12-31T23:59:59Z") == pydio::common::kMaxUtcSeconds);
  for (const char* bad : {"2027-02-29T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T08:00:60Z",
                          "1969-12-31T23:59:59Z", "2026-12-01T08:00:00", "2026-12-01t08:00:00Z",
                          " 2026-12-01T08:00:00Z", "2026-12-01T08:00:00.5Z", ""}) {
    INFO(bad);
    CHECK_FALSE(parse_utc(bad).has_value());
  }
}
