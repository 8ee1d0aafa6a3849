// Story: an operator who wants no split-brain chooses `replica 3 arbiter 1` from the start:
// three storage+compute nodes (the first also runs the database). After init and two joins
// the volumes exist with two data bricks and one arbiter per replica set, every node serves,
// and status raises no replica 2 warning.
#include <catch2/catch.hpp>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

TEST_CASE("three nodes form replica 3 arbiter 1 volumes from the start", "[integration]") {
  SimCluster cluster;
  SimNode& n1 = cluster.add_node("n1", 1);
  SimNode& n2 = cluster.add_node("n2", 2);
  SimNode& n3 = cluster.add_node("n3", 3);
  std::vector<SpecNode> nodes;
  for (SimNode* node : {&n1, &n2, &n3}) {
    const std::string disk = node->create_loop_device(400);
    nodes.push_back({node, {"storage", "compute"}, disk});
    node->start_agent();
    REQUIRE(node->wait_agent_ready());
  }
  nodes[0].roles.push_back("db");
  const std::string token = init_cluster(cluster, n1, cluster_spec(nodes, 3, 1));
  join_cluster(n2, n1, token);
  join_cluster(n3, n1, token);
  for (SimNode* node : {&n1, &n2, &n3}) REQUIRE(wait_healthy(*node));
  REQUIRE(wait_layout(n3));

  const std::string info = n2.must({"gluster", "--mode=script", "volume", "info", "pydio-data"});
  CHECK_THAT(info, Catch::Contains("Number of Bricks: 1 x (2 + 1) = 3"));
  CHECK_THAT(info, Catch::Contains("198.18.0.3:/srv/pydio/pydio-data (arbiter)"));
  const std::string config =
      n2.must({"gluster", "--mode=script", "volume", "info", "pydio-config"});
  CHECK_THAT(config, Catch::Contains("(arbiter)"));

  n3.write_file("/mnt/pydio-data/common/note.txt", "written on n3\n");
  CHECK(eventually(
      [&] { return n1.read_file("/mnt/pydio-data/common/note.txt") == "written on n3\n"; }, 60s));

  const nlohmann::json status = cluster_status(n1);
  REQUIRE(status.is_object());
  CHECK(status["cluster"]["warnings"].dump().find("split-brain") == std::string::npos);
  CHECK(status["cluster"]["volumes"][0]["type"] == "Replicate");
}
