// Story: an operator scripts the bring-up of a four-node cluster. One spec lists every node
// (two storage+compute nodes, a database node, a compute node); `agentctl init` runs on the
// first, then the script starts `agentctl join` on all the others at the same moment. Every
// join is accepted, every node becomes healthy, and `agentctl status` on a storage node and
// on the compute node shows all four nodes reachable, healthy and at the same generation.
// (test/benchmark-cluster --nodes N does the same for 8 to 32 nodes and prints the timings.)
#include <catch2/catch.hpp>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

// True when the cluster table (`cluster` in `agentctl status -o json`) lists exactly `names`,
// each reachable, healthy and at `generation`, and names a leader.
bool table_shows_all(const nlohmann::json& status, const std::vector<std::string>& names,
                     long long generation) {
  if (!status.is_object() || !status.contains("cluster")) return false;
  const nlohmann::json& table = status["cluster"];
  if (!table.is_object() || !table.contains("nodes") || !table["nodes"].is_array()) return false;
  if (table["nodes"].size() != names.size()) return false;
  for (const auto& name : names) {
    bool found = false;
    for (const auto& row : table["nodes"]) {
      if (row.value("name", "") != name) continue;
      found = row.value("reachable", false) && row.value("healthy", false) &&
              row.value("generation", 0LL) == generation;
    }
    if (!found) return false;
  }
  return !table.value("/leader/holder"_json_pointer, std::string()).empty();
}

}  // namespace

TEST_CASE("four nodes join at once; every node is healthy and in the cluster table",
          "[integration][scale]") {
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
  const nlohmann::json spec = cluster_spec({{&n1, {"storage", "compute"}, disk1},
                                            {&n2, {"storage", "compute"}, disk2},
                                            {&db, {"db"}, ""},
                                            {&c1, {"compute"}, ""}},
                                           2);

  const std::string token = init_cluster(cluster, n1, spec);
  const std::vector<SimNode*> joiners = {&n2, &db, &c1};
  const auto joins = join_in_parallel(joiners, n1, token);
  for (std::size_t i = 0; i < joiners.size(); ++i) {
    INFO(joiners[i]->name() << ": " << joins[i].out << joins[i].err);
    CHECK(joins[i].succeeded());
  }

  for (SimNode* node : all) REQUIRE(wait_healthy(*node, 600s));

  const std::vector<std::string> names = {"n1", "n2", "db", "c1"};
  const long long generation = generation_of(n1);
  REQUIRE(generation >= 1);
  for (SimNode* asker : {&n2, &c1}) {
    nlohmann::json status;
    const bool shown = eventually(
        [&] {
          status = cluster_status(*asker);
          return table_shows_all(status, names, generation);
        },
        180s);
    INFO("agentctl status on " << asker->name() << ":\n" << status.dump(2));
    CHECK(shown);
  }
  {  // seen from the second storage node, the first is a connected gluster peer: peers are
     // matched by glusterd UUID, not by whatever name gluster first recorded
    nlohmann::json status;
    const bool connected = eventually(
        [&] {
          status = cluster_status(n2);
          if (!status.is_object() || !status.contains("cluster")) return false;
          for (const auto& row : status["cluster"].value("nodes", nlohmann::json::array()))
            if (row.value("name", "") == "n1") return row.value("peer", "") == "connected";
          return false;
        },
        120s);
    INFO("agentctl status on n2:\n" << status.dump(2));
    CHECK(connected);
  }
  // The operator's view: the text table names every node.
  const std::string table = c1.agentctl({"status"}, 60s).out;
  for (const auto& name : names) CHECK(table.find(name) != std::string::npos);
}
