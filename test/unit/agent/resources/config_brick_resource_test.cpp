// plan_config_brick() on handwritten observations.
#include <catch2/catch.hpp>

#include "agent/resources/config_brick_resource.hpp"

using namespace pydio::agent;

namespace {
ConfigBrickDesired on_data_device() {
  ConfigBrickDesired desired;
  desired.brick_name = "config";
  desired.node_name = "node1";
  desired.directory = "/data/config-brick";
  desired.enclosing_device = "/dev/loop3";
  desired.enclosing_mountpoint = "/data";
  return desired;
}
}  // namespace

TEST_CASE("a config brick on the data device waits for the mount, then is created", "[config_brick]") {
  ConfigBrickObservation observed;
  observed.nearest_existing = "/data";

  SECTION("data device not mounted: wait, even though /data is on the root filesystem") {
    observed.on_root_filesystem = true;
    auto plan = plan_config_brick(on_data_device(), observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == "/dev/loop3 mounted at /data");
  }
  SECTION("mounted: create it; paired execution gives an empty plan") {
    observed.enclosing_mounted = true;
    auto plan = plan_config_brick(on_data_device(), observed);
    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 1);
    CHECK(plan->actions[0].kind == "mkdir-brick-dir");
    CHECK(plan->actions[0].description == "create brick directory /data/config-brick");
    const auto* mkdir = action_step<ConfigBrickAction, MakeBrickDirectory>(plan->actions[0]);
    REQUIRE(mkdir);
    CHECK(mkdir->path == "/data/config-brick");
    observed.exists = observed.is_directory = true;
    auto again = plan_config_brick(on_data_device(), observed);
    REQUIRE(again);
    CHECK(again->actions.empty());
    CHECK(again->waiting_for.empty());
  }
}

TEST_CASE("a config brick on the root filesystem needs the opt-in", "[config_brick]") {
  ConfigBrickDesired desired;
  desired.brick_name = "config";
  desired.node_name = "node1";
  desired.directory = "/srv/config-brick";
  ConfigBrickObservation observed;
  observed.nearest_existing = "/srv";
  observed.on_root_filesystem = true;

  SECTION("refused by default, saying how to opt in") {
    auto plan = plan_config_brick(desired, observed);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message().find("is on the root filesystem") != std::string::npos);
    CHECK(plan.status().message().find("\"allowRootPartition\": true on brick \"config\" of node \"node1\"") !=
          std::string::npos);
  }
  SECTION("an existing directory on the root filesystem is refused too") {
    observed.exists = observed.is_directory = true;
    CHECK_FALSE(plan_config_brick(desired, observed));
  }
  SECTION("allowed with allowRootPartition") {
    desired.allow_root_partition = true;
    auto plan = plan_config_brick(desired, observed);
    REQUIRE(plan);
    CHECK(plan->actions.size() == 1);
  }
}

TEST_CASE("a file where the brick directory should be is an error", "[config_brick]") {
  ConfigBrickObservation observed;
  observed.exists = true;
  observed.enclosing_mounted = true;
  auto plan = plan_config_brick(on_data_device(), observed);
  REQUIRE_FALSE(plan);
  CHECK(plan.status().message() == "brick \"config\": /data/config-brick exists and is not a directory");
}
