// Story: before maintenance the operator drains the node. The balancer's two signals flip:
// GET /health answers 503 with "draining" and check.txt disappears, so no new users arrive.
// Undrain brings both back. The drain survives an agent restart in between.
#include <signal.h>

#include <catch2/catch.hpp>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

TEST_CASE("drain takes the node out of the balancer and undrain brings it back", "[integration]") {
  SimCluster cluster;
  SimNode& node = bring_up_healthy_single_node(cluster);
  REQUIRE(node.file_exists("/var/www/pydio/check.txt"));

  REQUIRE(node.agentctl({"drain", "--reason", "kernel update"}).succeeded());
  {
    auto [code, body] = health_of(node);
    CHECK(code == 503);
    CHECK_THAT(body, Catch::Contains("draining"));
    CHECK(eventually([&] { return node.file_absent("/var/www/pydio/check.txt"); }));
    CHECK(eventually(
        [&] { return node.http_get("http://198.18.0.1/pydio/check.txt").first == 404; }));
    CHECK(node.status()["draining"] == true);
  }

  node.stop_agent(SIGTERM);
  node.start_agent();
  REQUIRE(node.wait_agent_ready());
  CHECK(health_of(node).first == 503);  // still drained after the restart

  REQUIRE(node.agentctl({"undrain"}).succeeded());
  CHECK(eventually([&] { return health_of(node).first == 200; }));
  CHECK(eventually([&] { return node.file_exists("/var/www/pydio/check.txt"); }));
  CHECK(node.http_get("http://198.18.0.1/pydio/check.txt").first == 200);
}
