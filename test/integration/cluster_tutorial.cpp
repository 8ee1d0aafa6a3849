// Story: the tutorial, automated. An operator has three bare machines: two will hold the
// replicated bricks and serve Pydio (storage+compute), one runs the database. They write one
// spec listing all three, run `agentctl init` on the first and `agentctl join` on the others.
// The agents do the rest: peering, replica 2 volumes, FUSE mounts, Apache, database. A file
// written on one node is read, and served by Apache, on the other. A broken document dropped
// onto the shared volume changes nothing (it is not signed with the cluster's key). Join
// tokens are made and revoked from either storage node.
#include <signal.h>

#include <catch2/catch.hpp>

#include "support/json_schema.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;

TEST_CASE("two storage+compute nodes and a db node form the tutorial cluster", "[integration]") {
  SimCluster cluster;
  SimNode& n1 = cluster.add_node("n1", 1);
  SimNode& n2 = cluster.add_node("n2", 2);
  SimNode& db = cluster.add_node("db", 3);
  const std::string disk1 = n1.create_loop_device(400);
  const std::string disk2 = n2.create_loop_device(400);
  for (SimNode* node : {&n1, &n2, &db}) {
    node->start_agent();
    REQUIRE(node->wait_agent_ready());
  }

  const nlohmann::json spec = cluster_spec({{&n1, {"storage", "compute"}, disk1},
                                            {&n2, {"storage", "compute"}, disk2},
                                            {&db, {"db"}, ""}},
                                           /*replica=*/2);
  const std::string token = init_cluster(cluster, n1, spec);
  join_cluster(db, n1, token);
  join_cluster(n2, n1, token);
  // Joining twice is harmless.
  join_cluster(n2, n1, token);

  REQUIRE(wait_healthy(n1));
  REQUIRE(wait_healthy(n2));
  REQUIRE(wait_layout(n1));

  {  // one pool, one leader, replicated volumes; status warns about replica 2
    nlohmann::json status;
    bool complete = eventually(
        [&] {
          status = cluster_status(n1);
          if (!status.is_object()) return false;
          const auto& c = status["cluster"];
          if (c["leader"]["holder"].get<std::string>().empty()) return false;
          for (const auto& node : c["nodes"])
            if (!node.value("reachable", false)) return false;
          for (const auto& volume : c["volumes"]) {
            if (volume.value("bricksOnline", nlohmann::json::array()).size() != 2) return false;
            // Just-created layout directories show as pending heals for a moment.
            if (volume.value("healPending", -1) != 0) return false;
          }
          return true;
        },
        120s);
    INFO(n1.agentctl({"status"}).out);
    REQUIRE(complete);
    const auto& c = status["cluster"];
    CHECK(c["nodes"][1]["peer"] == "connected");
    CHECK(c["volumes"][0]["type"] == "Replicate");
    CHECK_THAT(c["warnings"].dump(), Catch::Contains("replica 2: prone to split-brain"));
    CHECK_THAT(n1.agentctl({"status"}).out, Catch::Contains("NODE"));
    // The documented schema (docs/schema/status.schema.json) holds for what real nodes answer:
    // a storage node with the cluster table, and the db node (its database sections).
    CHECK(schema_problems(status, "status.schema.json", cluster.run_dir()) == "");
    CHECK(schema_problems(db.status(), "status.schema.json", cluster.run_dir()) == "");
  }

  {  // a file written through node 1 is read on node 2 and served by node 2's Apache
    n1.write_file("/mnt/pydio-data/public/hello.txt", "hello from n1\n");
    CHECK(eventually(
        [&] { return n2.read_file("/mnt/pydio-data/public/hello.txt") == "hello from n1\n"; },
        60s));
    // What a Pydio install does: its public folder lives on the shared data volume.
    n2.must({"ln", "-s", "/mnt/pydio-data/public", "/var/www/pydio/public"});
    auto [code, body] = n2.http_get("http://198.18.0.2/pydio/public/hello.txt");
    CHECK(code == 200);
    CHECK(body == "hello from n1\n");
  }

  {  // the database node converged and the desired state is published on pydio-config
    CHECK(eventually([&] { return db.resource_state("database") == "in-sync"; }, 120s));
    std::string published;
    CHECK(eventually(
        [&] {
          published = n2.read_file("/mnt/pydio-config/pydio-agent/desired-state.json");
          return !published.empty();
        },
        60s));
    CHECK(n1.file_exists("/mnt/pydio-config/pydio-agent/installed.json"));
    CHECK(generation_of(db) == generation_of(n1));

    // The token and secrets stay root-only on each node: never in the shared document or logs.
    CHECK(published.find(token) == std::string::npos);
    CHECK(n2.must({"stat", "-c", "%a", "/etc/pydio-agent/secrets.json"}) == "600\n");
    for (SimNode* node : {&n1, &n2, &db}) {
      const std::string log = agent_log(cluster, *node);
      CHECK_FALSE(log.empty());
      CHECK(log.find(token) == std::string::npos);
    }
  }

  {  // an invalid document published on pydio-config is acted upon by no agent: it no longer
     // matches the signature next to it, the leader says so in its status and puts the valid,
     // signed document back
    const long long in_force = generation_of(n2);
    auto broken = nlohmann::json::parse(n1.read_file("/var/lib/pydio-agent/desired-state.json"));
    broken["generation"] = in_force + 5;
    broken["volumes"][0]["replica"] = "two";
    n2.write_file("/mnt/pydio-config/pydio-agent/desired-state.json", broken.dump());
    // The refusal is an error event (durable) and, until the leader has put the valid document
    // back and read it again (a few seconds at most), the status's desiredError. Looked for on
    // every node: the leader puts the document back, and on a loaded machine the lease may
    // have moved from n1, or the leader may have put it back before a follower read it.
    CHECK(eventually(
        [&] {
          for (SimNode* node : {&n1, &n2, &db}) {
            const auto events = nlohmann::json::parse(
                node->agentctl({"events", "-n", "1000", "-o", "json"}).out, nullptr, false);
            if (!events.is_array()) continue;
            for (const auto& event : events)
              if (event.value("resource", "") == "desired-state" &&
                  event.value("outcome", "") == "error" &&
                  event.value("message", "").find("bad signature") != std::string::npos)
                return true;
          }
          return false;
        },
        60s));
    CHECK(eventually(
        [&] {
          auto published = nlohmann::json::parse(
              n2.read_file("/mnt/pydio-config/pydio-agent/desired-state.json"), nullptr, false);
          return published.is_object() && published.value("generation", 0LL) == in_force &&
                 published["volumes"][0]["replica"] == 2;
        },
        60s));
    for (SimNode* node : {&n1, &n2, &db}) CHECK(generation_of(*node) == in_force);
    CHECK(health_of(n2).first == 200);
  }

  {  // the peer API speaks TLS only, and answers 401 to a client without a node certificate
    auto [code, body] = n2.http_get("http://198.18.0.1:8481/v1/peer/node");
    CHECK(code != 200);
    auto anonymous = n2.exec({"curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
                              "https://198.18.0.1:8481/v1/peer/node"});
    CHECK(anonymous.out == "401");
  }

  {  // join tokens are managed from any storage node, through the leader: one made on the node
     // that does not lead is listed on the leader; deleted there, it is gone from both. The db
     // node (no storage role) manages none.
    const std::string leader = current_leader({&n1, &n2});
    REQUIRE_FALSE(leader.empty());
    SimNode& leading = leader == "n1" ? n1 : n2;
    SimNode& following = leader == "n1" ? n2 : n1;
    const std::string made = create_join_token(following, {"--description", "from the follower"});
    const std::string id = made.substr(0, 6);
    CHECK(eventually(
        [&] {
          return leading.agentctl({"token", "list"}).out.find(id) != std::string::npos;
        },
        60s));
    auto refused = db.agentctl({"token", "create"});
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("this node is not one"));
    auto deleted = leading.agentctl({"token", "delete", id});
    INFO(deleted.out << deleted.err);
    REQUIRE(deleted.succeeded());
    CHECK(eventually(
        [&] {
          const auto list = following.agentctl({"token", "list"});
          return list.succeeded() && list.out.find(id) == std::string::npos;
        },
        60s));
  }
}
