// Story: the node that leads the cluster dies (its agent is SIGKILLed: no lease release).
// Another storage node's agent takes the lease once it runs out, and leader work goes on:
// two operators then change the desired state at the same moment from two nodes; exactly one
// change wins, the other is refused with a clear message (never silently lost), and the
// winner reaches every node. The old leader's agent, restarted, follows the new generation.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <future>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

TEST_CASE("a killed leader is replaced, and of two racing changes exactly one wins",
          "[integration]") {
  SimCluster cluster;
  TutorialCluster tutorial = bring_up_tutorial_cluster(cluster, DbPlacement::kOwnNode);
  SimNode& n1 = *tutorial.n1;
  SimNode& n2 = *tutorial.n2;
  SimNode& db = *tutorial.db;

  std::string leader;
  REQUIRE(eventually([&] { return !(leader = current_leader({&n1, &n2})).empty(); }, 60s));
  SimNode& old_leader = leader == "n1" ? n1 : n2;
  SimNode& survivor = leader == "n1" ? n2 : n1;

  // The leader's agent dies without handing the lease back.
  const auto killed_at = std::chrono::steady_clock::now();
  old_leader.stop_agent(SIGKILL);
  REQUIRE(eventually([&] { return current_leader({&survivor}) == survivor.name(); }, 60s));
  const auto took_over = std::chrono::steady_clock::now() - killed_at;
  WARN("lease taken over after "
       << std::chrono::duration_cast<std::chrono::milliseconds>(took_over).count() << " ms");

  // Two changes, both edited copies of the document in force (its generation kept: the one they
  // are based on), sent at once by two operators.
  const long long base = generation_of(survivor);
  auto document =
      nlohmann::json::parse(survivor.read_file("/var/lib/pydio-agent/desired-state.json"));
  REQUIRE(document["generation"].get<long long>() == base);
  auto change_a = document;
  auto change_b = document;
  change_a["volumes"][0]["options"]["diagnostics.client-log-level"] = "WARNING";
  change_b["volumes"][0]["options"]["diagnostics.client-log-level"] = "ERROR";
  const std::string path_a = cluster.run_dir() + "/change-a.json";
  const std::string path_b = cluster.run_dir() + "/change-b.json";
  std::ofstream(path_a) << change_a.dump(2);
  std::ofstream(path_b) << change_b.dump(2);
  auto from_survivor = std::async(std::launch::async, [&] {
    return survivor.agentctl({"apply", "--spec", path_a});
  });
  auto from_other = std::async(std::launch::async, [&] {
    return survivor.agentctl({"apply", "--spec", path_b});
  });
  const auto result_a = from_survivor.get();
  const auto result_b = from_other.get();
  INFO("a: " << result_a.out << result_a.err << "\nb: " << result_b.out << result_b.err);
  REQUIRE(result_a.succeeded() != result_b.succeeded());  // exactly one wins
  const auto& loser = result_a.succeeded() ? result_b : result_a;
  CHECK(loser.exit_code == 1);
  // Refused by the leader's compare-and-set, or before sending when the winner was already in
  // force (the loser, based on the one before, is then stale).
  CHECK_THAT(loser.err, Catch::Contains("another change was put in force"));
  const std::string winner_level = result_a.succeeded() ? "WARNING" : "ERROR";

  {  // the db node may not change the desired state; nothing changes
    // (The loser's change without a generation, so based on whatever the db node holds: the
    // winner's is the one in force there, which agentctl does not send, and the loser as it is
    // would be stale.)
    auto unbased = result_a.succeeded() ? change_b : change_a;
    unbased.erase("generation");
    const std::string loser_path = cluster.run_dir() + "/change-from-db.json";
    std::ofstream(loser_path) << unbased.dump(2);
    auto from_db = db.agentctl({"apply", "--spec", loser_path});
    CHECK(from_db.exit_code == 1);
    CHECK_THAT(from_db.err, Catch::Contains("only storage nodes may change the desired state"));
    // Refused (exit 1), not a failure of the agent (that would be exit 2).
    CHECK_THAT(from_db.err, Catch::Contains("refused"));
    CHECK_THAT(from_db.err, Catch::Contains("nothing changed"));
  }

  // The winner reaches every node, and the leader applies it to the volume.
  for (SimNode* node : {&survivor, &db}) {
    CHECK(eventually([&] { return generation_of(*node) == base + 1; }, 60s));
  }
  // Pushed: the new leader announced it to the db node (the poll alone would hide a lost push).
  CHECK(eventually(
      [&] {
        return agent_log(cluster, db).find("generation " + std::to_string(base + 1) +
                                           " announced by " + survivor.address()) !=
               std::string::npos;
      },
      30s));
  CHECK(eventually(
      [&] {
        return survivor
                   .exec({"gluster", "volume", "get", "pydio-data", "diagnostics.client-log-level"})
                   .out.find(winner_level) != std::string::npos;
      },
      120s));

  // The old leader comes back and follows.
  old_leader.start_agent();
  REQUIRE(old_leader.wait_agent_ready());
  CHECK(eventually([&] { return generation_of(old_leader) == base + 1; }, 60s));
  CHECK(wait_healthy(old_leader));
  CHECK(current_leader({&n1, &n2}) == survivor.name());
}
