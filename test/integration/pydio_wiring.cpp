// Story: the tutorial cluster (n1, n2 storage+compute, the database on n1). The operator
// unpacks the same Pydio release into /var/www/pydio on both nodes (operator-installed mode).
// Without any further command the agents wire it into the volumes: each node's Apache serves a
// Pydio whose data path, shared cache and repositories are on the volumes and whose local cache
// is the node's own; the web user can write everywhere Pydio writes; a file written through n1
// is read through n2; the leader has rendered bootstrap.json (root:www-data 0640) from the
// desired state, and a compute node seeded appdata once. After Pydio's installer ran through n1,
// n2 skips it.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/pydio_fixture.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;
using nlohmann::json;

namespace {

json resource_of(SimNode& node, const std::string& name) {
  json status = node.status();
  if (!status.is_object() || !status.contains("resources")) return nullptr;
  for (const auto& resource : status["resources"])
    if (resource.value("name", "") == name) return resource;
  return nullptr;
}

std::string text_of(const json& resource, const char* field) {
  if (!resource.is_object() || !resource.contains(field) || !resource[field].is_string()) return "";
  return resource[field].get<std::string>();
}

// GET a fixture page through the node's own Apache; null unless 200 with JSON.
json page(SimNode& node, const std::string& path_and_query) {
  auto [code, body] = node.http_get("http://127.0.0.1/pydio/" + path_and_query);
  if (code != 200) {
    UNSCOPED_INFO(node.name() << " " << path_and_query << ": " << code << " " << body);
    return nullptr;
  }
  json parsed = json::parse(body, nullptr, false);
  return parsed.is_discarded() ? json(nullptr) : parsed;
}

}  // namespace

TEST_CASE("an operator-installed Pydio is wired into the volumes on every compute node",
          "[integration]") {
  SimCluster cluster;
  TutorialCluster tutorial = bring_up_tutorial_cluster(cluster, DbPlacement::kOnFirstNode);
  SimNode& n1 = *tutorial.n1;
  SimNode& n2 = *tutorial.n2;
  const std::string archive = build_pydio_fixture(cluster.run_dir(), FixtureVariant::kV1);
  for (SimNode* node : {&n1, &n2}) unpack_pydio_fixture(*node, archive, "/var/www/pydio");

  for (SimNode* node : {&n1, &n2}) {
    node->agentctl({"reconcile"});
    INFO(node->name());
    CHECK(eventually([&] {
      auto resource = resource_of(*node, "pydio-wiring");
      return text_of(resource, "state") == "in-sync" &&
             text_of(resource, "waitingFor") ==
                 "operator-installed Pydio fixture-1 at /var/www/pydio: wired; the agent never "
                 "installs or upgrades it";
    }));
  }

  // What Pydio sees on each node.
  for (SimNode* node : {&n1, &n2}) {
    INFO(node->name());
    json index;
    REQUIRE(eventually([&] { return !(index = page(*node, "index.php")).is_null(); }, 60s));
    CHECK(index["node"] == node->name());
    CHECK(index["AJXP_DATA_PATH"] == "/mnt/pydio-config/appdata");
    CHECK(index["AJXP_SHARED_CACHE_DIR"] == "/mnt/pydio-config/cache");
    CHECK(index["AJXP_CACHE_DIR"] == "/var/cache/pydio");
    CHECK(index["repositories"][0] == "/mnt/pydio-data/common");
    CHECK(index["repositories"][1] == "/mnt/pydio-data/users/alice");
    CHECK(index["pluginsBootstrapped"] == true);  // the local cache took the generated file
    CHECK(index["firstRun"] == true);
    CHECK(node->must({"stat", "-c", "%U:%G %a", "/var/cache/pydio"}) == "www-data:www-data 750\n");

    json written = page(*node, "write.php");
    INFO(written.dump());
    REQUIRE(written.is_object());
    CHECK(written["ok"] == true);
    for (const char* place : {"AJXP_DATA_PATH", "AJXP_SHARED_CACHE_DIR", "AJXP_CACHE_DIR",
                              "repository0", "repository1"})
      CHECK(written["places"][place]["owner"] == "www-data");
  }

  // A file written through n1 is read through n2, except in n1's own local cache.
  json put = page(n1, "write.php?op=put&name=from-n1.txt&content=hello-from-n1");
  REQUIRE(put.is_object());
  CHECK(put["ok"] == true);
  json got = page(n2, "write.php?op=get&name=from-n1.txt");
  if (got.is_null()) {  // 500: the local cache has no such file, which is the point
    auto [code, body] = n2.http_get("http://127.0.0.1/pydio/write.php?op=get&name=from-n1.txt");
    CHECK(code == 500);
    got = json::parse(body, nullptr, false);
  }
  INFO(got.dump());
  REQUIRE(got.is_object());
  for (const char* place :
       {"AJXP_DATA_PATH", "AJXP_SHARED_CACHE_DIR", "repository0", "repository1"})
    CHECK(got["places"][place]["content"] == "hello-from-n1");
  CHECK(got["places"]["AJXP_CACHE_DIR"]["ok"] == false);

  // The leader's shared part: boot.conf, bootstrap.json from the desired state; appdata seeded
  // by a compute node (pydio-seed).
  const std::string bootstrap = "/mnt/pydio-config/appdata/plugins/boot.conf/bootstrap.json";
  CHECK(eventually([&] { return n1.file_exists(bootstrap); }));
  CHECK(n1.must({"stat", "-c", "%U:%G %a", bootstrap}) == "root:www-data 640\n");
  CHECK(n1.must({"stat", "-c", "%U:%G %a", "/mnt/pydio-config/appdata/plugins/boot.conf"}) ==
        "www-data:www-data 750\n");
  const json secrets = json::parse(n1.read_file("/etc/pydio-agent/secrets.json"));
  const json boot = json::parse(n2.read_file(bootstrap));
  const json& dibi = boot["core.conf"]["DIBI_PRECONFIGURATION"];
  CHECK(dibi["mysql_host"] == n1.address());
  CHECK(dibi["mysql_database"] == "pydio");
  CHECK(dibi["mysql_username"] == "pydio");
  CHECK(dibi["mysql_password"] == secrets["dbPassword"]);
  CHECK(dibi["mysql_use_mysqli"] == true);
  CHECK(boot["core.auth"]["MASTER_INSTANCE_CONFIG"]["instance_name"] == "auth.sql");
  CHECK(eventually([&] {
    return n2.file_exists("/mnt/pydio-config/appdata/plugins/fixture.seed/seed.json") &&
           n2.file_exists("/mnt/pydio-config/pydio-agent/appdata-seeded.json");
  }));
  CHECK(n2.must({"stat", "-c", "%U", "/mnt/pydio-config/appdata/plugins/fixture.seed/seed.json"}) ==
        "www-data\n");
  // The web user can read the database settings (Pydio needs them) but not replace them.
  CHECK(n1.exec({"runuser", "-u", "www-data", "--", "cat", bootstrap}).succeeded());
  CHECK_FALSE(
      n1.exec({"runuser", "-u", "www-data", "--", "dd", "of=" + bootstrap, "conv=notrunc,nocreat"},
              30s, "x")
          .succeeded());

  const std::string leader = current_leader({&n1, &n2});
  REQUIRE(!leader.empty());
  SimNode& lead = leader == n1.name() ? n1 : n2;
  CHECK(eventually([&] {
    return text_of(resource_of(lead, "pydio-shared"), "waitingFor")
               .find("Pydio's installer has not run: open ") == 0;
  }));

  // Pydio's installer runs once, through n1: n2's Pydio no longer asks for it.
  json installed = page(n1, "install.php");
  INFO(installed.dump());
  CHECK(installed.is_object());
  json index2 = page(n2, "index.php");
  REQUIRE(index2.is_object());
  CHECK(index2["firstRun"] == false);
  lead.agentctl({"reconcile"});
  CHECK(eventually([&] {
    return text_of(resource_of(lead, "pydio-shared"), "waitingFor") == "first run done";
  }));

  // Pydio's installer replaces bootstrap.json as the web user (it owns boot.conf), here with a
  // stale password and a key of its own: the leader keeps Pydio's file and owner and repairs
  // only the database settings.
  json rewritten = boot;
  rewritten["core.conf"]["DIBI_PRECONFIGURATION"]["mysql_password"] = "stale";
  rewritten["core.conf"]["UNIQUE_INSTANCE_CONFIG"]["fromInstaller"] = "kept";
  n1.must({"runuser", "-u", "www-data", "--", "rm", "-f", bootstrap});
  REQUIRE(n1.exec({"runuser", "-u", "www-data", "--", "tee", bootstrap}, 30s, rewritten.dump())
              .succeeded());
  lead.agentctl({"reconcile"});
  // Read where it was written (another node's FUSE client may serve the old entry for a moment).
  json repaired;
  CHECK(eventually([&] {
    repaired = json::parse(n1.read_file(bootstrap), nullptr, false);
    return !repaired.is_discarded() &&
           repaired["core.conf"]["DIBI_PRECONFIGURATION"]["mysql_password"] ==
               secrets["dbPassword"];
  }));
  INFO(repaired.dump());
  CHECK(repaired["core.conf"]["UNIQUE_INSTANCE_CONFIG"]["fromInstaller"] == "kept");
  CHECK(n1.must({"stat", "-c", "%U", bootstrap}) == "www-data\n");

  // Pydio's configuration put back as shipped (as an upgrade of Pydio by hand would): the next
  // passes wire it again.
  n1.must({"cp", "/var/www/pydio/conf/bootstrap_context.php.pydio-agent-orig",
           "/var/www/pydio/conf/bootstrap_context.php"});
  CHECK(n1.read_file("/var/www/pydio/conf/bootstrap_context.php").find("// pydio-agent:") ==
        std::string::npos);
  n1.agentctl({"reconcile"});
  CHECK(eventually([&] {
    json index = page(n1, "index.php");
    return index.is_object() && index["AJXP_DATA_PATH"] == "/mnt/pydio-config/appdata";
  }));
}
