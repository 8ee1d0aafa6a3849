// web.release, web.rollout, web.drainSeconds and loadBalancer.drainTimeoutSeconds: read,
// validated (errors name the field), round-tripped; and release_target(), which every compute
// node and the leader use to agree on which release a node serves.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "common/desired_state.hpp"
#include "common/release_target.hpp"
#include "common/text.hpp"
#include "test/unit/support/desired_state_errors.hpp"

namespace {

using nlohmann::json;
using pydio::common::parse_desired_state;
using pydio::common::release_target;
using pydio::common::RolloutPhase;
using pydio::common::rollout_drains;
using pydio::common::serialize_desired_state;
using pydio::common::validate_desired_state;
using pydio::common::WebSpec;
using pydio::test::errors_of;
using pydio::test::has_line_starting;

const std::string kOne = "sha256:" + std::string(64, 'a');
const std::string kTwo = "sha256:" + std::string(64, 'b');

json cluster() {
  return json::parse(R"({
    "apiVersion": "pydio-agent/v1",
    "generation": 3,
    "cluster": {"name": "pydio"},
    "nodes": [{"name": "n1", "address": "198.18.0.1", "roles": ["storage", "compute", "db"],
               "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/data"}]},
              {"name": "n2", "address": "198.18.0.2", "roles": ["storage", "compute"],
               "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/data"}]}],
    "volumes": [{"name": "pydio-data", "brick": "data", "replica": 2}]
  })");
}

json release(const std::string& sha) {
  return {{"sha256", sha},
          {"version", "8.2.5"},
          {"file", "pydio-core-8.2.5.tar.gz"},
          {"size", 12345},
          {"publishedAt", "2026-11-30T12:00:00Z"}};
}

json rollout() {
  return {{"release", kTwo},
          {"previous", kOne},
          {"done", {"n2"}},
          {"node", "n1"},
          {"phase", "switching"},
          {"since", "2026-11-30T12:01:00Z"}};
}

}  // namespace

TEST_CASE("web.release and web.rollout are read and round-trip", "[desired_state][release]") {
  auto document = cluster();
  document["web"]["release"] = release(kTwo);
  document["web"]["rollout"] = rollout();
  document["web"]["drainSeconds"] = 4;
  auto parsed = parse_desired_state(document.dump());
  INFO(pydio::common::join(parsed.errors, "\n"));
  REQUIRE(parsed.state);
  const WebSpec& web = parsed.state->web;
  REQUIRE(web.release);
  CHECK(web.release->version == "8.2.5");
  CHECK(web.release->size == 12345);
  REQUIRE(web.rollout);
  CHECK(web.rollout->phase == RolloutPhase::kSwitching);
  CHECK(web.rollout->done == std::vector<std::string>{"n2"});
  CHECK(web.drain_seconds == 4);
  CHECK(pydio::common::release_id(kTwo) == "bbbbbbbbbbbb");
  auto again = parse_desired_state(serialize_desired_state(*parsed.state));
  REQUIRE(again.state);
  CHECK(again.state->web.release == web.release);
  CHECK(again.state->web.rollout == web.rollout);
  CHECK(again.state->web.drain_seconds == 4);
  CHECK(validate_desired_state(*parsed.state).empty());
}

TEST_CASE("a document without a release writes none of the new fields",
          "[desired_state][release]") {
  auto parsed = parse_desired_state(cluster().dump());
  REQUIRE(parsed.state);
  const json written = json::parse(serialize_desired_state(*parsed.state));
  CHECK_FALSE(written["web"].contains("release"));
  CHECK_FALSE(written["web"].contains("rollout"));
  CHECK_FALSE(written["web"].contains("drainSeconds"));
}

TEST_CASE("bad release and rollout values are refused naming the field",
          "[desired_state][release]") {
  SECTION("a release hash that is not sha256") {
    auto document = cluster();
    document["web"]["release"] = release("md5:abc");
    CHECK(has_line_starting(errors_of(document), "web.release.sha256: must be sha256:"));
  }
  SECTION("a version with a slash") {
    auto document = cluster();
    auto bad = release(kOne);
    bad["version"] = "../8";
    document["web"]["release"] = bad;
    CHECK(has_line_starting(errors_of(document), "web.release.version: must be 1 to 128"));
  }
  SECTION("a release next to an operator-installed Pydio") {
    auto document = cluster();
    document["web"]["release"] = release(kOne);
    document["web"]["installDir"] = "/srv/pydio";
    CHECK(has_line_starting(errors_of(document), "web.installDir: is for an operator-installed"));
  }
  SECTION("a rollout without a release") {
    auto document = cluster();
    document["web"]["rollout"] = rollout();
    CHECK(has_line_starting(errors_of(document), "web.rollout: is only written with web.release"));
  }
  SECTION("a rollout of another release") {
    auto document = cluster();
    document["web"]["release"] = release(kOne);
    auto other = rollout();
    other["previous"] = kTwo;
    other["release"] = "sha256:" + std::string(64, 'c');
    document["web"]["rollout"] = other;
    CHECK(has_line_starting(errors_of(document), "web.rollout.release: must be web.release"));
  }
  SECTION("a phase without a node") {
    auto document = cluster();
    document["web"]["release"] = release(kTwo);
    auto bad = rollout();
    bad.erase("node");
    document["web"]["rollout"] = bad;
    CHECK(has_line_starting(errors_of(document), "web.rollout.phase: is given exactly when"));
  }
  SECTION("an unknown phase") {
    auto document = cluster();
    document["web"]["release"] = release(kTwo);
    auto bad = rollout();
    bad["phase"] = "exploding";
    document["web"]["rollout"] = bad;
    CHECK(has_line_starting(errors_of(document), "web.rollout.phase: must be draining"));
  }
  SECTION("drain times out of range") {
    auto document = cluster();
    document["web"]["drainSeconds"] = 7200;
    CHECK(has_line_starting(errors_of(document), "web.drainSeconds: must be between 0 and 3600"));
  }
}

TEST_CASE("release_target: which release a node serves and stages", "[release]") {
  WebSpec web;
  SECTION("no release: operator mode") {
    CHECK(release_target(web, "n1").current.empty());
    CHECK_FALSE(rollout_drains(web, "n1"));
  }
  web.release = pydio::common::ReleaseSpec{kTwo, "2", "f.tar.gz", 1, 0};
  SECTION("no rollout: every node serves the release") {
    CHECK(release_target(web, "n1").current == kTwo);
    CHECK(release_target(web, "n1").stage.empty());
  }
  pydio::common::RolloutSpec rollout;
  rollout.release = kTwo;
  rollout.previous = kOne;
  rollout.done = {"n3"};
  rollout.node = "n1";
  SECTION("between nodes: not yet switched nodes serve the previous one and stage the new") {
    rollout.node.clear();
    web.rollout = rollout;
    CHECK(release_target(web, "n1").current == kOne);
    CHECK(release_target(web, "n1").stage == kTwo);
    CHECK(release_target(web, "n3").current == kTwo);
    CHECK_FALSE(rollout_drains(web, "n1"));
  }
  SECTION("draining: still the previous release, drained") {
    rollout.phase = RolloutPhase::kDraining;
    web.rollout = rollout;
    CHECK(release_target(web, "n1").current == kOne);
    CHECK(rollout_drains(web, "n1"));
    CHECK_FALSE(rollout_drains(web, "n2"));
  }
  SECTION("switching: the new release, still drained") {
    rollout.phase = RolloutPhase::kSwitching;
    web.rollout = rollout;
    CHECK(release_target(web, "n1").current == kTwo);
    CHECK(release_target(web, "n2").current == kOne);
    CHECK(rollout_drains(web, "n1"));
  }
  SECTION("undraining: the new release, no longer drained") {
    rollout.phase = RolloutPhase::kUndraining;
    web.rollout = rollout;
    CHECK(release_target(web, "n1").current == kTwo);
    CHECK_FALSE(rollout_drains(web, "n1"));
  }
  SECTION("stopped: the failed node is back on the previous release, nothing staged") {
    rollout.phase = RolloutPhase::kSwitching;
    rollout.stopped = "n1: PHP Parse error";
    web.rollout = rollout;
    CHECK(release_target(web, "n1").current == kOne);
    CHECK(release_target(web, "n1").stage.empty());
    CHECK(release_target(web, "n3").current == kTwo);
    CHECK_FALSE(rollout_drains(web, "n1"));
  }
}

TEST_CASE("with a release, Pydio is where the current link points", "[desired_state][release]") {
  WebSpec web;
  web.docroot = "/var/www/pydio/";
  CHECK(pydio::common::web_install_dir(web) == "/var/www/pydio/");
  web.release = pydio::common::ReleaseSpec{kTwo, "2", "f.tar.gz", 1, 0};
  CHECK(pydio::common::web_install_dir(web) == "/var/www/pydio/current");
  CHECK(pydio::common::web_conf_dir(web) == "/var/www/pydio/current/conf");
}
