// Story: the layout issue 7 proposes for large clusters, in small: two storage-only nodes (n1,
// n2: bricks, glusterd, no Apache, no PHP, no Pydio; replica 2), a database node and one compute
// node c1. Only storage nodes lead, so the leader has no compute role: it mounts both volumes
// (nosuid,nodev) to write what only the leader writes. The compute node becomes healthy; the
// Pydio layout, bootstrap.json and the published desired state are on the volumes; the Pydio
// the operator unpacked on c1 seeds appdata; and a change with `agentctl apply` on a storage
// node reaches c1, published on pydio-config. Nothing web-related runs on the storage nodes.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/pydio_fixture.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

// The generation of the desired state published on pydio-config, as `node` reads it through
// its mount (0 when absent or unreadable).
long long published_generation(SimNode& node) {
  auto read = node.exec({"cat", "/mnt/pydio-config/pydio-agent/desired-state.json"}, 20s);
  if (!read.succeeded()) return 0;
  auto document = nlohmann::json::parse(read.out, nullptr, false);
  if (!document.is_object()) return 0;
  return document.value("generation", 0LL);
}

}  // namespace

TEST_CASE("storage-only storage nodes lead: the layout and the publication still happen",
          "[integration]") {
  SimCluster cluster;
  SimNode& n1 = cluster.add_node("n1", 1);
  SimNode& n2 = cluster.add_node("n2", 2);
  SimNode& db = cluster.add_node("db", 3);
  SimNode& c1 = cluster.add_node("c1", 4);
  const std::string disk1 = n1.create_loop_device(400);
  const std::string disk2 = n2.create_loop_device(400);
  const std::vector<SimNode*> all = {&n1, &n2, &db, &c1};
  for (SimNode* node : all) node->start_agent();
  for (SimNode* node : all) REQUIRE(node->wait_agent_ready());
  const nlohmann::json spec = cluster_spec({{&n1, {"storage"}, disk1},
                                            {&n2, {"storage"}, disk2},
                                            {&db, {"db"}, ""},
                                            {&c1, {"compute"}, ""}},
                                           2);
  const std::string token = init_cluster(cluster, n1, spec);
  const std::vector<SimNode*> joiners = {&n2, &db, &c1};
  const auto joins = join_in_parallel(joiners, n1, token);
  for (std::size_t i = 0; i < joiners.size(); ++i) {
    INFO(joiners[i]->name() << ": " << joins[i].out << joins[i].err);
    REQUIRE(joins[i].succeeded());
  }
  for (SimNode* node : all) REQUIRE(wait_healthy(*node, 300s));

  const std::string leader = current_leader({&n1, &n2});
  INFO("leader: " << leader);
  REQUIRE((leader == "n1" || leader == "n2"));
  SimNode& lead = leader == "n1" ? n1 : n2;

  // The leader's own work, done on a node without compute.
  CHECK(wait_layout(c1));
  const std::string bootstrap = "/mnt/pydio-config/appdata/plugins/boot.conf/bootstrap.json";
  CHECK(eventually([&] { return c1.file_exists(bootstrap); }, 120s));
  CHECK(c1.must({"stat", "-c", "%U:%G %a", bootstrap}) == "root:www-data 640\n");
  const long long first = generation_of(c1);
  REQUIRE(first >= 1);
  CHECK(eventually([&] { return published_generation(c1) == first; }, 120s));
  for (const char* resource : {"pydio-layout", "pydio-shared", "desired-state-publication"}) {
    INFO(resource);
    CHECK(eventually([&] { return lead.resource_state(resource) == "in-sync"; }, 120s));
  }

  // Storage nodes mount both volumes restricted, and run nothing of the web tier.
  for (SimNode* node : {&n1, &n2}) {
    INFO(node->name());
    CHECK(eventually([&] { return node->fuse_mounts().size() == 2; }, 120s));
    for (const char* mountpoint : {"/mnt/pydio-data", "/mnt/pydio-config"}) {
      const std::string options = node->must({"findmnt", "-n", "-o", "OPTIONS", mountpoint});
      CHECK(options.find("nosuid") != std::string::npos);
      CHECK(options.find("nodev") != std::string::npos);
    }
    // Status lists only the resources that apply to the node.
    const nlohmann::json status = node->status();
    REQUIRE(status.is_object());
    REQUIRE(status.contains("resources"));
    std::vector<std::string> listed;
    for (const auto& resource : status["resources"]) listed.push_back(resource.value("name", ""));
    INFO("resources listed: " << nlohmann::json(listed).dump());
    CHECK(std::find(listed.begin(), listed.end(), "fuse-mount/pydio-config") != listed.end());
    for (const char* resource : {"apache-vhost", "php", "packages", "pydio-seed", "check-file"})
      CHECK(std::find(listed.begin(), listed.end(), resource) == listed.end());
    CHECK(apache_pid(*node) == 0);
    CHECK(node->file_absent("/etc/apache2/sites-enabled/pydio.conf"));
  }

  // The compute node's Pydio seeds appdata once (the leader has none to seed from).
  const std::string archive = build_pydio_fixture(cluster.run_dir(), FixtureVariant::kV1);
  unpack_pydio_fixture(c1, archive, "/var/www/pydio");
  c1.agentctl({"reconcile"});
  CHECK(eventually(
      [&] {
        return c1.file_exists("/mnt/pydio-config/appdata/plugins/fixture.seed/seed.json") &&
               c1.file_exists("/mnt/pydio-config/pydio-agent/appdata-seeded.json");
      },
      120s));

  // A change applied on a storage node is in force on the compute node and published.
  nlohmann::json changed = spec;
  changed.erase("generation");
  changed["volumes"][0]["options"]["network.ping-timeout"] = "7";
  const std::string path = cluster.run_dir() + "/changed.json";
  std::ofstream(path) << changed.dump(2);
  auto apply = n2.agentctl({"apply", "--spec", path}, 60s);
  INFO(apply.out << apply.err);
  REQUIRE(apply.succeeded());
  CHECK(eventually([&] { return generation_of(c1) == first + 1; }, 120s));
  CHECK(eventually([&] { return published_generation(c1) == first + 1; }, 120s));
}
