#include "agent/health/health_monitor.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace pydio::agent;
using namespace std::chrono_literals;

namespace {
std::shared_ptr<pydio::common::DesiredState> one_node_state() {
  auto state = std::make_shared<pydio::common::DesiredState>();
  pydio::common::NodeSpec node;
  node.name = "node1";
  node.roles = {pydio::common::Role::kCompute};
  state->nodes.push_back(node);
  return state;
}
MountProbe probe(const std::string& mountpoint, MountHealth health, std::string detail = "") {
  MountProbe p;
  p.mountpoint = mountpoint;
  p.health = health;
  p.detail = std::move(detail);
  return p;
}
}  // namespace

TEST_CASE("health verdict names every reason the node cannot serve", "[health]") {
  HealthInputs inputs;
  inputs.desired = one_node_state();
  inputs.node_name = "node1";
  std::vector<MountProbe> mounts = {probe("/mnt/pydio-data", MountHealth::kOk),
                                    probe("/mnt/pydio-config", MountHealth::kOk)};

  SECTION("all good is healthy with no reasons") {
    HealthVerdict v = decide_health(inputs, mounts, true, "");
    CHECK(v.healthy);
    CHECK(v.reasons.empty());
  }
  SECTION("draining, a hung mount and Apache down are each a reason") {
    inputs.draining = true;
    inputs.drain_reason = "kernel update";
    mounts[0] = probe("/mnt/pydio-data", MountHealth::kHung, "no answer");
    HealthVerdict v = decide_health(inputs, mounts, true, "connection refused");
    CHECK_FALSE(v.healthy);
    CHECK(v.reasons == std::vector<std::string>{"draining: kernel update",
                                                "mount /mnt/pydio-data: hung (no answer)",
                                                "apache: connection refused"});
    CHECK(v.serving_reasons == std::vector<std::string>{"mount /mnt/pydio-data: hung (no answer)",
                                                        "apache: connection refused"});
    // One code per reason, from the bounded set metrics show (no free text in a label).
    CHECK(v.reason_codes == std::vector<std::string>{"draining", "mount_hung", "apache"});
    for (const auto& code : v.reason_codes)
      CHECK(std::find(std::begin(kHealthReasonCodes), std::end(kHealthReasonCodes), code) !=
            std::end(kHealthReasonCodes));
  }
  SECTION("draining alone: unhealthy, but serving (what HAProxy's HTTP check follows)") {
    inputs.draining = true;
    HealthVerdict v = decide_health(inputs, mounts, true, "");
    CHECK_FALSE(v.healthy);
    CHECK(v.reasons == std::vector<std::string>{"draining"});
    CHECK(v.serving_reasons.empty());
  }
  SECTION("drained for a rollout: out of /health and check.txt, not of /health/serving") {
    inputs.rollout_drain = "fixture-2";
    HealthVerdict v = decide_health(inputs, mounts, true, "");
    CHECK_FALSE(v.healthy);
    CHECK(v.reasons == std::vector<std::string>{"drained for the rollout of fixture-2"});
    CHECK(v.serving_reasons.empty());
  }
  SECTION("both drains and a broken Apache: serving names only Apache") {
    inputs.draining = true;
    inputs.rollout_drain = "fixture-2";
    HealthVerdict v = decide_health(inputs, mounts, true, "connection refused");
    CHECK(v.reasons == std::vector<std::string>{"draining", "drained for the rollout of fixture-2",
                                                "apache: connection refused"});
    CHECK(v.serving_reasons == std::vector<std::string>{"apache: connection refused"});
  }
  SECTION("a broken PHP is a reason \"php: <why>\"") {
    HealthVerdict v = decide_health(inputs, mounts, true, "", "no answer for 7s");
    CHECK_FALSE(v.healthy);
    CHECK(v.reasons == std::vector<std::string>{"php: no answer for 7s"});
    // Not on a node that serves nothing.
    CHECK(decide_health(inputs, {}, false, "", "no answer for 7s").healthy);
  }
  SECTION("no valid desired state is unhealthy and says why") {
    inputs.desired = nullptr;
    inputs.desired_error = "volumes[0].replica: must be at least 1";
    HealthVerdict v = decide_health(inputs, {}, false, "");
    CHECK_FALSE(v.healthy);
    CHECK(v.reasons[0] == "no valid desired state: volumes[0].replica: must be at least 1");
  }
  SECTION("a rejected document is a warning, not a reason: the old one is in force") {
    inputs.desired_error = "volumes[0].replica: must be at least 1";
    HealthVerdict v = decide_health(inputs, mounts, true, "");
    CHECK(v.healthy);
    REQUIRE(v.warnings.size() == 1);
    CHECK_THAT(v.warnings[0], Catch::Contains("volumes[0].replica"));
  }
  SECTION("a mount's warning (a FIFO planted at the write probe) is a warning, not a reason") {
    mounts[1].warning = "write probe /mnt/pydio-config/.p: not a regular file (fifo)";
    HealthVerdict v = decide_health(inputs, mounts, true, "");
    CHECK(v.healthy);
    CHECK(v.warnings == std::vector<std::string>{
                            "mount /mnt/pydio-config: write probe /mnt/pydio-config/.p: not a "
                            "regular file (fifo)"});
  }
  SECTION("an agent-check port held by another process takes the node out of HAProxy") {
    inputs.agent_check_problem = "agent-check 198.18.0.1:8482: Address already in use";
    HealthVerdict v = decide_health(inputs, mounts, true, "");
    CHECK_FALSE(v.healthy);
    CHECK(v.serving_reasons == std::vector<std::string>{inputs.agent_check_problem});
  }
  SECTION("a storage-only node does not need mounts or Apache") {
    mounts[0].health = MountHealth::kNotMounted;
    CHECK(decide_health(inputs, mounts, false, "refused").healthy);
  }
}

TEST_CASE("mount prober reports answers and errors of stat", "[health]") {
  SECTION("an existing directory answers") {
    MountProber prober("/tmp");
    CHECK(prober.probe(2s).health == MountHealth::kOk);
  }
  SECTION("a missing path is broken with the errno text") {
    MountProber prober("/nonexistent/pydio-mount");
    MountProbe p = prober.probe(2s);
    CHECK(p.health == MountHealth::kBroken);
    CHECK_THAT(p.detail, Catch::Contains("No such file"));
  }
  CHECK(is_corrupt_mount_errno(ENOTCONN));
  CHECK_FALSE(is_corrupt_mount_errno(ENOENT));
}
