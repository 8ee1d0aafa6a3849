#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "agent/resources/pydio_bootstrap.hpp"
#include "agent/resources/pydio_seed.hpp"
#include "agent/resources/pydio_shared.hpp"
#include "agent/resources/pydio_wiring_resource.hpp"

using namespace pydio::agent;

namespace {

PydioWiringObservation wired_node() {
  PydioWiringObservation observed;
  observed.install_dir = "/var/www/pydio";
  observed.version = "8.2.5";
  observed.local_cache_dir = "/var/cache/pydio";
  observed.uid = 33;
  observed.gid = 33;
  observed.local_cache = LocalCacheState{true, true, 33, 33, 0750};
  PydioFile same;
  same.text = "define(\"AJXP_DATA_PATH\", \"/mnt/pydio-config/appdata\");\n";
  observed.files.push_back(
      PydioFileChange{"/var/www/pydio/conf/bootstrap_context.php", same, same.text});
  return observed;
}

}  // namespace

TEST_CASE("pydio-wiring plans edits, the local cache, and says which mode is in force",
          "[pydio_wiring]") {
  SECTION("no Pydio installed: said in status, not an error") {
    PydioWiringObservation observed;
    observed.install_dir = "/var/www/pydio";
    observed.missing = {"index.php", "base.conf.php", "conf/VERSION"};
    auto plan = plan_pydio_wiring(observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->note.find("no Pydio at /var/www/pydio: install Pydio there "
                          "(operator-installed mode") == 0);
  }
  SECTION("wired: empty plan (paired execution) and the mode in the note") {
    auto plan = plan_pydio_wiring(wired_node());
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->note ==
          "operator-installed Pydio 8.2.5 at /var/www/pydio: wired; the agent never "
          "installs or upgrades it");
  }
  SECTION("a file to edit and the cache to make") {
    PydioWiringObservation observed = wired_node();
    observed.files[0].after = "changed\n";
    observed.local_cache = LocalCacheState{};
    auto plan = plan_pydio_wiring(observed);
    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 2);
    CHECK(plan->actions[0].description ==
          "create Pydio's local cache /var/cache/pydio (web user, mode 0750)");
    CHECK(plan->actions[1].description ==
          "point Pydio 8.2.5 into the volumes: edit conf/bootstrap_context.php");
  }
  SECTION("a cache with the wrong mode is repaired; a file there is an error") {
    PydioWiringObservation observed = wired_node();
    observed.local_cache.mode = 0777;
    auto plan = plan_pydio_wiring(observed);
    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 1);
    CHECK(plan->actions[0].kind == std::string(MakeLocalCache::kKind));
    observed.local_cache.is_directory = false;
    CHECK_FALSE(plan_pydio_wiring(observed));
  }
}

TEST_CASE("bootstrap.json is rendered from the database section; only DIBI keys are repaired",
          "[pydio_wiring]") {
  pydio::common::DatabaseSpec database;
  database.host = "198.18.0.1";
  database.name = "pydio";
  database.user = "pydio";
  auto fresh = bootstrap_json(database, "s3cret", std::nullopt);
  REQUIRE(fresh);
  REQUIRE(fresh->has_value());
  const auto json = nlohmann::json::parse(**fresh);
  const auto& dibi = json["core.conf"]["DIBI_PRECONFIGURATION"];
  CHECK(dibi["mysql_host"] == "198.18.0.1");
  CHECK(dibi["mysql_password"] == "s3cret");
  CHECK(dibi["mysql_use_mysqli"] == true);
  CHECK_FALSE(dibi.contains("mysql_port"));
  CHECK(json["core.conf"]["UNIQUE_INSTANCE_CONFIG"]["instance_name"] == "conf.sql");
  CHECK(json["core.auth"]["MASTER_INSTANCE_CONFIG"]["instance_name"] == "auth.sql");

  SECTION("the same file again: nothing to do") {
    auto again = bootstrap_json(database, "s3cret", **fresh);
    REQUIRE(again);
    CHECK_FALSE(again->has_value());
  }
  SECTION("a file Pydio's installer rewrote keeps its other keys") {
    auto installed = json;
    installed["core.conf"]["UNIQUE_INSTANCE_CONFIG"]["extra"] = "kept";
    installed["core.conf"]["DIBI_PRECONFIGURATION"]["mysql_password"] = "old";
    database.port = 3307;
    auto repaired = bootstrap_json(database, "s3cret", installed.dump());
    REQUIRE(repaired);
    REQUIRE(repaired->has_value());
    const auto out = nlohmann::json::parse(**repaired);
    CHECK(out["core.conf"]["UNIQUE_INSTANCE_CONFIG"]["extra"] == "kept");
    CHECK(out["core.conf"]["DIBI_PRECONFIGURATION"]["mysql_password"] == "s3cret");
    CHECK(out["core.conf"]["DIBI_PRECONFIGURATION"]["mysql_port"] == 3307);
  }
  SECTION("not JSON: an error, nothing overwritten") {
    CHECK_FALSE(bootstrap_json(database, "s3cret", std::string("{broken")));
  }
}

TEST_CASE("pydio-shared makes boot.conf, writes bootstrap.json root:web 0640", "[pydio_wiring]") {
  PydioSharedObservation observed;
  observed.uid = 33;
  observed.gid = 33;
  observed.web_user = "www-data:www-data";
  observed.dirs = {SharedDirState{"/mnt/pydio-config/appdata/plugins", true, true, 33, 33, 0750},
                   SharedDirState{"/mnt/pydio-config/appdata/plugins/boot.conf", false}};
  observed.bootstrap_path = "/mnt/pydio-config/appdata/plugins/boot.conf/bootstrap.json";
  observed.bootstrap_text = "{}\n";
  observed.public_url = "http://198.18.0.1/pydio";
  auto plan = plan_pydio_shared(observed);
  REQUIRE(plan);
  REQUIRE(plan->actions.size() == 1);
  CHECK(plan->actions[0].kind == std::string(MakeBootConfDirs::kKind));

  observed.dirs[1] =
      SharedDirState{"/mnt/pydio-config/appdata/plugins/boot.conf", true, true, 33, 33, 0750};
  plan = plan_pydio_shared(observed);
  REQUIRE(plan);
  REQUIRE(plan->actions.size() == 1);
  const auto* write = action_step<PydioSharedAction, WriteBootstrap>(plan->actions[0]);
  REQUIRE(write != nullptr);
  CHECK(write->uid == 0);
  CHECK(write->gid == 33);
  CHECK(write->mode == 0640);
  CHECK(plan->note == "Pydio's installer has not run: open http://198.18.0.1/pydio once");

  SECTION("converged: empty plan") {
    observed.bootstrap = PydioFile{"{}\n", 0640, 0, 33};
    observed.bootstrap_text.reset();
    observed.first_run_done = true;
    plan = plan_pydio_shared(observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->note == "first run done");
  }
  SECTION("a file the installer re-wrote keeps its owner") {
    observed.bootstrap = PydioFile{"{}\n", 0600, 33, 33};
    plan = plan_pydio_shared(observed);
    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 1);
    const auto* rewrite = action_step<PydioSharedAction, WriteBootstrap>(plan->actions[0]);
    REQUIRE(rewrite != nullptr);
    CHECK(rewrite->uid == 33);
    CHECK(rewrite->mode == 0600);
  }
}

TEST_CASE("pydio-seed seeds appdata once from this node's Pydio, after pydio-shared",
          "[pydio_wiring]") {
  PydioSeedObservation observed;
  observed.uid = 33;
  observed.gid = 33;
  observed.source = "/var/www/pydio/data/plugins";
  observed.target = "/mnt/pydio-config/appdata/plugins";
  observed.marker = "/mnt/pydio-config/pydio-agent/appdata-seeded.json";
  SECTION("waits for appdata/plugins") {
    auto plan = plan_pydio_seed(observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for ==
          "/mnt/pydio-config/appdata/plugins (made by the leader's pydio-shared)");
  }
  observed.target_ready = true;
  SECTION("seeds once") {
    auto plan = plan_pydio_seed(observed);
    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 1);
    const auto* seed = action_step<PydioSeedAction, SeedAppdata>(plan->actions[0]);
    REQUIRE(seed != nullptr);
    CHECK(seed->source == observed.source);
    CHECK(seed->uid == 33);
    observed.seeded = true;
    plan = plan_pydio_seed(observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
  }
  SECTION("no Pydio on this node: a note, no action") {
    observed.source.clear();
    auto plan = plan_pydio_seed(observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
    CHECK_THAT(plan->note, Catch::Contains("no Pydio on this node"));
  }
  SECTION("a mount that is not healthy: nothing looked at") {
    observed.waiting = "mount /mnt/pydio-config: hung";
    auto plan = plan_pydio_seed(observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == "mount /mnt/pydio-config: hung");
  }
}
