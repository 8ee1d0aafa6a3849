// Replies of other agents are type-checked before use: a field of the wrong type counts as
// missing, and where the agent cannot go on without it the reply is refused with an error
// naming the field and the node (before, nlohmann's value() threw a type_error: a 500
// "internal error" to the operator instead).

#include "agent/daemon/peer_replies.hpp"

#include <catch2/catch.hpp>

using nlohmann::json;
using pydio::agent::reply_holds_signing_key;
using pydio::agent::set_aside_from_reply;
using pydio::agent::started_backup;
using pydio::agent::api::PeerReply;

TEST_CASE("a node report's signing block: mistyped fields count as missing", "[peer_replies]") {
  const json holds = {{"signing", {{"keyId", "k1"}, {"canSign", true}}}};
  CHECK(reply_holds_signing_key(holds, "k1"));
  CHECK_FALSE(reply_holds_signing_key(holds, "k2"));
  CHECK_FALSE(reply_holds_signing_key({{"signing", {{"keyId", "k1"}, {"canSign", false}}}}, "k1"));
  // Each of these threw json::type_error before.
  CHECK_FALSE(reply_holds_signing_key({{"signing", {{"keyId", 7}, {"canSign", true}}}}, "k1"));
  CHECK_FALSE(reply_holds_signing_key({{"signing", {{"keyId", "k1"}, {"canSign", "yes"}}}}, "k1"));
  CHECK_FALSE(reply_holds_signing_key({{"signing", "k1"}}, "k1"));
  CHECK_FALSE(reply_holds_signing_key(json::array(), "k1"));
}

TEST_CASE("a db-set-aside reply without a string setAside is refused, naming node and field",
          "[peer_replies]") {
  auto fine =
      set_aside_from_reply("db2", {{"node", "db2"}, {"setAside", "/var/lib/mysql.before-x"}});
  REQUIRE(fine);
  CHECK(*fine == "/var/lib/mysql.before-x");
  auto empty = set_aside_from_reply("db2", {{"node", "db2"}, {"setAside", ""}});
  REQUIRE(empty);
  CHECK(empty->empty());  // the datadir was empty: nothing set aside, a valid answer

  for (const json& body : {json{{"node", "db2"}, {"setAside", 42}}, json{{"node", "db2"}},
                           json{{"setAside", json::array()}}, json("setAside")}) {
    INFO(body.dump());
    auto refused = set_aside_from_reply("db2", body);
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.status().message(), Catch::StartsWith("db2 answered without the path"));
    CHECK_THAT(refused.status().message(), Catch::Contains("\"setAside\", a string"));
  }
}

TEST_CASE("a db-backup reply: the started name, or the node's refusal in words", "[peer_replies]") {
  auto started = started_backup("198.18.0.3", PeerReply{200, {{"started", "2026-12-01-db1"}}});
  REQUIRE(started);
  CHECK(*started == "2026-12-01-db1");

  auto refused = started_backup("198.18.0.3", PeerReply{409, {{"error", "a backup runs"}}});
  REQUIRE_FALSE(refused);
  CHECK(refused.status().message() == "198.18.0.3 refused the backup: a backup runs");

  // A mistyped error (threw before) and a 200 with a mistyped name: refused, the reply shown.
  auto odd_error = started_backup("198.18.0.3", PeerReply{500, {{"error", {{"code", 1}}}}});
  REQUIRE_FALSE(odd_error);
  CHECK_THAT(odd_error.status().message(),
             Catch::StartsWith("198.18.0.3 refused the backup: HTTP 500 {\"error\""));
  auto odd_name = started_backup("198.18.0.3", PeerReply{200, {{"started", 12}}});
  REQUIRE_FALSE(odd_name);
  CHECK_THAT(odd_name.status().message(), Catch::Contains("HTTP 200 {\"started\":12}"));
}
