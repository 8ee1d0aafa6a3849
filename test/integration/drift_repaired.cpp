// Story: the node is healthy. Then people and accidents undo parts of it: someone unmounts the
// data volume, deletes the vhost, stops Apache, chowns a Pydio directory to root, deletes
// check.txt. Without anyone running a command, the agent's next passes put each back and log
// one event per action.
#include <signal.h>

#include <catch2/catch.hpp>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

TEST_CASE("drift is repaired by the next passes, each repair with its event", "[integration]") {
  SimCluster cluster;
  SimNode& node = bring_up_healthy_single_node(cluster);

  {  // the data volume is unmounted
    node.must({"umount", "/mnt/pydio-data"});
    CHECK(eventually([&] { return node.fuse_mounts().count("/mnt/pydio-data") == 1; }));
    CHECK(eventually([&] { return has_event(node, "fuse-mount/pydio-data", "mount"); }, 30s));
  }

  {  // the vhost file is deleted
    node.must({"rm", "/etc/apache2/sites-available/pydio.conf"});
    CHECK(eventually([&] { return node.file_exists("/etc/apache2/sites-available/pydio.conf"); }));
    CHECK(eventually([&] { return has_event(node, "apache-vhost", "pydio.conf"); }, 60s));
  }

  {  // Apache is stopped (by its PID, as an operator would)
    std::string pid = node.read_file("/run/apache2/apache2.pid");
    REQUIRE(!pid.empty());
    node.must({"kill", "-TERM", pid.substr(0, pid.find('\n'))});
    CHECK(eventually([&] { return !node.file_exists("/run/apache2/apache2.pid"); }, 60s));
    CHECK(eventually([&] {
      return node.http_get("http://198.18.0.1/pydio/check.txt").first == 200;
    }));
    CHECK(eventually([&] { return has_event(node, "apache-vhost", "start Apache"); }, 60s));
  }

  {  // a layout directory is chowned to root
    node.must({"chown", "root:root", "/mnt/pydio-data/public"});
    CHECK(eventually([&] {
      return node.must({"stat", "-c", "%U", "/mnt/pydio-data/public"}) == "www-data\n";
    }));
    CHECK(eventually([&] { return has_event(node, "pydio-layout", "/mnt/pydio-data/public"); }, 60s));
  }

  {  // check.txt is deleted
    node.must({"rm", "/var/www/pydio/check.txt"});
    CHECK(eventually([&] { return node.file_exists("/var/www/pydio/check.txt"); }));
    CHECK(eventually([&] { return has_event(node, "check-file", "check.txt"); }, 60s));
  }

  CHECK(eventually([&] { return health_of(node).first == 200; }));
}
