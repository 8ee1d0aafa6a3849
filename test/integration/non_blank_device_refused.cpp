// Story: the operator points the data brick at a disk that is not blank: first one holding an
// ext4 filesystem with a file on it, then one with a partition table. The agent refuses to
// format either, says what it found, and both disks are exactly as they were.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {
std::string data_brick_error(SimNode& node) {
  auto status = node.status();
  if (!status.is_object()) return "";
  for (const auto& resource : status["resources"])
    if (resource.value("name", "") == "data-brick" && resource.value("state", "") == "error" &&
        resource["lastError"].is_string())
      return resource["lastError"].get<std::string>();
  return "";
}
}  // namespace

TEST_CASE("a device that is not blank is never formatted", "[integration]") {
  SimCluster cluster;
  SimNode& node = cluster.add_node("node1", 1);

  // An ext4 filesystem with a precious file on it.
  const std::string ext4_device = node.create_loop_device(300);
  node.must({"mkfs.ext4", "-q", "-F", ext4_device});
  node.must({"mkdir", "-p", "/mnt/inspect"});
  node.must({"mount", ext4_device, "/mnt/inspect"});
  node.write_file("/mnt/inspect/precious.txt", "do not lose me\n");
  node.must({"umount", "/mnt/inspect"});

  // A disk with a partition table and nothing else.
  const std::string partitioned_device = node.create_loop_device(300);
  node.exec({"sfdisk", "--quiet", partitioned_device}, 60s, "label: dos\n,100M,L\n");
  std::string table_before = node.must({"sfdisk", "--dump", partitioned_device});

  node.start_agent();
  REQUIRE(node.wait_agent_ready());

  {  // the ext4 device is refused, the error names what was found
    const std::string spec = cluster.run_dir() + "/spec1.json";
    std::ofstream(spec) << single_node_spec(node, ext4_device, 1).dump(2);
    REQUIRE(node.agentctl({"init", "--spec", spec}).succeeded());
    std::string error;
    CHECK(eventually([&] { return !(error = data_brick_error(node)).empty(); }));
    CHECK_THAT(error, Catch::Contains("ext4"));
    CHECK_THAT(error, Catch::Contains(ext4_device));
    CHECK(health_of(node).first == 503);
  }

  {  // a partition table is refused as well
    const std::string spec = cluster.run_dir() + "/spec2.json";
    std::ofstream(spec) << single_node_spec(node, partitioned_device, 2).dump(2);
    REQUIRE(node.agentctl({"init", "--spec", spec}).succeeded());
    std::string error;
    CHECK(eventually([&] {
      error = data_brick_error(node);
      return error.find(partitioned_device) != std::string::npos;
    }));
    CHECK_THAT(error, Catch::Contains("partition table"));
  }

  node.stop_agent(SIGTERM);

  {  // nothing was touched: the file is there, the partition table unchanged, nothing mounted
    CHECK(node.exec({"findmnt", "/srv/pydio"}).exit_code == 1);  // 1: nothing mounted there
    node.must({"mount", "-o", "ro", ext4_device, "/mnt/inspect"});
    CHECK(node.read_file("/mnt/inspect/precious.txt") == "do not lose me\n");
    node.must({"umount", "/mnt/inspect"});
    CHECK(node.must({"sfdisk", "--dump", partitioned_device}) == table_before);
    CHECK(node.must({"blkid", "-p", "-o", "value", "-s", "TYPE", ext4_device}) == "ext4\n");
  }
}
