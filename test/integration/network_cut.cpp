// Story: a node is cut off the network (its link goes down). Its health turns 503 and stays
// so while it is cut off - it can no longer serve users correctly - while the other node,
// after the ping-timeout, answers 200 again and keeps taking writes. When the link comes back the
// cut node converges with no manual step: health 200 again, and the files written during the cut
// reach its brick (the leader starts an index heal instead of leaving it to the 10-minute crawl).
#include <catch2/catch.hpp>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

TEST_CASE("a node cut off the network turns 503 and converges again once it is back",
          "[integration]") {
  SimCluster cluster;
  TutorialCluster tutorial = bring_up_tutorial_cluster(cluster, DbPlacement::kOnFirstNode);
  SimNode& n1 = *tutorial.n1;
  SimNode& n2 = *tutorial.n2;

  n2.must({"ip", "link", "set", "eth0", "down"});
  CHECK(eventually([&] { return health_of(n2).first == 503; }, 120s));
  INFO("n2 health while cut: " << health_of(n2).second);
  CHECK(eventually([&] { return health_of(n1).first == 200; }, 120s));
  // The cut node stays out while it is cut off: its mounts answer again after the
  // ping-timeout (its own brick), but it reaches only a minority of the cluster.
  CHECK(eventually(
      [&] {
        auto [code, body] = health_of(n2);
        return code == 503 && body.find("cut off from the cluster") != std::string::npos;
      },
      60s));
  // The node that still has the first brick of each replica set keeps taking writes.
  CHECK(eventually(
      [&] {
        return n1.exec({"cp", "/etc/hostname", "/mnt/pydio-data/common/written-during-cut"}, 30s)
            .succeeded();
      },
      60s));

  // Still out, long after the ping-timeout.
  CHECK(health_of(n2).first == 503);

  n2.must({"ip", "link", "set", "eth0", "up"});
  CHECK(wait_healthy(n2, 180s));
  // The file written during the cut is healed onto n2's own brick.
  CHECK(eventually(
      [&] { return n2.file_exists("/srv/pydio/pydio-data/common/written-during-cut"); }, 180s));
  CHECK(health_of(n1).first == 200);
  // The self-heal daemon usually heals on reconnect by itself, before the leader looks; the
  // leader's index heal is its backup (FIELD-NOTES: sometimes the daemon never noticed), so
  // whether it ran here is reported, not asserted.
  WARN("leader started an index heal: " << (has_event(n1, "self-heal", "index heal") ? "yes"
                                                                                     : "no"));
}
