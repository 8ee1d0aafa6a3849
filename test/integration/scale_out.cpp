// Story: a replica 2 cluster of two storage nodes runs out of space. The operator adds
// storage nodes one at a time with `agentctl join --roles storage,compute --device ...`.
// After the first, status says the volumes wait for one more storage node (bricks join only
// as whole replica sets). After the second, the leader adds the new replica set to both
// volumes and starts a rebalance. Every file written before is still there, unchanged.
#include <catch2/catch.hpp>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

std::vector<std::string> data_files() {
  std::vector<std::string> files;
  for (int i = 0; i < 24; ++i) files.push_back("/mnt/pydio-data/common/file-" + std::to_string(i));
  return files;
}

// md5sum of every data file, read through `node`'s mount.
std::string checksums(SimNode& node) {
  std::vector<std::string> argv = {"md5sum"};
  for (const auto& file : data_files()) argv.push_back(file);
  return node.exec(argv, 60s).out;
}

int brick_count(SimNode& node, const std::string& volume) {
  auto info = node.exec({"gluster", "--mode=script", "volume", "info", volume});
  auto at = info.out.find("Number of Bricks:");
  if (at == std::string::npos) return 0;
  std::string line = info.out.substr(at, info.out.find('\n', at) - at);
  auto equals = line.rfind('=');
  return std::atoi(line.c_str() + (equals == std::string::npos ? line.find(':') + 1 : equals + 1));
}

}  // namespace

TEST_CASE("storage nodes join one at a time; bricks are added as whole replica sets",
          "[integration]") {
  SimCluster cluster;
  TutorialCluster tutorial = bring_up_tutorial_cluster(cluster, DbPlacement::kOnFirstNode);
  SimNode& n1 = *tutorial.n1;
  SimNode& n2 = *tutorial.n2;
  const std::string& token = tutorial.token;

  for (const auto& file : data_files())
    n1.must({"dd", "if=/dev/urandom", "of=" + file, "bs=64k", "count=4", "status=none"});
  const std::string before = checksums(n1);
  REQUIRE(before.size() > 24 * 33);

  SimNode& n3 = add_started_node(cluster, "n3", 3);
  const std::string disk3 = n3.create_loop_device(400);
  join_cluster(n3, n1, token, {"--roles", "storage,compute", "--device", disk3});
  REQUIRE(wait_healthy(n3));

  {  // one storage node short of a replica set: nothing is added, and status says why
    nlohmann::json status;
    CHECK(eventually(
        [&] {
          status = cluster_status(n1);
          return status.is_object() &&
                 status["cluster"]["notes"].dump().find(
                     "1 more storage node for the next replica set") != std::string::npos;
        },
        120s));
    INFO(status.dump(2));
    CHECK(brick_count(n1, "pydio-data") == 2);
  }

  SimNode& n4 = add_started_node(cluster, "n4", 4);
  const std::string disk4 = n4.create_loop_device(400);
  join_cluster(n4, n1, token, {"--roles", "storage,compute", "--device", disk4});
  REQUIRE(wait_healthy(n4));

  // The new replica set joined both volumes, and a rebalance ran.
  CHECK(eventually(
      [&] { return brick_count(n1, "pydio-data") == 4 && brick_count(n1, "pydio-config") == 4; },
      180s));
  // Whichever node led at the time started the rebalance (leadership may have moved since).
  CHECK(eventually(
      [&] {
        for (SimNode* node : {&n1, &n2, &n3, &n4})
          if (has_event(*node, "volume/pydio-data", "rebalance")) return true;
        return false;
      },
      120s));
  INFO(n1.agentctl({"events", "-n", "60"}).out);
  CHECK(eventually(
      [&] {
        return n1.exec({"gluster", "--mode=script", "volume", "rebalance", "pydio-data", "status"})
                   .out.find("completed") != std::string::npos;
      },
      180s));

  // No file written before is lost or changed, seen from an old and from a new node.
  CHECK(checksums(n1) == before);
  CHECK(checksums(n4) == before);
}
