// Parsers of `gluster --mode=script --xml` answers, on outputs recorded from a real glusterd
// 10.3 by test/data/gluster/record.sh (commands and exit codes in recorded.txt).

#include "common/gluster_xml.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "test/unit/support/test_data.hpp"

using namespace pydio::common;

namespace {

std::string recorded(const std::string& name) {
  return pydio::test::recorded_output("gluster/" + name);
}

}  // namespace

TEST_CASE("pool list of a lone node lists itself as localhost", "[gluster][xml]") {
  auto peers = parse_pool_list(recorded("pool_list_single.xml"));
  REQUIRE(peers);
  REQUIRE(peers->size() == 1);
  CHECK(peers->at(0).hostname == "localhost");
  CHECK(peers->at(0).uuid == "edaa3311-b816-4a5d-b14d-cf779e755a2b");
  CHECK(peers->at(0).connected);
}

TEST_CASE("pool list gives every name glusterd knows a peer by", "[gluster][xml]") {
  // Handwritten in the shape of glusterd 10 (the recordings are of a lone node): a peer probed
  // by address that glusterd also recorded under its /etc/hosts name.
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <peerStatus>
    <peer>
      <uuid>5b0e8b2f-3f5c-4f7e-9d3c-2a8f1f0b6c41</uuid>
      <hostname>198.18.0.2</hostname>
      <hostnames>
        <hostname>198.18.0.2</hostname>
        <hostname>node2</hostname>
      </hostnames>
      <connected>1</connected>
      <state>3</state>
      <stateStr>Peer in Cluster</stateStr>
    </peer>
    <peer>
      <uuid>edaa3311-b816-4a5d-b14d-cf779e755a2b</uuid>
      <hostname>localhost</hostname>
      <connected>1</connected>
    </peer>
  </peerStatus>
</cliOutput>)";

  auto peers = parse_pool_list(xml);

  REQUIRE(peers);
  REQUIRE(peers->size() == 2);
  const GlusterPeer& node2 = peers->at(0);
  CHECK(node2.hostname == "198.18.0.2");
  CHECK(node2.names == std::vector<std::string>{"198.18.0.2", "node2"});  // no duplicate
  CHECK(node2.known_as("node2"));
  CHECK(node2.known_as("198.18.0.2"));
  CHECK_FALSE(node2.known_as("198.18.0.3"));
  CHECK(peers->at(1).names == std::vector<std::string>{"localhost"});
}

TEST_CASE("pool list gives a peer's join state: connected is not yet in the cluster",
          "[gluster][xml]") {
  // Recorded by test/data/gluster/record-probe.sh on simulated nodes (recorded-probe.txt):
  // the leader's view of a peer 0.1 s and 1.6 s after `peer probe`.
  SECTION("just probed: connected, Accepted peer request") {
    auto peers = parse_pool_list(recorded("pool_list_state4.xml"));
    REQUIRE(peers);
    REQUIRE(peers->size() == 2);
    const GlusterPeer& joining = peers->at(0);
    CHECK(joining.hostname == "198.18.0.2");
    CHECK(joining.connected);
    CHECK(joining.state == 4);
    CHECK(joining.state_name == "Accepted peer request");
    CHECK_FALSE(joining.in_cluster());
    const GlusterPeer& self = peers->at(1);
    CHECK(self.hostname == "localhost");
    CHECK_FALSE(self.state.has_value());  // glusterd gives no state for itself
    CHECK(self.in_cluster());
  }
  SECTION("joined: Peer in Cluster") {
    auto peers = parse_pool_list(recorded("pool_list_state3.xml"));
    REQUIRE(peers);
    REQUIRE(peers->size() == 2);
    CHECK(peers->at(0).state == kGlusterPeerInCluster);
    CHECK(peers->at(0).state_name == "Peer in Cluster");
    CHECK(peers->at(0).in_cluster());
  }
  SECTION("peer status has the same shape, without localhost") {
    auto peers = parse_pool_list(recorded("peer_status_state4.xml"));
    REQUIRE(peers);
    REQUIRE(peers->size() == 1);
    CHECK(peers->at(0).state_name == "Accepted peer request");
    CHECK_FALSE(peers->at(0).in_cluster());
  }
  SECTION("a disconnected peer in state 3 is not in the cluster either") {
    std::string xml = recorded("pool_list_state3.xml");
    xml.replace(xml.find("<connected>1</connected>"), 24, "<connected>0</connected>");
    auto peers = parse_pool_list(xml);
    REQUIRE(peers);
    CHECK_FALSE(peers->at(0).connected);
    CHECK_FALSE(peers->at(0).in_cluster());
  }
  SECTION("a state that is not a number is an error naming the peer") {
    std::string xml = recorded("pool_list_state4.xml");
    xml.replace(xml.find("<state>4</state>"), 16, "<state>x</state>");
    auto peers = parse_pool_list(xml);
    REQUIRE_FALSE(peers);
    CHECK_THAT(peers.status().message(),
               Catch::Contains("198.18.0.2") && Catch::Contains("<state> is not a number"));
  }
}

TEST_CASE("an add-brick with a brick on a peer that is still joining is refused at staging",
          "[gluster][xml]") {
  // Recorded (record-probe.sh): glusterd itself checks the state, so this is not the
  // "Commit failed on <peer>" of a half-done add-brick; nothing was added.
  auto envelope = parse_gluster_envelope(recorded("volume_add_brick_joining.xml"));
  REQUIRE(envelope);
  CHECK_FALSE(envelope->ok());
  CHECK(envelope->failure_message() == "Host 198.18.0.3 is not in 'Peer in Cluster' state");
}

TEST_CASE("heal info summary gives each brick's backlog; a brick that is down counts nothing",
          "[gluster][xml]") {
  // Handwritten fixture (not recorded): see the comment at the top of the file.
  auto bricks = parse_heal_summary(recorded("volume_heal_info_summary.xml"));

  REQUIRE(bricks);
  REQUIRE(bricks->size() == 2);
  const GlusterHealBrick& up = bricks->at(0);
  CHECK(up.endpoint == "198.18.0.1:/srv/pydio/pydio-data");
  CHECK(up.connected);
  CHECK(up.pending == 3);
  CHECK(up.split_brain == 0);
  const GlusterHealBrick& down = bricks->at(1);
  CHECK(down.endpoint == "198.18.0.2:/srv/pydio/pydio-data");
  CHECK_FALSE(down.connected);
  CHECK(down.pending == 0);
  CHECK(down.split_brain == 0);
}

TEST_CASE("heal info summary: gluster's refusal, or an answer without bricks, is an error",
          "[gluster][xml]") {
  auto refused = parse_heal_summary(
      "<cliOutput><opRet>-1</opRet><opErrno>2</opErrno>"
      "<opErrstr>Volume pydio-data is not of type replicate/disperse</opErrstr></cliOutput>");
  REQUIRE_FALSE(refused);
  CHECK(refused.status().message() == "Volume pydio-data is not of type replicate/disperse");

  auto shapeless = parse_heal_summary("<cliOutput><opRet>0</opRet></cliOutput>");
  REQUIRE_FALSE(shapeless);
  CHECK(shapeless.status().message() == "heal info summary: missing <healInfo><bricks>");
}

TEST_CASE("an answer that is not XML is an error quoting it", "[gluster][xml]") {
  auto peers = parse_pool_list(recorded("pool_list_no_glusterd.xml"));
  REQUIRE_FALSE(peers);
  CHECK_THAT(peers.status().message(),
             Catch::Contains("Connection failed. Please check if gluster daemon is operational."));
  CHECK_FALSE(parse_gluster_envelope(""));
  CHECK_FALSE(parse_gluster_envelope("<other/>"));
}

TEST_CASE("volume info reads layout, state, bricks and options", "[gluster][xml]") {
  SECTION("a created plain distribute volume") {
    auto volumes = parse_volume_info(recorded("volume_info_created.xml"));
    REQUIRE(volumes);
    REQUIRE(volumes->size() == 1);
    const GlusterVolume& volume = volumes->at(0);
    CHECK(volume.name == "pydio-data");
    CHECK(volume.state == GlusterVolumeState::kCreated);
    CHECK_FALSE(volume.started());
    CHECK(volume.type == "Distribute");
    CHECK(volume.replica_count == 1);
    CHECK(volume.arbiter_count == 0);
    CHECK(volume.brick_endpoints() == std::vector<std::string>{"198.18.0.1:/srv/data/pydio-data"});
    CHECK(volume.options.at("nfs.disable") == "on");
    CHECK(volume.options.count("performance.cache-size") == 0);
  }
  SECTION("the same volume started, with an option set") {
    auto volumes = parse_volume_info(recorded("volume_info_started.xml"));
    REQUIRE(volumes);
    REQUIRE(volumes->size() == 1);
    CHECK(volumes->at(0).started());
    CHECK(volumes->at(0).options.at("performance.cache-size") == "64MB");
  }
  SECTION("replica 3 arbiter 1 marks the arbiter brick") {
    auto volumes = parse_volume_info(recorded("volume_info_arbiter.xml"));
    REQUIRE(volumes);
    const GlusterVolume& volume = volumes->at(0);
    CHECK(volume.type == "Replicate");
    CHECK(volume.replica_count == 3);
    CHECK(volume.arbiter_count == 1);
    REQUIRE(volume.bricks.size() == 3);
    CHECK_FALSE(volume.bricks[0].is_arbiter);
    CHECK(volume.bricks[2].is_arbiter);
    CHECK(volume.bricks[2].endpoint == "198.18.0.1:/srv/arb3/b");
    CHECK(volume.bricks[2].host_uuid == "edaa3311-b816-4a5d-b14d-cf779e755a2b");
  }
  SECTION("all volumes, and none") {
    auto all = parse_volume_info(recorded("volume_info_all.xml"));
    REQUIRE(all);
    REQUIRE(all->size() == 2);
    CHECK(all->at(0).name == "pydio-arb");
    CHECK(all->at(1).name == "pydio-data");
    auto none = parse_volume_info(recorded("volume_info_none.xml"));
    REQUIRE(none);
    CHECK(none->empty());
  }
}

TEST_CASE("volume info of a missing volume", "[gluster][xml]") {
  const std::string xml = recorded("volume_info_missing.xml");
  SECTION("is absent, not an error, when asked by name") {
    auto volume = parse_volume_info_of(xml, "pydio-data");
    REQUIRE(volume);
    CHECK_FALSE(volume->has_value());
  }
  SECTION("is gluster's error for the generic parser") {
    auto volumes = parse_volume_info(xml);
    REQUIRE_FALSE(volumes);
    CHECK(volumes.status().message() == "Volume does not exist");
  }
  SECTION("present by name") {
    auto volume = parse_volume_info_of(recorded("volume_info_all.xml"), "pydio-data");
    REQUIRE(volume);
    REQUIRE(volume->has_value());
    CHECK((*volume)->started());
  }
}

TEST_CASE("volume status all lists every started volume", "[gluster][xml]") {
  SECTION("two started volumes, one brick down") {
    auto all = parse_volume_status_all(recorded("volume_status_all_brick_down.xml"));
    REQUIRE(all);
    REQUIRE(all->size() == 2);
    CHECK((*all)[0].name == "pydio-arb");
    REQUIRE((*all)[0].bricks.size() == 3);
    CHECK_FALSE((*all)[0].bricks[1].online);
    CHECK((*all)[0].bricks[1].endpoint() == "198.18.0.1:/srv/arb2/b");
    CHECK((*all)[1].name == "pydio-data");
    REQUIRE((*all)[1].bricks.size() == 1);
    CHECK((*all)[1].bricks[0].online);
  }
  SECTION("a stopped volume is left out") {
    auto all = parse_volume_status_all(recorded("volume_status_all_one_stopped.xml"));
    REQUIRE(all);
    REQUIRE(all->size() == 1);
    CHECK((*all)[0].name == "pydio-arb");
  }
  SECTION("an error answer is an error") {
    CHECK_FALSE(parse_volume_status_all(recorded("volume_status_missing.xml")));
  }
}

TEST_CASE("volume status lists bricks and daemons", "[gluster][xml]") {
  SECTION("all online") {
    auto status = parse_volume_status(recorded("volume_status_arbiter.xml"));
    REQUIRE(status);
    CHECK(status->name == "pydio-arb");
    REQUIRE(status->bricks.size() == 3);
    REQUIRE(status->daemons.size() == 1);
    CHECK(status->daemons[0].hostname == "Self-heal Daemon");
    CHECK(status->bricks[0].endpoint() == "198.18.0.1:/srv/arb1/b");
    CHECK(status->bricks[0].online);
    CHECK(status->bricks[0].port == 57817);
    CHECK(status->bricks[0].pid == 8016);
  }
  SECTION("a brick whose process died is offline without port or pid") {
    auto status = parse_volume_status(recorded("volume_status_brick_down.xml"));
    REQUIRE(status);
    REQUIRE(status->bricks.size() == 3);
    const GlusterProcessStatus& down = status->bricks[1];
    CHECK(down.path == "/srv/arb2/b");
    CHECK_FALSE(down.online);
    CHECK_FALSE(down.port.has_value());
    CHECK_FALSE(down.pid.has_value());
    CHECK(status->bricks[0].online);
  }
  SECTION("a stopped or missing volume is gluster's error, verbatim") {
    auto stopped = parse_volume_status(recorded("volume_status_stopped.xml"));
    REQUIRE_FALSE(stopped);
    CHECK(stopped.status().message() == "Volume pydio-data is not started");
    auto missing = parse_volume_status(recorded("volume_status_missing.xml"));
    REQUIRE_FALSE(missing);
    CHECK(missing.status().message() == "Volume pydio-data does not exist");
  }
}

TEST_CASE("the envelope carries gluster's refusals verbatim", "[gluster][xml]") {
  SECTION("success") {
    for (const char* name : {"volume_create_data.xml", "volume_start_data.xml",
                             "volume_set_option.xml", "volume_stop_data.xml"}) {
      auto envelope = parse_gluster_envelope(recorded(name));
      REQUIRE(envelope);
      CHECK(envelope->ok());
    }
  }
  SECTION("refusals") {
    struct Case {
      const char* file;
      const char* message;
    };
    for (const Case& c : {
             Case{"volume_create_exists.xml", "Volume pydio-data already exists"},
             Case{"volume_start_again.xml", "Volume pydio-data already started"},
             Case{"volume_create_mountpoint_root.xml",
                  "The brick 198.18.0.1:/srv/rootmount is a mount point. Please create a "
                  "sub-directory under the mount point and use that as the brick directory. Or "
                  "use 'force' at the end of the command if you want to override this "
                  "behavior."},
             Case{"volume_set_bad_option.xml",
                  "option : no.such.option does not exist\nDid you mean nfs.drc-size or "
                  "...mem-factor?"},
         }) {
      INFO(c.file);
      auto envelope = parse_gluster_envelope(recorded(c.file));
      REQUIRE(envelope);
      CHECK_FALSE(envelope->ok());
      CHECK(envelope->failure_message() == c.message);
    }
  }
  SECTION("an envelope without opErrstr falls back to the output, then to the codes") {
    auto with_output = parse_gluster_envelope(
        "<cliOutput><opRet>-1</opRet><opErrno>5</opErrno><opErrstr/>"
        "<output>Set volume unsuccessful</output></cliOutput>");
    REQUIRE(with_output);
    CHECK(with_output->failure_message() == "Set volume unsuccessful");
    auto bare =
        parse_gluster_envelope("<cliOutput><opRet>-1</opRet><opErrno>5</opErrno></cliOutput>");
    REQUIRE(bare);
    CHECK(bare->failure_message() == "opRet -1 opErrno 5");
  }
}
