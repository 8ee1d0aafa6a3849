// One story, checked step by step (no SECTIONs: Catch2 would rerun the setup for each).
// Story: an operator has a bare Debian node with an empty disk. They start pydio-agentd, run
// `agentctl init --spec` once, and the agent alone turns the node into a working one-node
// Pydio-on-GlusterFS deployment.
#include <catch2/catch.hpp>
#include <fstream>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

TEST_CASE("a bare node becomes healthy from the spec alone", "[integration]") {
  SimCluster cluster;
  SimNode& node = cluster.add_node("node1", 1);
  const std::string device = node.create_loop_device(400);

  node.start_agent();
  REQUIRE(node.wait_agent_ready());

  // Before init the node is not healthy and says why.
  auto [code_before, body_before] = node.http_get("http://198.18.0.1:8480/health");
  CHECK(code_before == 503);
  CHECK_THAT(body_before, Catch::Contains("no desired state"));

  const std::string spec_path = cluster.run_dir() + "/spec.json";
  std::ofstream(spec_path) << single_node_spec(node, device).dump(2);
  auto init = node.agentctl({"init", "--spec", spec_path});
  INFO(init.out << init.err);
  REQUIRE(init.succeeded());

  bool healthy = eventually([&] {
    return node.http_get("http://198.18.0.1:8480/health").first == 200;
  }, std::chrono::seconds(240));
  INFO("status: " << node.agentctl({"status"}).out);
  REQUIRE(healthy);

  {  // the blank device was formatted XFS, mounted nosuid,nodev and recorded in fstab
    CHECK(node.must({"findmnt", "-n", "-o", "FSTYPE", "/srv/pydio"}) == "xfs\n");
    const std::string options = node.must({"findmnt", "-n", "-o", "OPTIONS", "/srv/pydio"});
    CHECK_THAT(options, Catch::Contains("nosuid") && Catch::Contains("nodev"));
    CHECK_THAT(node.read_file("/etc/fstab"),
               Catch::Contains(device + " /srv/pydio xfs defaults,noatime,inode64,nosuid,nodev"));
    CHECK(node.file_exists("/srv/pydio/pydio-data"));
  }

  {  // a brick mount as the previous version made it (suid,dev) gets nosuid,nodev back in
     // place: a bind remount, the brick is never unmounted
    const std::string id_before = node.must({"findmnt", "-n", "-o", "ID", "/srv/pydio"});
    const int restored_before = count_events(node, "data-brick", "add nosuid,nodev");
    node.must(
        {"mount", "-i", "--options-source=disable", "-o", "remount,bind,suid,dev", "/srv/pydio"});
    CHECK(eventually(
        [&] {
          const std::string options = node.must({"findmnt", "-n", "-o", "OPTIONS", "/srv/pydio"});
          return options.find("nosuid") != std::string::npos &&
                 options.find("nodev") != std::string::npos &&
                 count_events(node, "data-brick", "add nosuid,nodev") > restored_before;
        },
        std::chrono::seconds(120)));
    CHECK(node.must({"findmnt", "-n", "-o", "ID", "/srv/pydio"}) == id_before);
  }

  {  // both volumes exist and are FUSE-mounted with _netdev in fstab
    auto mounts = node.fuse_mounts();
    CHECK(mounts.count("/mnt/pydio-data") == 1);
    CHECK(mounts.count("/mnt/pydio-config") == 1);
    std::string fstab = node.read_file("/etc/fstab");
    CHECK_THAT(fstab, Catch::Contains("198.18.0.1:/pydio-data /mnt/pydio-data glusterfs"));
    CHECK_THAT(fstab, Catch::Contains("_netdev"));
    std::string info = node.must({"gluster", "--mode=script", "volume", "info", "pydio-config"});
    CHECK_THAT(info, Catch::Contains("Status: Started"));
  }

  {  // the Pydio layout exists on the volumes, owned by the web user
    for (const char* dir : {"/mnt/pydio-config/appdata", "/mnt/pydio-config/cache",
                            "/mnt/pydio-config/log", "/mnt/pydio-data/public",
                            "/mnt/pydio-data/common", "/mnt/pydio-data/users"}) {
      INFO(dir);
      CHECK(node.must({"stat", "-c", "%U:%G", dir}) == "www-data:www-data\n");
    }
  }

  {  // the database and its user exist, with privileges on that database only
    std::string grants = node.must({"mariadb", "--socket=/run/mysqld/mysqld.sock", "-N", "-e",
                                    "SHOW GRANTS FOR 'pydio'@'198.18.0.%'"});
    CHECK_THAT(grants, Catch::Contains("ON `pydio`.*"));
    CHECK_THAT(grants, !Catch::Contains("WITH GRANT OPTION"));
    CHECK_THAT(grants, !Catch::Contains("ON *.*") || Catch::Contains("USAGE ON *.*"));
    std::string listening = node.must({"mariadb", "--socket=/run/mysqld/mysqld.sock", "-N", "-e",
                                       "SELECT @@bind_address"});
    CHECK(listening == "198.18.0.1\n");
  }

  {  // Apache serves check.txt and keeps the probe out of the access log
    auto [check_code, check_body] = node.http_get("http://198.18.0.1/pydio/check.txt");
    CHECK(check_code == 200);
    auto [other_code, other_body] = node.http_get("http://198.18.0.1/pydio/not-a-probe.txt");
    CHECK(other_code == 404);
    std::string log;
    bool logged = eventually([&] {
      log = node.read_file("/var/log/apache2/pydio-access.log");
      return log.find("not-a-probe.txt") != std::string::npos;
    }, std::chrono::seconds(30));
    CHECK(logged);
    CHECK(log.find("check.txt") == std::string::npos);
  }

  {  // status reports every resource in sync and this node as leader. Waited for: the brick's
     // remount above made the volume wait for data-brick, and it is back on its next pass.
    nlohmann::json status;
    eventually(
        [&] {
          status = node.status();
          if (!status.is_object()) return false;
          for (const auto& resource : status["resources"])
            if (resource["state"] != "in-sync") return false;
          return true;
        },
        std::chrono::seconds(120));
    REQUIRE(status.is_object());
    CHECK(status["leader"]["isLeader"] == true);
    CHECK(status["leader"]["term"].get<int>() >= 1);
    CHECK(status["generation"] == 1);
    for (const auto& resource : status["resources"]) {
      INFO(resource.dump());
      CHECK(resource["state"] == "in-sync");
    }
  }
}
