// Story: the node is healthy on generation 1. Someone pushes a broken generation 2 straight to
// the daemon's admin API (bypassing agentctl's own validation). The daemon rejects it with the
// problems by JSON path, nothing on the node changes, status shows the error, and generation 1
// stays in force — also after a restart of the agent.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

TEST_CASE("an invalid desired state is never acted upon", "[integration]") {
  SimCluster cluster;
  SimNode& node = bring_up_healthy_single_node(cluster);
  const std::string fstab_before = node.read_file("/etc/fstab");
  const std::string vhost_before = node.read_file("/etc/apache2/sites-available/pydio.conf");
  const auto mounts_before = node.fuse_mounts();
  // Read back below: an empty read now would make those comparisons pass whatever happens.
  REQUIRE_FALSE(fstab_before.empty());
  REQUIRE_FALSE(vhost_before.empty());
  REQUIRE(mounts_before.size() == 2);

  nlohmann::json broken = single_node_spec(node, "/dev/loop-unused", 2);
  broken["volumes"][0]["replica"] = 0;
  broken["web"]["alias"] = "pydio-without-slash";
  broken["nodes"][0]["roles"].push_back("mainframe");
  const std::string path = cluster.run_dir() + "/broken.json";
  std::ofstream(path) << broken.dump(2);

  {  // agentctl validate names every problem by its JSON path and exits 1
    auto validated = node.agentctl({"validate", path});
    CHECK(validated.exit_code == 1);
    CHECK_THAT(validated.out + validated.err, Catch::Contains("volumes[0].replica"));
    CHECK_THAT(validated.out + validated.err, Catch::Contains("web.alias"));
    CHECK_THAT(validated.out + validated.err, Catch::Contains("nodes[0].roles[3]"));
  }

  {  // pushed directly to the daemon: 422 with the problems
    auto pushed = node.exec({"curl", "-s", "-w", "\n%{http_code}", "--unix-socket",
                             "/run/pydio-agent/admin.sock", "-X", "POST", "--data-binary",
                             "@" + path, "http://agent/v1/desired-state"});
    REQUIRE(pushed.succeeded());
    CHECK_THAT(pushed.out, Catch::EndsWith("422"));
    CHECK_THAT(pushed.out, Catch::Contains("volumes[0].replica"));
  }

  {  // status says why; generation 1 stays in force; the node stays healthy and unchanged
    auto status = node.status();
    REQUIRE(status.is_object());
    CHECK(status["generation"] == 1);
    REQUIRE(status["desiredError"].is_string());
    CHECK_THAT(status["desiredError"].get<std::string>(), Catch::Contains("volumes[0].replica"));
    auto [code, body] = health_of(node);
    CHECK(code == 200);
    CHECK_THAT(body, Catch::Contains("volumes[0].replica"));  // a warning in the health body
    CHECK(node.read_file("/etc/fstab") == fstab_before);
    CHECK(node.read_file("/etc/apache2/sites-available/pydio.conf") == vhost_before);
    CHECK(node.fuse_mounts() == mounts_before);
  }

  {  // after a restart the persisted generation 1 is still the one in force
    node.stop_agent(SIGTERM);
    node.start_agent();
    REQUIRE(node.wait_agent_ready());
    CHECK(eventually([&] { return health_of(node).first == 200; }));
    CHECK(node.status()["generation"] == 1);
  }
}
