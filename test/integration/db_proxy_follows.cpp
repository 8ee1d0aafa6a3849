// Scenario: the compute nodes' database proxies follow the healthy database members.
// For now (the Galera formation is not on this branch yet) the part every proxy relies on:
// GET /health/db of a db node's agent, which the proxies' HAProxy checks every second.
// An operator brings up the one-node tutorial (storage+compute+db). /health/db answers 200
// while mariadbd serves; when mariadbd is stopped (SIGSTOP by the PID of its pid file: alive,
// so the agent does not restart it, but it answers nobody) /health/db turns 503 and says why,
// without any secret; when it runs again, 200 again. A node without role db answers 404.

#include <signal.h>

#include <catch2/catch.hpp>
#include <iostream>
#include <string>

#include "test/integration/support/sim_cluster.hpp"

using namespace std::chrono_literals;
using pydio::test::eventually;
using pydio::test::SimCluster;
using pydio::test::SimNode;

namespace {

constexpr const char* kMariadbPidFile = "/run/mysqld/mysqld.pid";

std::pair<int, std::string> db_health(SimNode& asked_from, SimNode& db) {
  return asked_from.http_get("http://" + db.address() + ":8480/health/db");
}

// Sends SIGCONT to a process the scenario stopped, pass or fail.
struct ContinueOnExit {
  SimNode& node;
  int pid;
  ~ContinueOnExit() { node.exec({"kill", "-CONT", std::to_string(pid)}, 10s); }
};

}  // namespace

TEST_CASE("GET /health/db follows the local MariaDB", "[db_proxy][integration]") {
  SimCluster cluster;
  SimNode& db = pydio::test::bring_up_healthy_single_node(cluster);
  SimNode& other = pydio::test::add_started_node(cluster, "node2", 2);

  INFO("while mariadbd serves: 200");
  REQUIRE(eventually([&] { return db_health(other, db).first == 200; }, 120s));
  CHECK(db_health(db, db).second.find("\"status\":\"ok\"") != std::string::npos);

  INFO("a node without role db: 404");
  CHECK(other.http_get("http://" + other.address() + ":8480/health/db").first == 404);

  const int pid = std::stoi(db.read_file(kMariadbPidFile));
  REQUIRE(pid > 0);
  const std::string secrets = db.read_file("/etc/pydio-agent/secrets.json");
  {
    ContinueOnExit resume{db, pid};
    db.must({"kill", "-STOP", std::to_string(pid)});
    const auto stopped_at = std::chrono::steady_clock::now();
    std::pair<int, std::string> answer;
    INFO("mariadbd stopped: 503 with the reason");
    REQUIRE(eventually(
        [&] {
          answer = db_health(other, db);
          return answer.first == 503;
        },
        60s));
    std::cout << "/health/db 503 "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - stopped_at)
                     .count()
              << " ms after SIGSTOP: " << answer.second << "\n";
    CHECK(answer.second.find("not accepting connections") != std::string::npos);
    INFO("no secret in the answer");
    for (const char* key : {"dbPassword", "leasePassword"}) {
      const auto at = secrets.find(key);
      if (at == std::string::npos) continue;
      const auto open = secrets.find('"', secrets.find(':', at) + 1);
      const auto close = secrets.find('"', open + 1);
      const std::string secret = secrets.substr(open + 1, close - open - 1);
      REQUIRE(secret.size() >= 8);
      CHECK(answer.second.find(secret) == std::string::npos);
    }
    // The health port itself keeps answering at once while the database hangs.
    CHECK(pydio::test::health_of(db).first == 200);
  }
  INFO("mariadbd runs again: 200 again");
  CHECK(eventually([&] { return db_health(other, db).first == 200; }, 120s));
}
