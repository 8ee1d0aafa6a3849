// Story: the node is healthy. Then people and accidents undo parts of it: someone unmounts the
// data volume, deletes the vhost, stops Apache, chowns a Pydio directory to root, deletes
// check.txt. Without anyone running a command, the agent's next passes put each back and log
// one event per action.
#include <catch2/catch.hpp>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

TEST_CASE("drift is repaired by the next passes, each repair with its event", "[integration]") {
  SimCluster cluster;
  SimNode& node = bring_up_healthy_single_node(cluster);

  {  // the data volume is unmounted
    node.must({"umount", "/mnt/pydio-data"});
    // (Not the mount id: the kernel hands a freed id to the next mount.)
    CHECK(eventually([&] { return node.fuse_mounts().count("/mnt/pydio-data") == 1; }));
    CHECK(eventually([&] { return has_event(node, "fuse-mount/pydio-data", "mount"); }, 30s));
  }

  {  // the vhost file is deleted
    node.must({"rm", "/etc/apache2/sites-available/pydio.conf"});
    CHECK(eventually([&] { return node.file_exists("/etc/apache2/sites-available/pydio.conf"); }));
    CHECK(eventually([&] { return has_event(node, "apache-vhost", "pydio.conf"); }, 60s));
  }

  {  // Apache is stopped (by its PID, as an operator would)
    const int old_pid = apache_pid(node);
    REQUIRE(old_pid > 0);
    node.must({"kill", "-TERM", std::to_string(old_pid)});
    // The agent may start Apache again before a poll could see it down (that is its job), so
    // what is awaited is the end state: another Apache process serves.
    CHECK(eventually([&] {
      const int pid = apache_pid(node);
      return pid > 0 && pid != old_pid;
    }));
    CHECK(eventually(
        [&] { return node.http_get("http://198.18.0.1/pydio/check.txt").first == 200; }));
    CHECK(eventually([&] { return has_event(node, "apache-vhost", "start Apache"); }, 60s));
  }

  {  // a layout directory is chowned to root
    node.must({"chown", "root:root", "/mnt/pydio-data/public"});
    CHECK(eventually([&] {
      return node.must({"stat", "-c", "%U", "/mnt/pydio-data/public"}) == "www-data\n";
    }));
    CHECK(
        eventually([&] { return has_event(node, "pydio-layout", "/mnt/pydio-data/public"); }, 60s));
  }

  {  // check.txt is deleted
    node.must({"rm", "/var/www/pydio/check.txt"});
    CHECK(eventually([&] { return node.file_exists("/var/www/pydio/check.txt"); }));
    CHECK(eventually([&] { return has_event(node, "check-file", "check.txt"); }, 60s));
  }

  CHECK(eventually([&] { return health_of(node).first == 200; }));
}
