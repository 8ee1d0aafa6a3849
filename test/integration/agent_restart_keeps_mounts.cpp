// Story: the operator restarts the agent (an upgrade: SIGTERM), and later it crashes (SIGKILL).
// Users never notice: the FUSE mounts stay up, are not remounted, and the restarted agent finds
// everything in sync.
#include <signal.h>

#include <catch2/catch.hpp>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

TEST_CASE("restarting the agent leaves the mounts alone", "[integration]") {
  SimCluster cluster;
  SimNode& node = bring_up_healthy_single_node(cluster);
  const auto mounts_before = node.fuse_mounts();
  REQUIRE(mounts_before.size() == 2);
  node.write_file("/mnt/pydio-data/common/before-restart.txt", "still here\n");

  for (int signal_number : {SIGTERM, SIGKILL}) {
    INFO("signal " << signal_number);
    node.stop_agent(signal_number);
    // While no agent runs, the mounts keep serving.
    CHECK(node.fuse_mounts() == mounts_before);
    CHECK(node.read_file("/mnt/pydio-data/common/before-restart.txt") == "still here\n");

    node.start_agent();
    REQUIRE(node.wait_agent_ready());
    CHECK(eventually([&] { return health_of(node).first == 200; }));
    CHECK(eventually([&] {
      auto status = node.status();
      if (!status.is_object() || status["resources"].empty()) return false;
      for (const auto& r : status["resources"])
        if (r["state"] != "in-sync") return false;
      return true;
    }));
    // Same mount table, and no mount action: nothing was unmounted or remounted. (The ids
    // alone would not show it: the kernel hands a freed mount id to the next mount.)
    CHECK(node.fuse_mounts() == mounts_before);
    CHECK(count_events(node, "fuse-mount/pydio-data", "mount") == 0);
    CHECK(count_events(node, "fuse-mount/pydio-config", "mount") == 0);
  }
}
