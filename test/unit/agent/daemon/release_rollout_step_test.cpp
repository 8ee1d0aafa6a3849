// The leader's decision in a rolling rollout of a release: every phase's transition, what it
// waits for, a stopped rollout, with and without an lb node, one compute node, unreachable
// reports, and a new leader resuming from the committed phase.

#include "agent/daemon/release_rollout_step.hpp"

#include <catch2/catch.hpp>

using namespace pydio::agent;
using nlohmann::json;
using pydio::common::DesiredState;
using pydio::common::NodeSpec;
using pydio::common::Role;
using pydio::common::RolloutPhase;
using pydio::common::RolloutSpec;

namespace {

const std::string kV1 = "sha256:" + std::string(64, 'a');
const std::string kV2 = "sha256:" + std::string(64, 'b');
const std::string kV3 = "sha256:" + std::string(64, 'c');
constexpr std::int64_t kNow = 1'800'000'000;

NodeSpec node(const std::string& name, std::vector<Role> roles) {
  NodeSpec spec;
  spec.name = name;
  spec.address = "198.18.0." + name.substr(1);
  spec.roles = std::move(roles);
  return spec;
}

// n1, n2 storage+compute; with `lb`, n4 role lb.
DesiredState cluster(bool lb) {
  DesiredState desired;
  desired.generation = 7;
  desired.nodes = {node("n1", {Role::kStorage, Role::kCompute}),
                   node("n2", {Role::kStorage, Role::kCompute}), node("n3", {Role::kStorage})};
  if (lb) desired.nodes.push_back(node("n4", {Role::kLb}));
  pydio::common::ReleaseSpec release;
  release.sha256 = kV2;
  release.version = "fixture-2";
  desired.web.release = release;
  RolloutSpec rollout;
  rollout.release = kV2;
  rollout.previous = kV1;
  desired.web.rollout = rollout;
  return desired;
}

void at_phase(DesiredState& desired, const std::string& name, RolloutPhase phase,
              std::int64_t since = kNow - 5) {
  desired.web.rollout->node = name;
  desired.web.rollout->phase = phase;
  desired.web.rollout->since = since;
}

struct Compute {
  Compute(const char* node_name) : name(node_name) {}  // NOLINT: report({"n1"}) reads well
  std::string name;
  bool healthy = true;
  bool serving = true;
  std::string reason;
  std::string current = kV1;
  std::vector<std::string> staged = {kV2};  // the release rolled out, unpacked beside kV1
  json failed = nullptr;
};

NodeRolloutState report(const Compute& c) {
  json health = {{"healthy", c.healthy}, {"serving", c.serving}, {"reasons", json::array()}};
  if (!c.reason.empty()) health["reasons"].push_back(c.reason);
  json release = {{"mode", "release"}, {"current", c.current}, {"version", ""},
                  {"previous", ""},    {"staged", c.staged},   {"failed", c.failed}};
  return node_rollout_state(c.name, json{{"health", health}, {"release", release}});
}

json server(const std::string& name, const std::string& status, int sessions = 0) {
  return {{"name", name}, {"status", status}, {"sessions", sessions}, {"agent", ""}};
}

NodeRolloutState lb(const std::string& name, std::vector<json> servers) {
  return node_rollout_state(
      name, json{{"health", {{"healthy", true}}}, {"balancer", {{"servers", servers}}}});
}

}  // namespace

TEST_CASE("no rollout, or a stopped one: the leader does nothing", "[rollout]") {
  DesiredState desired = cluster(true);
  desired.web.rollout.reset();
  CHECK(next_rollout_step(desired, {}, kNow).kind == RolloutStep::Kind::kNone);
  desired = cluster(true);
  at_phase(desired, "n1", RolloutPhase::kSwitching);
  desired.web.rollout->stopped = "n1: PHP Parse error";
  const RolloutStep step =
      next_rollout_step(desired, {report({"n1"}), report({"n2"}), lb("n4", {})}, kNow);
  CHECK(step.kind == RolloutStep::Kind::kNone);
  CHECK_FALSE(step.next);
}

TEST_CASE("between nodes: the next compute node drains once another one serves", "[rollout]") {
  SECTION("lb: n2 UP on the balancer -> n1 (first in document order) draining since now") {
    const DesiredState desired = cluster(true);
    const RolloutStep step = next_rollout_step(
        desired,
        {report({"n1"}), report({"n2"}), lb("n4", {server("n1", "UP"), server("n2", "UP")})}, kNow);
    REQUIRE(step.kind == RolloutStep::Kind::kCommit);
    REQUIRE(step.next);
    CHECK(step.next->node == "n1");
    CHECK(step.next->phase == RolloutPhase::kDraining);
    CHECK(step.next->since == kNow);
    CHECK(step.next->release == kV2);
    CHECK(step.next->previous == kV1);
    CHECK(step.next->done.empty());
    CHECK(step.event == "rollout of fixture-2: n1 draining");
  }
  SECTION("lb: the other server drained, down or not listed -> wait, saying why") {
    const DesiredState desired = cluster(true);
    for (const json& other : {server("n2", "DRAIN (agent)"), server("n2", "DOWN"), json()}) {
      std::vector<json> servers = {server("n1", "UP")};
      if (!other.is_null()) servers.push_back(other);
      const RolloutStep step =
          next_rollout_step(desired, {report({"n1"}), report({"n2"}), lb("n4", servers)}, kNow);
      CHECK(step.kind == RolloutStep::Kind::kWait);
      CHECK_FALSE(step.next);
      CHECK_THAT(step.progress,
                 Catch::StartsWith("rollout of fixture-2: n1 next; waiting for "
                                   "another compute node to serve (lb n4 lists n2 "));
    }
  }
  SECTION("lb unreachable or HAProxy not answering -> wait") {
    const DesiredState desired = cluster(true);
    RolloutStep step = next_rollout_step(
        desired, {report({"n1"}), report({"n2"}), unreachable_node("n4", "connection refused")},
        kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
    CHECK_THAT(step.progress, Catch::Contains("lb n4 unreachable (connection refused)"));
    step = next_rollout_step(
        desired,
        {report({"n1"}), report({"n2"}),
         node_rollout_state(
             "n4", json{{"balancer", {{"servers", json::array()}, {"error", "no socket"}}}})},
        kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
    CHECK_THAT(step.progress, Catch::Contains("lb n4 reports no servers (no socket)"));
    // A report without the lb node at all reads as unreachable.
    step = next_rollout_step(desired, {report({"n1"}), report({"n2"})}, kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
  }
  SECTION("two lb nodes: each must have another server in rotation") {
    DesiredState desired = cluster(true);
    desired.nodes.push_back(node("n5", {Role::kLb}));
    const auto n4 = lb("n4", {server("n1", "UP"), server("n2", "UP")});
    CHECK(next_rollout_step(desired,
                            {report({"n1"}), report({"n2"}), n4,
                             lb("n5", {server("n1", "UP"), server("n2", "DOWN")})},
                            kNow)
              .kind == RolloutStep::Kind::kWait);
    CHECK(next_rollout_step(desired,
                            {report({"n1"}), report({"n2"}), n4,
                             lb("n5", {server("n1", "UP"), server("n2", "UP 1/2")})},
                            kNow)
              .kind == RolloutStep::Kind::kCommit);
  }
  SECTION("no lb (ELB): the other node's /health decides") {
    const DesiredState desired = cluster(false);
    RolloutStep step = next_rollout_step(desired, {report({"n1"}), report({"n2"})}, kNow);
    REQUIRE(step.kind == RolloutStep::Kind::kCommit);
    CHECK(step.next->node == "n1");
    Compute n2{"n2"};
    n2.healthy = false;
    n2.reason = "draining: kernel update";
    step = next_rollout_step(desired, {report({"n1"}), report(n2)}, kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
    CHECK_THAT(step.progress, Catch::Contains("n2 unhealthy (draining: kernel update)"));
    step = next_rollout_step(desired, {report({"n1"}), unreachable_node("n2", "timed out")}, kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
    CHECK_THAT(step.progress, Catch::Contains("n2 unreachable (timed out)"));
  }
  SECTION("one compute node: it drains at once, not hitless") {
    DesiredState desired = cluster(false);
    desired.nodes[1].roles = {Role::kStorage};
    const RolloutStep step = next_rollout_step(desired, {report({"n1"})}, kNow);
    REQUIRE(step.kind == RolloutStep::Kind::kCommit);
    CHECK(step.next->node == "n1");
    CHECK(step.next->phase == RolloutPhase::kDraining);
    CHECK(step.event == "rollout of fixture-2: n1 draining (not hitless: one compute node)");
  }
  SECTION("n1 done: n2 next, n1 must serve") {
    DesiredState desired = cluster(true);
    desired.web.rollout->done = {"n1"};
    RolloutStep step = next_rollout_step(
        desired,
        {report({"n1"}), report({"n2"}), lb("n4", {server("n1", "UP"), server("n2", "UP")})}, kNow);
    REQUIRE(step.kind == RolloutStep::Kind::kCommit);
    CHECK(step.next->node == "n2");
    CHECK(step.next->done == std::vector<std::string>{"n1"});
    step = next_rollout_step(desired,
                             {report({"n1"}), report({"n2"}),
                              lb("n4", {server("n1", "DRAIN (agent)"), server("n2", "UP")})},
                             kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
  }
  SECTION("the next node has not staged the release: it is not drained (it keeps serving)") {
    const DesiredState desired = cluster(true);
    Compute n1{"n1"};
    n1.staged.clear();
    const auto balancer = lb("n4", {server("n1", "UP"), server("n2", "UP")});
    RolloutStep step = next_rollout_step(desired, {report(n1), report({"n2"}), balancer}, kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
    CHECK_FALSE(step.next);
    CHECK_THAT(step.progress,
               Catch::StartsWith("rollout of fixture-2: n1 next; waiting for n1 to stage"));
    step = next_rollout_step(desired,
                             {unreachable_node("n1", "timed out"), report({"n2"}), balancer}, kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
  }
  SECTION("every compute node done: web.rollout removed, finished") {
    DesiredState desired = cluster(true);
    desired.web.rollout->done = {"n1", "n2"};
    const RolloutStep step = next_rollout_step(desired, {}, kNow);
    REQUIRE(step.kind == RolloutStep::Kind::kCommit);
    CHECK_FALSE(step.next);
    CHECK(step.event == "rollout of fixture-2 finished");
  }
}

TEST_CASE("draining: switching once the node staged the release and the balancers let it go",
          "[rollout]") {
  DesiredState desired = cluster(true);
  at_phase(desired, "n1", RolloutPhase::kDraining, kNow - 12);
  Compute n1{"n1"};
  n1.healthy = false;
  n1.reason = "drained for the rollout of fixture-2";
  n1.staged = {kV2};
  const auto drained = lb("n4", {server("n1", "DRAIN (agent)", 0), server("n2", "UP", 3)});

  SECTION("staged, DRAIN with 0 sessions -> switching since now") {
    const RolloutStep step =
        next_rollout_step(desired, {report(n1), report({"n2"}), drained}, kNow);
    REQUIRE(step.kind == RolloutStep::Kind::kCommit);
    CHECK(step.next->node == "n1");
    CHECK(step.next->phase == RolloutPhase::kSwitching);
    CHECK(step.next->since == kNow);
    CHECK(step.event == "rollout of fixture-2: n1 switching");
  }
  SECTION("a node that already runs the release counts as staged") {
    n1.staged.clear();
    n1.current = kV2;
    CHECK(next_rollout_step(desired, {report(n1), report({"n2"}), drained}, kNow).kind ==
          RolloutStep::Kind::kCommit);
  }
  SECTION("not staged yet -> wait, whatever the balancer says") {
    n1.staged = {kV3};
    const RolloutStep step =
        next_rollout_step(desired, {report(n1), report({"n2"}), drained}, kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
    CHECK(step.progress ==
          "rollout of fixture-2: n1 draining for 12 s; waiting for n1 to stage the release "
          "(agentctl status on n1: pydio-release)");
    // Even past the drain timeout: switching needs the release on the node.
    at_phase(desired, "n1", RolloutPhase::kDraining, kNow - 1000);
    CHECK(next_rollout_step(desired, {report(n1), report({"n2"}), drained}, kNow).kind ==
          RolloutStep::Kind::kWait);
  }
  SECTION("sticky sessions left, or the agent's drain not seen yet -> wait until the timeout") {
    for (const auto& held : {server("n1", "DRAIN (agent)", 2), server("n1", "UP", 0)}) {
      const auto balancer = lb("n4", {held, server("n2", "UP")});
      RolloutStep step = next_rollout_step(desired, {report(n1), report({"n2"}), balancer}, kNow);
      CHECK(step.kind == RolloutStep::Kind::kWait);
      CHECK_THAT(step.progress, Catch::Contains("waiting for the balancers to let n1 go (lb n4 "
                                                "lists n1 " +
                                                held["status"].get<std::string>()));
      CHECK_THAT(step.progress, Catch::Contains("at most 288 s more"));
      // loadBalancer.drainTimeoutSeconds (300) after `since`: switched anyway.
      at_phase(desired, "n1", RolloutPhase::kDraining, kNow - 300);
      step = next_rollout_step(desired, {report(n1), report({"n2"}), balancer}, kNow);
      CHECK(step.kind == RolloutStep::Kind::kCommit);
      at_phase(desired, "n1", RolloutPhase::kDraining, kNow - 12);
    }
  }
  SECTION("a DOWN server with no sessions is let go too (HAProxy sends it nothing)") {
    const auto balancer = lb("n4", {server("n1", "DOWN", 0), server("n2", "UP")});
    CHECK(next_rollout_step(desired, {report(n1), report({"n2"}), balancer}, kNow).kind ==
          RolloutStep::Kind::kCommit);
  }
  SECTION("two lb nodes: both must let it go") {
    desired.nodes.push_back(node("n5", {Role::kLb}));
    const auto held = lb("n5", {server("n1", "DRAIN (agent)", 1), server("n2", "UP")});
    CHECK(next_rollout_step(desired, {report(n1), report({"n2"}), drained, held}, kNow).kind ==
          RolloutStep::Kind::kWait);
    CHECK(next_rollout_step(
              desired, {report(n1), report({"n2"}), drained, unreachable_node("n5", "x")}, kNow)
              .kind == RolloutStep::Kind::kWait);
    const auto let_go = lb("n5", {server("n1", "DRAIN (agent)", 0), server("n2", "UP")});
    CHECK(next_rollout_step(desired, {report(n1), report({"n2"}), drained, let_go}, kNow).kind ==
          RolloutStep::Kind::kCommit);
  }
  SECTION("the node unreachable -> wait") {
    const RolloutStep step = next_rollout_step(
        desired, {unreachable_node("n1", "timed out"), report({"n2"}), drained}, kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
    CHECK_THAT(step.progress, Catch::EndsWith("waiting for n1 (unreachable: timed out)"));
  }
  SECTION("no lb: web.drainSeconds after since") {
    desired = cluster(false);
    desired.web.drain_seconds = 20;
    at_phase(desired, "n1", RolloutPhase::kDraining, kNow - 12);
    RolloutStep step = next_rollout_step(desired, {report(n1), report({"n2"})}, kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
    CHECK_THAT(step.progress, Catch::EndsWith("waiting for 8 s more (web.drainSeconds) for the "
                                              "balancer to let n1 go"));
    at_phase(desired, "n1", RolloutPhase::kDraining, kNow - 20);
    step = next_rollout_step(desired, {report(n1), report({"n2"})}, kNow);
    REQUIRE(step.kind == RolloutStep::Kind::kCommit);
    CHECK(step.next->phase == RolloutPhase::kSwitching);
  }
  SECTION("the release failed on the node (e.g. its archive's hash) -> stopped") {
    n1.failed = {{"release", kV2}, {"reason", "sha256 mismatch"}};
    const RolloutStep step =
        next_rollout_step(desired, {report(n1), report({"n2"}), drained}, kNow);
    REQUIRE(step.kind == RolloutStep::Kind::kCommit);
    CHECK(step.next->stopped == "n1: sha256 mismatch");
  }
}

TEST_CASE(
    "switching: undraining once the node runs the release and serves, stopped when it "
    "failed",
    "[rollout]") {
  DesiredState desired = cluster(true);
  at_phase(desired, "n1", RolloutPhase::kSwitching, kNow - 4);
  desired.web.rollout->done = {};
  Compute n1{"n1"};
  n1.healthy = false;  // drained for the rollout: /health 503
  n1.reason = "drained for the rollout of fixture-2";
  n1.staged = {kV2};
  const auto balancer = lb("n4", {server("n1", "DRAIN (agent)"), server("n2", "UP")});

  SECTION("still on the previous release -> wait") {
    const RolloutStep step =
        next_rollout_step(desired, {report(n1), report({"n2"}), balancer}, kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
    CHECK(step.progress ==
          "rollout of fixture-2: n1 switching for 4 s; waiting for n1 to run the release");
  }
  SECTION("on the release but not serving -> wait, naming the node's reason") {
    n1.current = kV2;
    n1.serving = false;
    n1.reason = "php: no answer for 6s";
    const RolloutStep step =
        next_rollout_step(desired, {report(n1), report({"n2"}), balancer}, kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
    CHECK_THAT(step.progress, Catch::EndsWith("waiting for n1 to serve (php: no answer for 6s)"));
  }
  SECTION("on the release and serving (though drained) -> undraining") {
    n1.current = kV2;
    const RolloutStep step =
        next_rollout_step(desired, {report(n1), report({"n2"}), balancer}, kNow);
    REQUIRE(step.kind == RolloutStep::Kind::kCommit);
    CHECK(step.next->node == "n1");
    CHECK(step.next->phase == RolloutPhase::kUndraining);
    CHECK(step.next->since == kNow);
    CHECK(step.event == "rollout of fixture-2: n1 undraining");
  }
  SECTION("the node reports the release failed -> stopped, node and phase kept") {
    n1.failed = {{"release", kV2},
                 {"reason", "PHP Parse error: syntax error in index.php on line 2"}};
    const RolloutStep step =
        next_rollout_step(desired, {report(n1), report({"n2"}), balancer}, kNow);
    REQUIRE(step.kind == RolloutStep::Kind::kCommit);
    CHECK(step.next->stopped == "n1: PHP Parse error: syntax error in index.php on line 2");
    CHECK(step.next->node == "n1");
    CHECK(step.next->phase == RolloutPhase::kSwitching);
    CHECK(step.next->since == kNow - 4);
    CHECK(step.event ==
          "rollout of fixture-2 stopped: n1: PHP Parse error: syntax error in index.php on line 2");
    // Once committed, nothing more happens until a new release is published.
    desired.web.rollout = step.next;
    CHECK(next_rollout_step(desired, {report(n1), report({"n2"}), balancer}, kNow).kind ==
          RolloutStep::Kind::kNone);
  }
  SECTION("a reason over several lines, or very long, becomes one line the validator takes") {
    n1.failed = {{"release", kV2},
                 {"reason", "PHP Parse error\n  in index.php\t" + std::string(2000, 'x')}};
    const RolloutStep step =
        next_rollout_step(desired, {report(n1), report({"n2"}), balancer}, kNow);
    REQUIRE(step.kind == RolloutStep::Kind::kCommit);
    CHECK_THAT(step.next->stopped, Catch::StartsWith("n1: PHP Parse error   in index.php xxx"));
    CHECK(step.next->stopped.size() == 1000);
    CHECK(step.next->stopped.find('\n') == std::string::npos);
  }
  SECTION("a failure of another release (an earlier rollout) is not this one's") {
    n1.failed = {{"release", kV3}, {"reason", "old"}};
    CHECK(next_rollout_step(desired, {report(n1), report({"n2"}), balancer}, kNow).kind ==
          RolloutStep::Kind::kWait);
  }
  SECTION("the node unreachable -> wait (no timeout: it may be rebooting)") {
    const RolloutStep step = next_rollout_step(
        desired, {unreachable_node("n1", "connection refused"), report({"n2"}), balancer},
        kNow + 3600);
    CHECK(step.kind == RolloutStep::Kind::kWait);
  }
}

TEST_CASE("undraining: the node is done once the balancers take it back", "[rollout]") {
  DesiredState desired = cluster(true);
  at_phase(desired, "n2", RolloutPhase::kUndraining);
  desired.web.rollout->done = {"n1"};
  Compute n2{"n2"};
  n2.current = kV2;

  SECTION("still DRAIN on the balancer -> wait") {
    const RolloutStep step = next_rollout_step(
        desired,
        {report({"n1"}), report(n2), lb("n4", {server("n1", "UP"), server("n2", "DRAIN (agent)")})},
        kNow);
    CHECK(step.kind == RolloutStep::Kind::kWait);
    CHECK_THAT(step.progress, Catch::EndsWith("waiting for lb n4 to list n2 UP (now DRAIN (agent) "
                                              "scur 0)"));
  }
  SECTION("UP -> between nodes, n2 done") {
    const RolloutStep step = next_rollout_step(
        desired, {report({"n1"}), report(n2), lb("n4", {server("n1", "UP"), server("n2", "UP")})},
        kNow);
    REQUIRE(step.kind == RolloutStep::Kind::kCommit);
    CHECK(step.next->node.empty());
    CHECK(step.next->phase == RolloutPhase::kNone);
    CHECK(step.next->done == std::vector<std::string>{"n1", "n2"});
    CHECK(step.event == "rollout of fixture-2: n2 done");
    // And the next round finishes the rollout.
    desired.web.rollout = step.next;
    const RolloutStep last = next_rollout_step(desired, {}, kNow);
    CHECK(last.kind == RolloutStep::Kind::kCommit);
    CHECK_FALSE(last.next);
  }
  SECTION("no lb: /health healthy again") {
    desired = cluster(false);
    at_phase(desired, "n2", RolloutPhase::kUndraining);
    n2.healthy = false;
    n2.reason = "mount /mnt/pydio-data: hung";
    CHECK(next_rollout_step(desired, {report({"n1"}), report(n2)}, kNow).kind ==
          RolloutStep::Kind::kWait);
    n2.healthy = true;
    n2.reason.clear();
    CHECK(next_rollout_step(desired, {report({"n1"}), report(n2)}, kNow).kind ==
          RolloutStep::Kind::kCommit);
  }
}

TEST_CASE("a new leader resumes from the committed phase", "[rollout]") {
  // The old leader committed "n1 draining" 400 s ago and died. The new leader has nothing but
  // the document and the reports: it goes on from there, and the drain timeout counts from
  // the committed `since`, not from when it took over.
  DesiredState desired = cluster(true);
  at_phase(desired, "n1", RolloutPhase::kDraining, kNow - 400);
  Compute n1{"n1"};
  n1.staged = {kV2};
  const auto held = lb("n4", {server("n1", "DRAIN (agent)", 1), server("n2", "UP")});
  const RolloutStep first = next_rollout_step(desired, {report(n1), report({"n2"}), held}, kNow);
  REQUIRE(first.kind == RolloutStep::Kind::kCommit);
  CHECK(first.next->phase == RolloutPhase::kSwitching);
  // The same inputs give the same decision (two leaders in a row, or a commit lost: the next
  // round decides it again).
  const RolloutStep again = next_rollout_step(desired, {report(n1), report({"n2"}), held}, kNow);
  CHECK(again.event == first.event);
  CHECK(again.next->since == first.next->since);
}

TEST_CASE("a node removed from the desired state mid-phase is skipped", "[rollout]") {
  DesiredState desired = cluster(true);
  at_phase(desired, "n1", RolloutPhase::kSwitching);
  desired.nodes[0].roles = {Role::kStorage};
  const RolloutStep step = next_rollout_step(desired, {}, kNow);
  REQUIRE(step.kind == RolloutStep::Kind::kCommit);
  CHECK(step.next->node.empty());
  CHECK(step.next->phase == RolloutPhase::kNone);
  CHECK(step.next->done.empty());
  CHECK(step.event == "rollout of fixture-2: n1 is no longer a compute node; skipped");
}

TEST_CASE("node reports are read defensively", "[rollout]") {
  SECTION("an older agent's report without serving: serving is healthy") {
    const auto state = node_rollout_state("n1", json{{"health", {{"healthy", true}}}});
    CHECK(state.reachable);
    CHECK(state.serving);
    CHECK(state.current.empty());
    CHECK_FALSE(state.balancer_known);
  }
  SECTION("a malformed report is unreachable") {
    const auto state = node_rollout_state("n1", json("nonsense"));
    CHECK_FALSE(state.reachable);
  }
  SECTION("balancer servers and release") {
    const auto state = node_rollout_state(
        "n4", json{{"balancer", {{"servers", {server("n1", "DRAIN (agent)", 4)}}}},
                   {"release", {{"current", kV1}, {"staged", {kV2, 3}}, {"failed", nullptr}}}});
    REQUIRE(state.balancer_known);
    REQUIRE(state.servers.size() == 1);
    CHECK(state.servers[0].name == "n1");
    CHECK(state.servers[0].status == "DRAIN (agent)");
    CHECK(state.servers[0].sessions == 4);
    CHECK(state.current == kV1);
    CHECK(state.staged == std::vector<std::string>{kV2});
    CHECK(state.failed_release.empty());
  }
}

TEST_CASE("status shows the rollout from the document in force", "[rollout]") {
  DesiredState desired = cluster(true);
  CHECK(rollout_status_line(desired, kNow) == "rollout: fixture-2 (starting)");
  at_phase(desired, "n1", RolloutPhase::kSwitching, kNow - 12);
  desired.web.rollout->done = {"n2"};
  CHECK(rollout_status_line(desired, kNow) ==
        "rollout: fixture-2 on n1 (switching since 12 s), done n2");
  desired.web.rollout->node.clear();
  desired.web.rollout->phase = RolloutPhase::kNone;
  CHECK(rollout_status_line(desired, kNow) == "rollout: fixture-2 (between nodes), done n2");
  desired.web.rollout->stopped = "n1: PHP Parse error";
  CHECK(rollout_status_line(desired, kNow) == "rollout stopped: n1: PHP Parse error");
  SECTION("one compute node: not hitless") {
    desired.web.rollout->stopped.clear();
    desired.nodes[1].roles = {Role::kStorage};
    CHECK(rollout_status_line(desired, kNow) ==
          "rollout: fixture-2 (between nodes), done n2; not hitless: one compute node");
  }
  SECTION("a release other than web.release is named by its id") {
    desired.web.release->sha256 = kV3;
    CHECK(rollout_version(desired.web) == "bbbbbbbbbbbb");
  }
  desired.web.rollout.reset();
  CHECK(rollout_status_line(desired, kNow).empty());
}
