// Whether a node is on the majority side of a network cut: pure, on handwritten cluster shapes.
// (tcp_reachable is exercised on loopback: a closed port refuses, which counts as reachable.)

#include "agent/cluster/reachability.hpp"

#include <catch2/catch.hpp>

using pydio::agent::minority_problem;
using pydio::agent::tcp_reachable;

namespace {

pydio::common::DesiredState cluster_of(const std::vector<std::string>& names) {
  pydio::common::DesiredState state;
  for (std::size_t i = 0; i < names.size(); ++i) {
    pydio::common::NodeSpec node;
    node.name = names[i];
    node.address = "198.18.0." + std::to_string(i + 1);
    state.nodes.push_back(node);
  }
  return state;
}

}  // namespace

TEST_CASE("a node that reaches only a minority of the cluster is cut off", "[reachability]") {
  SECTION("three nodes: reaching one other is a majority") {
    auto state = cluster_of({"n1", "n2", "db"});
    CHECK(minority_problem(state, "n1", {"n1", "db"}).empty());
  }
  SECTION("three nodes: reaching nobody names the nodes it cannot reach") {
    auto state = cluster_of({"n1", "n2", "db"});
    CHECK(minority_problem(state, "n2", {"n2"}) ==
          "cut off from the cluster: reaches 1 of 3 nodes (no answer from n1, db)");
  }
  SECTION("two nodes split in half: the side with the first node keeps serving") {
    auto state = cluster_of({"n1", "n2"});
    CHECK(minority_problem(state, "n1", {"n1"}).empty());
    CHECK_FALSE(minority_problem(state, "n2", {"n2"}).empty());
  }
  SECTION("one node, or a node not in the desired state, is never cut off") {
    CHECK(minority_problem(cluster_of({"n1"}), "n1", {"n1"}).empty());
    CHECK(minority_problem(cluster_of({"n1", "n2", "n3"}), "x", {"x"}).empty());
  }
}

TEST_CASE("a refused connection proves the host is there", "[reachability]") {
  // Port 1 on loopback: nothing listens, the kernel answers with a reset.
  CHECK(tcp_reachable("127.0.0.1", 1, std::chrono::milliseconds(1000)));
  CHECK_FALSE(tcp_reachable("not-an-address", 1, std::chrono::milliseconds(100)));
}
