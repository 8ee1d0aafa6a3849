// Planning of the volume resource: pure, on recorded `volume info` / `pool list` answers of a
// real glusterd 10.3 (test/data/gluster/) and on handwritten desired states; scale-out uses a
// handwritten multi-node volume (the recordings come from a single node).

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "agent/resources/volume_resource.hpp"
#include "common/gluster_xml.hpp"
#include "test/unit/support/test_data.hpp"

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

// "198.18.0.<first>:/data/pydio-data" .. "198.18.0.<last>:/data/pydio-data": one brick per
// storage node, in node order.
std::vector<std::string> data_bricks(int first, int last) {
  std::vector<std::string> bricks;
  for (int host = first; host <= last; ++host) {
    bricks.push_back("198.18.0." + std::to_string(host) + ":/data/pydio-data");
  }
  return bricks;
}

// A started replica 2 volume with `endpoints`, as parse_volume_info() returns it. Handwritten:
// the recordings in test/data/gluster/ come from a single node.
common::GlusterVolume started_replica2(const std::vector<std::string>& endpoints) {
  common::GlusterVolume volume;
  volume.name = "pydio-data";
  volume.state = common::GlusterVolumeState::kStarted;
  volume.type = endpoints.size() > 2 ? "Distributed-Replicate" : "Replicate";
  volume.brick_count = static_cast<int>(endpoints.size());
  volume.replica_count = 2;
  for (const auto& endpoint : endpoints) {
    common::GlusterBrick brick;
    brick.endpoint = endpoint;
    volume.bricks.push_back(brick);
  }
  return volume;
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
  observed.ready_hosts = {"198.18.0.1"};

  SECTION("create, each option, start, in that order") {
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
    const auto* created = agent::action_step<agent::VolumeAction, agent::CreateVolume>(create);
    REQUIRE(created);
    CHECK(created->volume == "pydio-data");
    CHECK(created->bricks == std::vector<std::string>{"198.18.0.1:/data/pydio-data"});
    CHECK(created->replica == 1);
    CHECK_FALSE(created->force);
    CHECK(created->term == 7);
    CHECK(plan->actions[1].kind == "set-volume-option");
    CHECK(plan->actions[3].kind == "start-volume");
  }
  SECTION("not before this node's own brick resource reports the brick ready") {
    observed.ready_hosts.clear();

    auto plan = agent::plan_volume(target, observed, 7);

    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == "bricks of 198.18.0.1 reported ready by their agents");
  }
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
  observed.ready_hosts = {"198.18.0.1", "198.18.0.2", "198.18.0.3"};

  SECTION("waits until every brick host is a connected peer") {
    observed.peers.push_back(peer("u2", "198.18.0.2", true));
    observed.peers.push_back(peer("u3", "198.18.0.3", false));
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == "peers 198.18.0.3 in the gluster pool, connected");
  }
  SECTION("waits until the agent of every brick host reports its brick ready") {
    observed.peers.push_back(peer("u2", "198.18.0.2", true));
    observed.peers.push_back(peer("u3", "198.18.0.3", true));
    observed.ready_hosts = {"198.18.0.1"};
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == "bricks of 198.18.0.2, 198.18.0.3 reported ready by their agents");
  }
  SECTION("a peer gluster knows under a second name counts as connected") {
    common::GlusterPeer named = peer("u2", "node2", true);
    named.names.push_back("198.18.0.2");
    observed.peers.push_back(named);
    observed.peers.push_back(peer("u3", "198.18.0.3", true));
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->waiting_for.empty());
    REQUIRE_FALSE(plan->actions.empty());
    CHECK(plan->actions[0].kind == "create-volume");
  }
  SECTION("creates with replica, arbiter and force once they are") {
    observed.peers.push_back(peer("u2", "198.18.0.2", true));
    observed.peers.push_back(peer("u3", "198.18.0.3", true));
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->waiting_for.empty());
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{
              "create volume pydio-config replica 3 arbiter 1 with bricks 198.18.0.1:/srv/c "
              "198.18.0.2:/srv/c 198.18.0.3:/srv/c (force: brick on the root partition is allowed)",
              "start volume pydio-config"});
  }
}

TEST_CASE("a new volume uses its bricks in whole replica sets only", "[volume][plan]") {
  VolumeTarget target;
  target.name = "pydio-config";
  target.replica = 3;
  target.arbiter = 1;
  target.self_address = "198.18.0.1";
  VolumeObservation observed;
  observed.peers = lone_pool();
  observed.peers.push_back(peer("u2", "198.18.0.2", true));
  observed.peers.push_back(peer("u3", "198.18.0.3", true));
  observed.ready_hosts = {"198.18.0.1", "198.18.0.2", "198.18.0.3"};

  SECTION("fewer bricks than one set: nothing is created, the plan says how many are missing") {
    target.bricks = {"198.18.0.1:/srv/c", "198.18.0.2:/srv/c"};
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for ==
          "1 more storage node for the first replica set of pydio-config (replica 3 arbiter 1)");

    target.bricks = {"198.18.0.1:/srv/c"};
    plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for ==
          "2 more storage nodes for the first replica set of pydio-config (replica 3 arbiter 1)");
  }
  SECTION("four bricks: created with the first set, the fourth waits for the next set") {
    // The fourth host is not even a peer yet: only the bricks of the first set must be ready.
    target.bricks = {"198.18.0.1:/srv/c", "198.18.0.2:/srv/c", "198.18.0.3:/srv/c",
                     "198.18.0.4:/srv/c"};
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{
              "create volume pydio-config replica 3 arbiter 1 with bricks 198.18.0.1:/srv/c "
              "198.18.0.2:/srv/c 198.18.0.3:/srv/c",
              "start volume pydio-config"});
    const auto* created =
        agent::action_step<agent::VolumeAction, agent::CreateVolume>(plan->actions[0]);
    REQUIRE(created);
    CHECK(created->bricks ==
          std::vector<std::string>{"198.18.0.1:/srv/c", "198.18.0.2:/srv/c", "198.18.0.3:/srv/c"});
    // Not a wait: the volume is usable once created, dependents go on.
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note == "2 more storage nodes for the next replica set of pydio-config");
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
    CHECK(plan->note.empty());
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
    observed.peers.push_back(peer("u2", "198.18.0.2", false));
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
  SECTION("bricks moved to other paths: the new ones wait for their host, the old one stays") {
    observed.volume = recorded_volume("volume_info_started.xml");
    target.bricks = {"198.18.0.1:/data/pydio-data", "198.18.0.2:/data/pydio-data"};
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note ==
          "peers 198.18.0.2 in the gluster pool, connected before adding bricks to pydio-data; "
          "bricks not in the desired state are never removed: 198.18.0.1:/srv/data/pydio-data");
  }
}

// Once the volume exists it serves as it is: what scale-out still lacks is a note for status,
// never a wait (a wait would hold back the volume's dependents, e.g. the leader's FUSE mount).
TEST_CASE("scale-out: new bricks join an existing volume in whole replica sets",
          "[volume][plan][scale-out]") {
  VolumeTarget target;
  target.name = "pydio-data";
  target.replica = 2;
  target.self_address = "198.18.0.1";
  VolumeObservation observed;
  observed.volume = started_replica2(data_bricks(1, 2));
  observed.peers = lone_pool();
  for (int host = 2; host <= 6; ++host) {
    observed.peers.push_back(
        peer("u" + std::to_string(host), "198.18.0." + std::to_string(host), true));
    observed.ready_hosts.insert("198.18.0." + std::to_string(host));
  }
  observed.ready_hosts.insert("198.18.0.1");

  SECTION("one complete new set, connected and ready: add it, then start a rebalance") {
    target.bricks = data_bricks(1, 4);

    auto plan = agent::plan_volume(target, observed, 5);

    REQUIRE(plan);
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note.empty());
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{"add 1 replica set to volume pydio-data: "
                                   "198.18.0.3:/data/pydio-data 198.18.0.4:/data/pydio-data",
                                   "start a rebalance of volume pydio-data"});
    const auto& add = plan->actions[0];
    CHECK(add.kind == "add-bricks");
    const auto* added = agent::action_step<agent::VolumeAction, agent::AddBricks>(add);
    REQUIRE(added);
    CHECK(added->bricks ==
          std::vector<std::string>{"198.18.0.3:/data/pydio-data", "198.18.0.4:/data/pydio-data"});
    CHECK(added->replica == 2);
    CHECK(added->arbiter == 0);
    CHECK_FALSE(added->force);
    CHECK(added->term == 5);
    CHECK(plan->actions[1].kind == "rebalance-volume");
    const auto* rebalance =
        agent::action_step<agent::VolumeAction, agent::RebalanceVolume>(plan->actions[1]);
    REQUIRE(rebalance);
    CHECK(rebalance->term == 5);
  }
  SECTION("two complete sets and one brick more: exactly the complete sets are added") {
    target.bricks = data_bricks(1, 7);  // 198.18.0.7 is not a peer yet

    auto plan = agent::plan_volume(target, observed, 5);

    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{
              "add 2 replica sets to volume pydio-data: 198.18.0.3:/data/pydio-data "
              "198.18.0.4:/data/pydio-data 198.18.0.5:/data/pydio-data "
              "198.18.0.6:/data/pydio-data",
              "start a rebalance of volume pydio-data"});
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note == "1 more storage node for the next replica set of pydio-data");
  }
  SECTION("a rebalance that did not start after the add is planned again, alone") {
    target.bricks = data_bricks(1, 2);
    observed.rebalance_due = true;

    auto plan = agent::plan_volume(target, observed, 5);

    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{"start a rebalance of volume pydio-data"});
    const auto* rebalance =
        agent::action_step<agent::VolumeAction, agent::RebalanceVolume>(plan->actions[0]);
    REQUIRE(rebalance);
    CHECK(rebalance->term == 5);
  }
  SECTION("a partial new set: nothing is added, the note says how many nodes it lacks") {
    target.bricks = data_bricks(1, 3);

    auto plan = agent::plan_volume(target, observed, 5);

    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note == "1 more storage node for the next replica set of pydio-data");
  }
  SECTION("a new set with a host that is not a connected peer is not added yet") {
    target.bricks = data_bricks(1, 4);
    observed.peers[3].connected = false;  // u4
    REQUIRE(observed.peers[3].hostname == "198.18.0.4");

    auto plan = agent::plan_volume(target, observed, 5);

    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note ==
          "peers 198.18.0.4 in the gluster pool, connected before adding bricks to pydio-data");
  }
  SECTION("a new set with a brick its agent does not report ready is not added yet") {
    target.bricks = data_bricks(1, 4);
    observed.ready_hosts.erase("198.18.0.3");

    auto plan = agent::plan_volume(target, observed, 5);

    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note ==
          "bricks of 198.18.0.3 reported ready by their agents before adding bricks to pydio-data");
  }
  SECTION("a disconnected member of the existing volume holds the add back") {
    target.bricks = data_bricks(1, 4);
    observed.peers[1].connected = false;  // u2, replica partner of this node
    REQUIRE(observed.peers[1].hostname == "198.18.0.2");

    auto plan = agent::plan_volume(target, observed, 5);

    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note == "peers 198.18.0.2 to reconnect before adding bricks to pydio-data");
  }
  SECTION("paired execution: once the set is added, the volume plans nothing") {
    target.bricks = data_bricks(1, 4);
    observed.volume = started_replica2(data_bricks(1, 4));

    auto plan = agent::plan_volume(target, observed, 5);

    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note.empty());

    // Also as observe_and_plan() first judges it: without the pool and readiness answers.
    VolumeObservation volume_only;
    volume_only.volume = observed.volume;
    plan = agent::plan_volume(target, volume_only, 5);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note.empty());
  }
  SECTION("bricks the desired state no longer lists are reported, never removed") {
    target.bricks = data_bricks(1, 2);
    observed.volume = started_replica2(data_bricks(1, 4));

    auto plan = agent::plan_volume(target, observed, 5);

    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note ==
          "bricks not in the desired state are never removed: 198.18.0.3:/data/pydio-data "
          "198.18.0.4:/data/pydio-data");
  }
}

// auth.allow is the agent's, computed from the whole desired state: a host outside the cluster
// cannot mount the volumes (docs/security.md, "Gluster locked down").
// glusterd runs a volume transaction only on peers that are connected and "Peer in Cluster";
// a peer just probed is connected in "Accepted peer request" for 1-2 s (recorded by
// test/data/gluster/record-probe.sh) and would miss it: the leader waits instead of failing.
TEST_CASE("a peer still joining the trusted pool holds back volume transactions",
          "[volume][plan][pool-hold]") {
  VolumeTarget target;
  target.name = "pydio-data";
  target.replica = 2;
  target.self_address = "198.18.0.1";
  target.bricks = data_bricks(1, 2);
  VolumeObservation observed;
  observed.ready_hosts = {"198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.0.4"};
  // A pool member as glusterd 10.3 reports it while it joins.
  auto joining = [](const std::string& uuid, const std::string& address) {
    common::GlusterPeer member = peer(uuid, address, true);
    member.state = 4;
    member.state_name = "Accepted peer request";
    return member;
  };

  SECTION("creation waits for a brick host that is connected but still joining (recorded)") {
    auto pool = common::parse_pool_list(recorded("pool_list_state4.xml"));
    REQUIRE(pool);
    observed.peers = *pool;
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for ==
          "peer 198.18.0.2 to finish joining the trusted pool (state: Accepted peer request)");
  }
  SECTION("paired: once it is Peer in Cluster (recorded), the volume is created") {
    auto pool = common::parse_pool_list(recorded("pool_list_state3.xml"));
    REQUIRE(pool);
    observed.peers = *pool;
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->waiting_for.empty());
    REQUIRE_FALSE(plan->actions.empty());
    CHECK(plan->actions[0].kind == "create-volume");
  }
  SECTION("creation waits for a joining peer that holds none of its bricks too") {
    observed.peers = lone_pool();
    observed.peers.push_back(peer("u2", "198.18.0.2", true));
    observed.peers.push_back(joining("u5", "198.18.0.5"));
    auto plan = agent::plan_volume(target, observed, 1);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for ==
          "peer 198.18.0.5 to finish joining the trusted pool (state: Accepted peer request)");
  }

  observed.volume = started_replica2(data_bricks(1, 2));
  observed.peers = lone_pool();
  observed.peers.push_back(peer("u2", "198.18.0.2", true));
  observed.peers.push_back(peer("u3", "198.18.0.3", true));

  SECTION("scale-out: the new set waits (a note, not a failure) while its host joins") {
    target.bricks = data_bricks(1, 4);
    observed.peers.push_back(joining("u4", "198.18.0.4"));
    auto plan = agent::plan_volume(target, observed, 5);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());  // the volume serves on
    CHECK(plan->note ==
          "peer 198.18.0.4 to finish joining the trusted pool (state: Accepted peer request) "
          "before adding bricks to pydio-data");
    CHECK(plan->recheck_soon);  // nothing announces the end of the join
    observed.peers.back().state = common::kGlusterPeerInCluster;  // paired: it joined
    observed.peers.back().state_name = "Peer in Cluster";
    auto after = agent::plan_volume(target, observed, 5);
    REQUIRE(after);
    CHECK(descriptions(*after) ==
          std::vector<std::string>{"add 1 replica set to volume pydio-data: "
                                   "198.18.0.3:/data/pydio-data 198.18.0.4:/data/pydio-data",
                                   "start a rebalance of volume pydio-data"});
  }
  SECTION("scale-out: several joining peers are named with their states") {
    target.bricks = data_bricks(1, 4);
    observed.peers.push_back(joining("u4", "198.18.0.4"));
    observed.peers.push_back(joining("u5", "198.18.0.5"));
    observed.peers.back().state = 5;
    observed.peers.back().state_name = "Sent and Received peer request";
    auto plan = agent::plan_volume(target, observed, 5);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->note ==
          "peers 198.18.0.4 (state: Accepted peer request), 198.18.0.5 (state: Sent and "
          "Received peer request) to finish joining the trusted pool before adding bricks to "
          "pydio-data");
  }
  SECTION("scale-out: a brick host never probed does not hold the complete sets back") {
    target.bricks = data_bricks(1, 5);  // 198.18.0.5 is not in the pool
    observed.peers.push_back(peer("u4", "198.18.0.4", true));
    auto plan = agent::plan_volume(target, observed, 5);
    REQUIRE(plan);
    REQUIRE_FALSE(plan->actions.empty());
    CHECK(plan->actions[0].kind == "add-bricks");
  }
  SECTION("an option change waits while a peer joins") {
    target.options["network.ping-timeout"] = "5";
    observed.peers.push_back(joining("u4", "198.18.0.4"));
    auto plan = agent::plan_volume(target, observed, 5);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for ==
          "peer 198.18.0.4 to finish joining the trusted pool (state: Accepted peer request) "
          "before changing options of volume pydio-data");
  }
  SECTION("the access list for a node that just joined the document waits for its join") {
    // The join and the probe come in the same pass: the pool this pass read may not list it yet.
    observed.volume->options["auth.allow"] = "198.18.0.1,198.18.0.2,198.18.0.3";
    target.bricks = data_bricks(1, 4);
    target.auth_allow = "198.18.0.1,198.18.0.2,198.18.0.3,198.18.0.4";
    auto plan = agent::plan_volume(target, observed, 5);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note ==
          "auth.allow of volume pydio-data stays 198.18.0.1,198.18.0.2,198.18.0.3 until peer "
          "198.18.0.4 joins the trusted pool (desired "
          "198.18.0.1,198.18.0.2,198.18.0.3,198.18.0.4); peers 198.18.0.4 in the gluster pool, "
          "connected before adding bricks to pydio-data");
    CHECK(plan->recheck_soon);  // its agent reports its brick ready: it is being probed
    observed.ready_hosts.erase("198.18.0.4");
    auto silent = agent::plan_volume(target, observed, 5);
    REQUIRE(silent);
    CHECK_FALSE(silent->recheck_soon);  // a host that is not up: the timer pass will do
    observed.ready_hosts.insert("198.18.0.4");
    observed.peers.push_back(joining("u4", "198.18.0.4"));
    auto joining_plan = agent::plan_volume(target, observed, 5);
    REQUIRE(joining_plan);
    CHECK(joining_plan->actions.empty());
    CHECK(joining_plan->note.find("until peer 198.18.0.4 finishes joining the trusted pool "
                                  "(state: Accepted peer request) (desired") != std::string::npos);
    observed.peers.back().state = common::kGlusterPeerInCluster;  // paired: it joined
    auto joined = agent::plan_volume(target, observed, 5);
    REQUIRE(joined);
    REQUIRE_FALSE(joined->actions.empty());
    const auto* set =
        agent::action_step<agent::VolumeAction, agent::SetVolumeOption>(joined->actions[0]);
    REQUIRE(set);
    CHECK(set->key == "auth.allow");
    CHECK(set->value == "198.18.0.1,198.18.0.2,198.18.0.3,198.18.0.4");
  }
}

TEST_CASE("auth.allow admits exactly the storage and compute nodes", "[volume][plan][auth]") {
  common::DesiredState desired;
  desired.nodes = {storage_node("n1", "198.18.0.1"), storage_node("n2", "198.18.0.2")};
  common::NodeSpec db;
  db.name = "db";
  db.address = "198.18.0.3";
  db.roles = {common::Role::kDb};
  common::NodeSpec web;
  web.name = "web";
  web.address = "198.18.0.9";
  web.roles = {common::Role::kCompute};
  desired.nodes.push_back(db);
  desired.nodes.push_back(web);
  common::VolumeSpec data{"pydio-data", 2, 0, "data", {{"auth.allow", "*"}}, "/mnt/pydio-data"};
  desired.volumes = {data};

  SECTION("the value: storage and compute nodes in node order, the db-only node left out") {
    CHECK(agent::cluster_auth_allow(desired, "pydio-data") == "198.18.0.1,198.18.0.2,198.18.0.9");
    VolumeTarget target = agent::volume_target(desired, data, "198.18.0.1");
    CHECK(target.auth_allow == "198.18.0.1,198.18.0.2,198.18.0.9");
    // An operator's value (refused by validation) never reaches gluster.
    CHECK(target.options.count("auth.allow") == 0);
  }
  SECTION("with database.backup the db node is a client of the backup volume only") {
    common::VolumeSpec config{"pydio-config", 2, 0, "config", {}, "/mnt/pydio-config"};
    desired.volumes.push_back(config);
    desired.database.backup = common::BackupSpec{};
    CHECK(agent::cluster_auth_allow(desired, "pydio-data") ==
          "198.18.0.1,198.18.0.2,198.18.0.3,198.18.0.9");
    CHECK(agent::cluster_auth_allow(desired, "pydio-config") == "198.18.0.1,198.18.0.2,198.18.0.9");
    desired.security.gluster_tls = true;
    CHECK(agent::cluster_ssl_allow(desired, "pydio-data").find("db") != std::string::npos);
    CHECK(agent::cluster_ssl_allow(desired, "pydio-config").find("db") == std::string::npos);
  }

  VolumeTarget target;
  target.name = "pydio-data";
  target.replica = 2;
  target.self_address = "198.18.0.1";
  target.bricks = data_bricks(1, 2);
  target.auth_allow = "198.18.0.1,198.18.0.2";
  VolumeObservation observed;
  observed.peers = lone_pool();
  observed.peers.push_back(peer("u2", "198.18.0.2", true));
  observed.ready_hosts = {"198.18.0.1", "198.18.0.2"};

  SECTION("a new volume gets it before its first start") {
    auto plan = agent::plan_volume(target, observed, 3);
    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 3);
    CHECK(plan->actions[1].description ==
          "allow only the cluster's nodes to mount volume pydio-data: set option "
          "auth.allow=198.18.0.1,198.18.0.2");
    const auto* set =
        agent::action_step<agent::VolumeAction, agent::SetVolumeOption>(plan->actions[1]);
    REQUIRE(set);
    CHECK(set->key == "auth.allow");
    CHECK(set->value == "198.18.0.1,198.18.0.2");
    CHECK(set->term == 3);
    CHECK(plan->actions[2].kind == "start-volume");
  }

  observed.volume = started_replica2(data_bricks(1, 2));

  SECTION("an existing volume without it (built by the previous version) gets it") {
    auto plan = agent::plan_volume(target, observed, 3);
    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{"allow only the cluster's nodes to mount volume pydio-data: "
                                   "set option auth.allow=198.18.0.1,198.18.0.2"});
  }
  SECTION("paired execution: once set, nothing to do") {
    observed.volume->options["auth.allow"] = "198.18.0.1,198.18.0.2";
    auto plan = agent::plan_volume(target, observed, 3);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note.empty());
  }
  SECTION("nodes joined (any number since the last pass): one change to the whole new list") {
    observed.volume->options["auth.allow"] = "198.18.0.1,198.18.0.2";
    target.auth_allow = "198.18.0.1,198.18.0.2,198.18.0.7,198.18.0.8";
    auto plan = agent::plan_volume(target, observed, 3);
    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 1);
    const auto* set =
        agent::action_step<agent::VolumeAction, agent::SetVolumeOption>(plan->actions[0]);
    REQUIRE(set);
    CHECK(set->value == "198.18.0.1,198.18.0.2,198.18.0.7,198.18.0.8");
  }
  SECTION("a node left: its address is dropped") {
    observed.volume->options["auth.allow"] = "198.18.0.1,198.18.0.2,198.18.0.9";
    auto plan = agent::plan_volume(target, observed, 3);
    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 1);
    CHECK(plan->actions[0].description.find("auth.allow=198.18.0.1,198.18.0.2") !=
          std::string::npos);
  }
  SECTION("deferred while a peer is disconnected: a note, not a wait (the volume serves on)") {
    observed.volume->options["auth.allow"] = "198.18.0.1,198.18.0.2";
    observed.peers[1].connected = false;
    target.auth_allow = "198.18.0.1,198.18.0.2,198.18.0.9";
    auto plan = agent::plan_volume(target, observed, 3);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note ==
          "auth.allow of volume pydio-data stays 198.18.0.1,198.18.0.2 until peers 198.18.0.2 "
          "reconnect (desired 198.18.0.1,198.18.0.2,198.18.0.9)");
    CHECK_FALSE(plan->recheck_soon);  // an outage may last: the timer passes look again
  }
  SECTION("a storage node that left the document but still holds bricks stays admitted") {
    observed.volume = started_replica2(data_bricks(1, 4));
    observed.volume->options["auth.allow"] = "198.18.0.1,198.18.0.2";
    target.bricks = data_bricks(1, 4);
    observed.peers.push_back(peer("u3", "198.18.0.3", true));  // brick hosts are pool members
    observed.peers.push_back(peer("u4", "198.18.0.4", true));
    auto plan = agent::plan_volume(target, observed, 3);
    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 1);
    const auto* set =
        agent::action_step<agent::VolumeAction, agent::SetVolumeOption>(plan->actions[0]);
    REQUIRE(set);
    CHECK(set->value == "198.18.0.1,198.18.0.2,198.18.0.3,198.18.0.4");
  }
  SECTION("no managed value (\"\"): the option is left alone") {
    target.auth_allow.clear();
    auto plan = agent::plan_volume(target, observed, 3);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
  }
}

TEST_CASE("gluster TLS: client.ssl, server.ssl and auth.ssl-allow on the same path as auth.allow",
          "[volume][plan][gluster-tls]") {
  common::DesiredState desired;
  desired.nodes = {storage_node("n1", "198.18.0.1"), storage_node("n2", "198.18.0.2")};
  common::NodeSpec db;
  db.name = "db";
  db.address = "198.18.0.3";
  db.roles = {common::Role::kDb};
  common::NodeSpec web;
  web.name = "web";
  web.address = "198.18.0.9";
  web.roles = {common::Role::kCompute};
  desired.nodes.push_back(db);
  desired.nodes.push_back(web);
  // Operator values (refused by validation) never reach gluster.
  common::VolumeSpec data{"pydio-data", 2, 0, "data", {}, "/mnt/pydio-data"};
  data.options = {{"server.ssl", "off"}, {"auth.ssl-allow", "*"}};
  desired.volumes = {data};

  SECTION("off (the default): no TLS option, no ssl-allow") {
    CHECK(agent::cluster_ssl_allow(desired, "pydio-data").empty());
    VolumeTarget target = agent::volume_target(desired, data, "198.18.0.1");
    CHECK(target.ssl_allow.empty());
    CHECK(target.options.count("server.ssl") == 0);
    CHECK(target.options.count("client.ssl") == 0);
    CHECK(target.options.count("auth.ssl-allow") == 0);
  }

  desired.security.gluster_tls = true;
  SECTION("on: the names of the storage and compute nodes (their certificates' CNs)") {
    CHECK(agent::cluster_ssl_allow(desired, "pydio-data") == "n1,n2,web");
    VolumeTarget target = agent::volume_target(desired, data, "198.18.0.1");
    CHECK(target.ssl_allow == "n1,n2,web");
    CHECK(target.options ==
          std::map<std::string, std::string>{{"client.ssl", "on"}, {"server.ssl", "on"}});
  }

  VolumeTarget target = agent::volume_target(desired, data, "198.18.0.1");
  VolumeObservation observed;
  observed.peers = lone_pool();
  observed.peers.push_back(peer("u2", "198.18.0.2", true));
  observed.ready_hosts = {"198.18.0.1", "198.18.0.2"};

  SECTION("a new volume has all of it before its first start") {
    auto plan = agent::plan_volume(target, observed, 4);
    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{
              "create volume pydio-data replica 2 with bricks 198.18.0.1:/data/pydio-data "
              "198.18.0.2:/data/pydio-data",
              "set option client.ssl=on on volume pydio-data",
              "set option server.ssl=on on volume pydio-data",
              "allow only the cluster's nodes to mount volume pydio-data: set option "
              "auth.allow=198.18.0.1,198.18.0.2,198.18.0.9",
              "allow only the cluster's certificates to mount volume pydio-data: set option "
              "auth.ssl-allow=n1,n2,web",
              "start volume pydio-data"});
  }

  observed.volume = started_replica2(data_bricks(1, 2));
  observed.volume->options = {{"client.ssl", "on"},
                              {"server.ssl", "on"},
                              {"auth.allow", "198.18.0.1,198.18.0.2,198.18.0.9"},
                              {"auth.ssl-allow", "n1,n2,web"}};

  SECTION("paired execution: once set, nothing to do") {
    auto plan = agent::plan_volume(target, observed, 4);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->note.empty());
  }
  SECTION("a node left: one change per list") {
    observed.volume->options["auth.allow"] = "198.18.0.1,198.18.0.2,198.18.0.9,198.18.0.7";
    observed.volume->options["auth.ssl-allow"] = "n1,n2,web,web2";
    auto plan = agent::plan_volume(target, observed, 4);
    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 2);
    const auto* set =
        agent::action_step<agent::VolumeAction, agent::SetVolumeOption>(plan->actions[1]);
    REQUIRE(set);
    CHECK(set->key == "auth.ssl-allow");
    CHECK(set->value == "n1,n2,web");
    CHECK(set->term == 4);
  }
  SECTION("deferred while a peer is disconnected, like auth.allow: a note per list") {
    observed.volume->options["auth.allow"] = "198.18.0.1,198.18.0.2";
    observed.volume->options["auth.ssl-allow"] = "n1,n2";
    observed.peers[1].connected = false;
    auto plan = agent::plan_volume(target, observed, 4);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
    CHECK(plan->note ==
          "auth.allow of volume pydio-data stays 198.18.0.1,198.18.0.2 until peers 198.18.0.2 "
          "reconnect (desired 198.18.0.1,198.18.0.2,198.18.0.9); auth.ssl-allow of volume "
          "pydio-data stays n1,n2 until peers 198.18.0.2 reconnect (desired n1,n2,web)");
  }
}
