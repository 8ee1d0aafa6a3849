// Story: a running one-node cluster needs more web capacity. The operator starts the agent on
// a fresh machine, makes a token on node1 (`agentctl token create`) and runs
// `agentctl join <node1> --token T --ca-cert-hash H --roles compute`. The new node
// mounts both volumes, configures Apache and serves the same files, and holds no brick: no
// XFS, no glusterd.
#include <catch2/catch.hpp>
#include <set>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

TEST_CASE("a compute-only node joins, serves the shared files and holds no brick",
          "[integration]") {
  SimCluster cluster;
  SimNode& n1 = bring_up_healthy_single_node(cluster);
  // A token for this join, made on the storage node and printed only there.
  const std::string token = create_join_token(n1, {"--ttl", "1h", "--description", "web1"});

  SimNode& web = add_started_node(cluster, "web1", 2);
  join_cluster(web, n1, token, {"--roles", "compute"});
  REQUIRE(wait_healthy(web));
  {  // a compute node (where PHP runs) holds only the secrets its role uses: no join token
     // (none is stored anywhere), no lease password (it would let it claim the lease)
    const auto secrets = nlohmann::json::parse(web.read_file("/etc/pydio-agent/secrets.json"));
    CHECK(secrets.contains("dbPassword"));
    CHECK_FALSE(secrets.contains("joinToken"));
    CHECK_FALSE(secrets.contains("leasePassword"));
    CHECK(web.file_absent("/etc/pydio-agent/pki/ca.key"));
    CHECK(web.file_absent("/etc/pydio-agent/pki/signing.key"));
  }

  const auto mounts = web.fuse_mounts();
  CHECK(mounts.count("/mnt/pydio-data") == 1);
  CHECK(mounts.count("/mnt/pydio-config") == 1);
  {  // no XFS mounted. findmnt -t answers an empty list with exit 0 or 1 depending on the
     // util-linux build (0 here); anything else means it did not run
    const auto xfs = web.exec({"findmnt", "-n", "-t", "xfs"});
    CHECK((xfs.exit_code == 0 || xfs.exit_code == 1));
    CHECK(xfs.out.empty());
  }
  {  // not a storage node: no glusterd, no brick among the resources it manages
    const nlohmann::json status = web.status();
    REQUIRE(status.is_object());
    std::set<std::string> resources;
    for (const auto& resource : status["resources"]) resources.insert(resource.value("name", ""));
    CHECK(resources.count("apache-vhost") == 1);  // the list is the node's real one
    CHECK(resources.count("glusterd") == 0);
    CHECK(resources.count("data-brick") == 0);
  }

  // The leader added it to the desired state, and every node follows that generation.
  // (generation 2 holds the token, 3 the new node)
  CHECK(eventually([&] { return generation_of(n1) == 3 && generation_of(web) == 3; }, 60s));
  const auto stored =
      nlohmann::json::parse(n1.read_file("/var/lib/pydio-agent/desired-state.json"));
  REQUIRE(stored["nodes"].size() == 2);
  CHECK(stored["nodes"][1]["roles"] == nlohmann::json{"compute"});

  n1.write_file("/mnt/pydio-data/public/report.txt", "quarterly\n");
  web.must({"ln", "-s", "/mnt/pydio-data/public", "/var/www/pydio/public"});
  CHECK(eventually(
      [&] { return web.http_get("http://198.18.0.2/pydio/public/report.txt").first == 200; }, 60s));
  CHECK(web.http_get("http://198.18.0.2/pydio/public/report.txt").second == "quarterly\n");
}
