// The volume resource's answer to a dead brick (pure), on a recorded `volume status` of a real
// glusterd 10.3 with one brick down (test/data/gluster/volume_status_brick_down.xml).

#include "agent/resources/brick_repair.hpp"

#include <catch2/catch.hpp>

#include "agent/resources/volume_resource.hpp"
#include "common/gluster_xml.hpp"
#include "test/unit/support/test_data.hpp"

using namespace pydio;
using agent::BrickRepairInput;

namespace {

common::GlusterVolume volume_with(const std::string& name, const std::vector<std::string>& bricks) {
  common::GlusterVolume volume;
  volume.name = name;
  volume.state = common::GlusterVolumeState::kStarted;
  for (const auto& endpoint : bricks) {
    common::GlusterBrick brick;
    brick.endpoint = endpoint;
    volume.bricks.push_back(brick);
  }
  return volume;
}

common::GlusterPeer peer(const std::string& address, bool connected) {
  common::GlusterPeer member;
  member.hostname = address;
  member.names = {address};
  member.connected = connected;
  return member;
}

}  // namespace

TEST_CASE("offline bricks are those volume status does not list online", "[brick_repair]") {
  auto status = common::parse_volume_status(
      pydio::test::recorded_output("gluster/volume_status_brick_down.xml"));
  REQUIRE(status);
  const auto volume = volume_with(
      "pydio-arb", {"198.18.0.1:/srv/arb1/b", "198.18.0.1:/srv/arb2/b", "198.18.0.1:/srv/arb3/b"});
  CHECK(agent::offline_bricks(volume, *status) ==
        std::vector<std::string>{"198.18.0.1:/srv/arb2/b"});

  SECTION("a brick the status does not list at all counts as offline") {
    auto more = volume;
    more.bricks.push_back(volume_with("x", {"198.18.0.2:/srv/b"}).bricks[0]);
    CHECK(agent::offline_bricks(more, *status) ==
          std::vector<std::string>{"198.18.0.1:/srv/arb2/b", "198.18.0.2:/srv/b"});
  }
}

TEST_CASE("the leader force-starts the offline bricks it can reach, with backoff",
          "[brick_repair]") {
  BrickRepairInput input;
  input.volume = "pydio-data";
  input.self_address = "198.18.0.1";
  input.peers = {peer("198.18.0.2", true), peer("198.18.0.3", false)};
  input.leader_term = 7;

  SECTION("nothing offline: nothing to do") {
    const auto repair = agent::plan_brick_repair(input);
    CHECK_FALSE(repair.action);
    CHECK(repair.waiting_for.empty());
    CHECK(repair.note.empty());
  }
  SECTION("a brick of a connected peer, or of the leader itself: volume start force") {
    input.offline = {"198.18.0.2:/srv/pydio/brick", "198.18.0.1:/srv/pydio/brick"};
    const auto repair = agent::plan_brick_repair(input);
    REQUIRE(repair.action);
    CHECK(repair.action->kind == "start-bricks");
    const auto* start =
        agent::action_step<agent::VolumeAction, agent::StartOfflineBricks>(*repair.action);
    REQUIRE(start);
    CHECK(start->volume == "pydio-data");
    CHECK(start->term == 7);
    CHECK(repair.action->description ==
          "start the offline bricks of volume pydio-data: 198.18.0.2:/srv/pydio/brick "
          "198.18.0.1:/srv/pydio/brick (gluster volume start pydio-data force)");
  }
  SECTION("a brick of a disconnected peer is reported, not started") {
    input.offline = {"198.18.0.3:/srv/pydio/brick"};
    const auto repair = agent::plan_brick_repair(input);
    CHECK_FALSE(repair.action);
    CHECK(repair.note ==
          "bricks offline on hosts that are not connected peers: 198.18.0.3:/srv/pydio/brick");
  }
  SECTION("held back by the restart backoff: waits, and says why") {
    input.offline = {"198.18.0.2:/srv/pydio/brick"};
    input.held_back =
        "bricks of pydio-data stopped within 1 s of start 2 (2 in a row); next "
        "start in 2 s";
    const auto repair = agent::plan_brick_repair(input);
    CHECK_FALSE(repair.action);
    CHECK(repair.waiting_for == input.held_back);
  }
  SECTION("a later forced start carries its number, for its event") {
    input.offline = {"198.18.0.2:/srv/pydio/brick"};
    input.start_number = 3;
    const auto repair = agent::plan_brick_repair(input);
    REQUIRE(repair.action);
    CHECK(repair.action->description.find(", forced start 3 by this agent") != std::string::npos);
  }
}

TEST_CASE("a started volume with an offline brick plans its forced start", "[brick_repair]") {
  agent::VolumeTarget target;
  target.name = "pydio-data";
  target.replica = 2;
  target.bricks = {"198.18.0.1:/srv/pydio/brick", "198.18.0.2:/srv/pydio/brick"};
  target.self_address = "198.18.0.1";
  agent::VolumeObservation observed;
  observed.volume = volume_with("pydio-data", target.bricks);
  observed.volume->replica_count = 2;
  observed.peers = {peer("198.18.0.2", true)};

  SECTION("all online: in sync") {
    auto plan = agent::plan_volume(target, observed, 3);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
  }
  SECTION("one offline: start-bricks") {
    observed.offline_bricks = {"198.18.0.2:/srv/pydio/brick"};
    auto plan = agent::plan_volume(target, observed, 3);
    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 1);
    CHECK(plan->actions[0].kind == "start-bricks");
  }
  SECTION("one offline but held back: waiting, not an error") {
    observed.offline_bricks = {"198.18.0.2:/srv/pydio/brick"};
    observed.bricks_held_back = "bricks of pydio-data stopped within 1 s of start 1";
    auto plan = agent::plan_volume(target, observed, 3);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == observed.bricks_held_back);
  }
}
