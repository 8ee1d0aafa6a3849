// Planning of the volume resource: pure, on recorded `volume info` / `pool list` answers of a
// real glusterd 10.3 (test/data/gluster/) and on handwritten desired states.

#include <catch2/catch.hpp>

#include "test/unit/support/test_data.hpp"
#include <fstream>
#include <sstream>

#include "agent/resources/volume_resource.hpp"
#include "common/gluster_xml.hpp"

using namespace pydio;
using agent::Plan;
using agent::VolumeObservation;
using agent::VolumeTarget;

namespace {

std::string recorded(const std::string& name) {
  return pydio::test::recorded_output("gluster/" + name);
}

common::GlusterVolume recorded_volume(const std::string& file) {
  auto volumes = common::parse_volume_info(recorded(file));
  REQUIRE(volumes);
  REQUIRE(volumes->size() == 1);
  return volumes->front();
}

std::vector<common::GlusterPeer> lone_pool() {
  auto peers = common::parse_pool_list(recorded("pool_list_single.xml"));
  REQUIRE(peers);
  return *peers;
}

// The volume recorded by record.sh: one brick, option performance.cache-size=64MB.
VolumeTarget recorded_target() {
  VolumeTarget target;
  target.name = "pydio-data";
  target.bricks = {"198.18.0.1:/srv/data/pydio-data"};
  target.options = {{"performance.cache-size", "64MB"}};
  target.self_address = "198.18.0.1";
  return target;
}

std::vector<std::string> descriptions(const Plan& plan) {
  std::vector<std::string> lines;
  for (const auto& action : plan.actions) lines.push_back(action.description);
  return lines;
}

common::NodeSpec storage_node(const std::string& name, const std::string& address) {
  common::NodeSpec node;
  node.name = name;
  node.address = address;
  node.roles = {common::Role::kStorage, common::Role::kCompute};
  common::BrickSpec data;
  data.name = "data";
  data.device = "/dev/xvdb";
  data.mountpoint = "/data";
  common::BrickSpec config;
  config.name = "config";
  config.directory = "/srv/pydio-config";
  node.bricks = {data, config};
  return node;
}

}  // namespace

TEST_CASE("the volume target comes from the desired state", "[volume][plan]") {
  common::DesiredState desired;
  desired.nodes = {storage_node("n1", "198.18.0.1"), storage_node("n2", "198.18.0.2")};
  common::NodeSpec compute;
  compute.name = "web";
  compute.address = "198.18.0.9";
  compute.roles = {common::Role::kCompute};
  desired.nodes.push_back(compute);
  common::VolumeSpec data{"pydio-data",     2, 0, "data", {{"network.ping-timeout", "5"}},
                          "/mnt/pydio-data"};
  common::VolumeSpec config{"pydio-config", 2, 0, "config", {}, "/mnt/pydio-config"};
  desired.volumes = {data, config};

  SECTION("device bricks are subdirectories of the mountpoint, in node order, without force") {
    VolumeTarget target = agent::volume_target(desired, data, "198.18.0.1");
    CHECK(target.bricks ==
          std::vector<std::string>{"198.18.0.1:/data/pydio-data", "198.18.0.2:/data/pydio-data"});
    CHECK(target.replica == 2);
    CHECK(target.options.at("network.ping-timeout") == "5");
    CHECK_FALSE(target.force);
  }
  SECTION("a directory brick is used as is; force only when the root partition is allowed") {
    CHECK_FALSE(agent::volume_target(desired, config, "198.18.0.1").force);
    desired.nodes[1].bricks[1].allow_root_partition = true;
    VolumeTarget target = agent::volume_target(desired, config, "198.18.0.1");
    CHECK(target.force);
    CHECK(target.bricks ==
          std::vector<std::string>{"198.18.0.1:/srv/pydio-config", "198.18.0.2:/srv/pydio-config"});
  }
}

TEST_CASE("a missing volume is created, configured and started", "[volume][plan]") {
  VolumeTarget target;
  target.name = "pydio-data";
  target.bricks = {"198.18.0.1:/data/pydio-data"};
  target.options = {{"network.ping-timeout", "5"}, {"performance.cache-size", "64MB"}};
  target.self_address = "198.18.0.1";
  VolumeObservation observed;
  observed.peers = lone_pool();

  auto plan = agent::plan_volume(target, observed, 7);

  REQUIRE(plan);
  CHECK(plan->waiting_for.empty());
  CHECK(descriptions(*plan) ==
        std::vector<std::string>{
            "create volume pydio-data replica 1 with bricks 198.18.0.1:/data/pydio-data",
            "set option network.ping-timeout=5 on volume pydio-data",
            "set option performance.cache-size=64MB on volume pydio-data",
            "start volume pydio-data"});
  const auto& create = plan->actions[0];
  CHECK(create.kind == "create-volume");
  CHECK(create.params.at("bricks") == nlohmann::json::array({"198.18.0.1:/data/pydio-data"}));
  CHECK(create.params.at("replica") == 1);
  CHECK(create.params.at("force") == false);
  CHECK(create.params.at("term") == 7);
  CHECK(plan->actions[1].kind == "set-volume-option");
  CHECK(plan->actions[3].kind == "start-volume");
}

TEST_CASE("creation of a replicated volume", "[volume][plan]") {
  VolumeTarget target;
  target.name = "pydio-config";
  target.replica = 3;
  target.arbiter = 1;
  target.bricks = {"198.18.0.1:/srv/c", "198.18.0.2:/srv/c", "198.18.0.3:/srv/c"};
  target.self_address = "198.18.0.1";
  target.force = true;
  VolumeObservation observed;
  observed.peers = lone_pool();

  SECTION("waits until every brick host is a connected peer") {
    observed.peers.push_back({"u2", "198.18.0.2", true});
    observed.peers.push_back({"u3", "198.18.0.3", false});
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == "peers 198.18.0.3 in the gluster pool, connected");
  }
  SECTION("creates with replica, arbiter and force once they are") {
    observed.peers.push_back({"u2", "198.18.0.2", true});
    observed.peers.push_back({"u3", "198.18.0.3", true});
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{
              "create volume pydio-config replica 3 arbiter 1 with bricks 198.18.0.1:/srv/c "
              "198.18.0.2:/srv/c 198.18.0.3:/srv/c (force: brick on the root partition is allowed)",
              "start volume pydio-config"});
  }
  SECTION("a brick count that does not fit the layout is an error") {
    target.bricks.pop_back();
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message() ==
          "volume pydio-config: 2 bricks do not fit replica 3 arbiter 1");
  }
}

TEST_CASE("an existing volume is started and configured, never recreated", "[volume][plan]") {
  VolumeTarget target = recorded_target();
  VolumeObservation observed;
  observed.peers = lone_pool();

  SECTION("created but not started: set the missing option, then start") {
    observed.volume = recorded_volume("volume_info_created.xml");
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{"set option performance.cache-size=64MB on volume pydio-data",
                                   "start volume pydio-data"});
  }
  SECTION("started with the desired options: nothing to do (paired with the plan above)") {
    observed.volume = recorded_volume("volume_info_started.xml");
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
  }
  SECTION("started, one option differs: one set action") {
    observed.volume = recorded_volume("volume_info_started.xml");
    target.options["performance.cache-size"] = "128MB";
    target.options["nfs.disable"] = "on";  // already so: no action
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{"set option performance.cache-size=128MB on volume pydio-data"});
  }
  SECTION("options are not changed while a peer is disconnected") {
    observed.volume = recorded_volume("volume_info_started.xml");
    observed.peers.push_back({"u2", "198.18.0.2", false});
    target.options["performance.cache-size"] = "128MB";
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for ==
          "peers 198.18.0.2 to reconnect before changing options of volume pydio-data");
  }
  SECTION("a different replica layout is an error, and nothing is planned") {
    observed.volume = recorded_volume("volume_info_started.xml");
    target.replica = 2;
    target.bricks.push_back("198.18.0.2:/srv/data/pydio-data");
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message() ==
          "volume pydio-data exists with replica 1, desired 2; not changing an existing "
          "volume's layout");
  }
  SECTION("an arbiter where none is desired is a layout difference too") {
    observed.volume = recorded_volume("volume_info_arbiter.xml");
    target.name = "pydio-arb";
    target.replica = 3;
    target.bricks = observed.volume->brick_endpoints();
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message() ==
          "volume pydio-arb exists with replica 3 arbiter 1, desired 3; not changing an "
          "existing volume's layout");
  }
  SECTION("brick list differences are reported, never acted on") {
    observed.volume = recorded_volume("volume_info_started.xml");
    target.bricks = {"198.18.0.1:/data/pydio-data", "198.18.0.2:/data/pydio-data"};
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for ==
          "adding bricks to an existing volume (not supported yet): 198.18.0.1:/data/pydio-data "
          "198.18.0.2:/data/pydio-data; bricks not in the desired state are never removed: "
          "198.18.0.1:/srv/data/pydio-data");
  }
}
