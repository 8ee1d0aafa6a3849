// Story: the operator runs Pydio from a published release (`agentctl app publish`) behind the
// lb node, and the first user ran Pydio's installer once. Traffic grows: a new machine joins as
// compute only. Without internet and without the wizard it serves exactly the published release
// (same sha256) with the same paths into the volumes, and HAProxy adds it while users keep
// working (a reload that drops no request).
#include <catch2/catch.hpp>
#include <iostream>

#include "support/pydio_fixture.hpp"
#include "support/release_cluster.hpp"

using namespace pydio::test;

TEST_CASE("a compute node that joins serves the published release and the balancer adds it",
          "[integration]") {
  SimCluster cluster;
  BalancedCluster web = bring_up_balanced_cluster(cluster);
  const std::string v1 = build_pydio_fixture(cluster.run_dir(), FixtureVariant::kV1);
  const std::string v1_sha = file_sha256(v1);
  REQUIRE_FALSE(v1_sha.empty());

  // Publish: the release is stored on pydio-config with its hash in the desired state, and both
  // compute nodes install it at once (no release was in force: nothing to roll).
  {
    auto published = publish_release(*web.n1, v1);
    INFO(published.out << published.err);
    REQUIRE(published.succeeded());
  }
  const nlohmann::json desired = desired_document(*web.n1);
  REQUIRE(desired.is_object());
  CHECK(desired["web"]["release"]["sha256"] == v1_sha);
  CHECK(desired["web"]["release"]["version"] == "fixture-1");
  CHECK_FALSE(desired["web"].contains("rollout"));
  REQUIRE(wait_served_version("http://198.18.0.1/pydio/", "fixture-1__"));
  REQUIRE(wait_served_version("http://198.18.0.2/pydio/", "fixture-1__"));

  // The installer runs once, on whichever node the balancer picks: the markers are on pydio-config.
  {
    const auto install = web.lb->exec(
        {"curl", "-s", "--noproxy", "*", "-m", "20", "http://198.18.0.4/pydio/install.php"});
    INFO(install.out);
    CHECK(install.out.find("\"installed\"") != std::string::npos);
  }
  const ServedPage on_n1 = get_served("http://198.18.0.1/pydio/");
  REQUIRE(on_n1.code == 200);
  CHECK(on_n1.body["firstRun"] == false);

  // A compute-only node joins while users are on the balancer.
  ClientLoop users("http://198.18.0.4/pydio/", 2);
  const std::string token = create_join_token(*web.n1, {"--ttl", "1h"});
  SimNode& n3 = add_started_node(cluster, "n3", 3);
  join_cluster(n3, *web.n1, token, {"--roles", "compute"});
  REQUIRE(wait_healthy(n3));
  REQUIRE(wait_served_version("http://198.18.0.3/pydio/", "fixture-1__"));

  // Exactly the published release: the node's report names its sha256, and the page sees the
  // same paths into the volumes as n1, no wizard (first run done), its own local cache.
  const ServedPage on_n3 = get_served("http://198.18.0.3/pydio/");
  REQUIRE(on_n3.code == 200);
  CHECK(on_n3.node == "n3");
  CHECK(on_n3.version == on_n1.version);
  CHECK(on_n3.body["firstRun"] == false);
  for (const char* key : {"AJXP_DATA_PATH", "AJXP_SHARED_CACHE_DIR", "repositories"})
    CHECK(on_n3.body[key] == on_n1.body[key]);
  CHECK(on_n3.body["AJXP_CACHE_DIR"] == "/var/cache/pydio/" + v1_sha.substr(7, 12));
  {  // the release n3 unpacked is the published archive (its marker holds the hash it verified)
    const std::string id = v1_sha.substr(7, 12);
    const auto marker = nlohmann::json::parse(
        n3.read_file("/var/www/pydio/releases/" + id + "/.pydio-agent-release.json"), nullptr,
        false);
    REQUIRE(marker.is_object());
    CHECK(marker.value("sha256", "") == v1_sha);
  }
  // agentctl status shows the release of every compute node.
  CHECK(eventually([&] {
    const nlohmann::json status = cluster_status(*web.n1);
    if (!status.is_object() || !status.contains("cluster")) return false;
    int on_v1 = 0;
    for (const auto& row : status["cluster"]["nodes"])
      on_v1 += row.value("release", "") == "fixture-1";
    return on_v1 == 3;
  }));
  CHECK(n3.file_exists("/var/www/pydio/releases/" + v1_sha.substr(7, 12) + "/index.php"));

  // HAProxy adds it (reloaded) and new users reach it.
  CHECK(eventually([&] { return server_states(web)["n3"] == "UP"; }, 240s));
  bool reached_n3 = false;
  for (int i = 0; i < 30 && !reached_n3; ++i)
    reached_n3 = get_served("http://198.18.0.4/pydio/").node == "n3";
  CHECK(reached_n3);
  std::this_thread::sleep_for(3s);
  users.stop();
  std::cout << "requests while n3 joined: " << users.requests() << ", errors: " << users.errors()
            << "\n";
  for (const auto& sample : users.error_samples()) std::cout << "  " << sample << "\n";
  CHECK(users.requests() > 0);
  CHECK(users.errors() == 0);
}
