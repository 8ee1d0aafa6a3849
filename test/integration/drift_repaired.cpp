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
  // Each repair must add its event: the bring-up logged the same actions once already.
  auto new_event = [&](const std::string& resource, const std::string& text) {
    const int before = count_events(node, resource, text);
    return [&node, resource, text, before] {
      return eventually([&] { return count_events(node, resource, text) > before; }, 60s);
    };
  };

  {  // the data volume is unmounted
    auto mounted_again = new_event("fuse-mount/pydio-data", "mount");
    node.must({"umount", "/mnt/pydio-data"});
    // (Not the mount id: the kernel hands a freed id to the next mount.)
    CHECK(eventually([&] { return node.fuse_mounts().count("/mnt/pydio-data") == 1; }));
    CHECK(mounted_again());
  }

  {  // the vhost file is deleted
    auto rewritten = new_event("apache-vhost", "pydio.conf");
    node.must({"rm", "/etc/apache2/sites-available/pydio.conf"});
    CHECK(eventually([&] { return node.file_exists("/etc/apache2/sites-available/pydio.conf"); }));
    CHECK(rewritten());
  }

  {  // Apache is stopped (by its PID, as an operator would)
    auto started = new_event("apache-vhost", "start Apache");
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
    CHECK(started());
  }

  {  // a layout directory is chowned to root
    auto repaired = new_event("pydio-layout", "/mnt/pydio-data/public");
    node.must({"chown", "root:root", "/mnt/pydio-data/public"});
    CHECK(eventually([&] {
      return node.must({"stat", "-c", "%U", "/mnt/pydio-data/public"}) == "www-data\n";
    }));
    CHECK(repaired());
  }

  {  // check.txt is deleted
    // From a healthy node: the Apache restart above may have made the health verdict flap, and
    // check-file removes check.txt by itself while the node is unhealthy.
    REQUIRE(wait_healthy(node));
    REQUIRE(eventually([&] { return node.file_exists("/var/www/pydio/check.txt"); }));
    auto recreated = new_event("check-file", "check.txt");
    node.must({"rm", "/var/www/pydio/check.txt"});
    CHECK(eventually([&] { return node.file_exists("/var/www/pydio/check.txt"); }));
    CHECK(recreated());
  }

  CHECK(eventually([&] { return health_of(node).first == 200; }));
}
