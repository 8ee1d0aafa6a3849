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

// A pool member as `pool list` reports it, known by its address only.
common::GlusterPeer peer(const std::string& uuid, const std::string& address, bool connected) {
  common::GlusterPeer member;
  member.uuid = uuid;
  member.hostname = address;
  member.connected = connected;
  member.names = {address};
  return member;
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

@@REST@@
