// Scenario: a compute node's database proxy follows the healthy database members.
// (Until the Galera formation lands the three db nodes run three independent MariaDB servers;
// the proxy's side is the same: it follows each member's GET /health/db.)
// An operator brings up three db nodes (db1, db2, db3) and a storage+compute node n1. Each db
// node's agent answers GET /health/db 200 while its MariaDB serves; n1 (no role db) answers 404.
// n1's agent runs the database proxy on 127.0.0.1:<database.proxyPort>; status says it uses
// db1, the first member, and a client on n1 connecting there reaches db1. When db1's mariadbd
// is stopped (SIGSTOP by the PID of its pid file: alive, so its agent does not restart it, but
// it answers nobody), db1's /health/db turns 503 and says why without any secret, and the
// proxy sends new connections to db2. When db1 runs again it is 200 again and the proxy goes
// back to it. The time from the stop to the first query answered by db2 is printed.

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "agent/host/mysql_session.hpp"
#include "test/integration/support/sim_cluster.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using pydio::test::eventually;
using pydio::test::SimCluster;
using pydio::test::SimNode;

namespace {

constexpr int kProxyPort = 3307;
constexpr const char* kMariadbPidFile = "/run/mysqld/mysqld.pid";
constexpr const char* kCheckUser = "proxycheck";
constexpr const char* kCheckPassword = "proxy-check-7f3a9c";

std::pair<int, std::string> db_health(SimNode& asked_from, SimNode& db) {
  return asked_from.http_get("http://" + db.address() + ":8480/health/db");
}

// SQL as root over the member's own socket, inside the member.
pydio::common::RunResult sql(SimNode& db, const std::string& statement) {
  return db.exec({"mariadb", "--socket=/run/mysqld/mysqld.sock", "-N", "-B", "-e", statement}, 30s);
}

// The db-proxy resource's status line on `node` ("uses db1; ..."), "" when unknown.
std::string db_proxy_note(SimNode& node) {
  nlohmann::json status = node.status();
  if (!status.is_object() || !status.contains("resources")) return "";
  for (const auto& resource : status["resources"]) {
    if (resource.value("name", "") != "db-proxy") continue;
    return resource["waitingFor"].is_string() ? resource["waitingFor"].get<std::string>() : "";
  }
  return "";
}

// Which server answers a new connection to `node`'s 127.0.0.1:<proxy port> (its @@hostname,
// which is the simulated node's name), or "error: ...". The connection is made from a thread
// that entered the node's network namespace (the proxy listens on the node's loopback only).
std::string member_behind_proxy(const SimCluster& cluster, const SimNode& node) {
  std::ifstream holder(cluster.run_dir() + "/nodes/" + node.name() + "/holder.id");
  int holder_pid = 0;
  holder >> holder_pid;
  const std::string netns = "/proc/" + std::to_string(holder_pid) + "/ns/net";
  auto answer = std::async(std::launch::async, [netns]() -> std::string {
    const int fd = ::open(netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "error: open " + netns;
    const bool entered = ::setns(fd, CLONE_NEWNET) == 0;
    ::close(fd);
    if (!entered) return "error: setns " + netns;
    pydio::agent::MysqlEndpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = kProxyPort;
    endpoint.user = kCheckUser;
    endpoint.password = kCheckPassword;
    endpoint.connect_timeout = 3s;
    endpoint.read_timeout = 3s;
    endpoint.write_timeout = 3s;
    auto session = pydio::agent::MysqlSession::connect(endpoint);
    if (!session) return "error: " + session.status().message();
    auto rows = (*session)->query("SELECT @@hostname");
    if (!rows) return "error: " + rows.status().message();
    if (rows->empty() || !rows->front().columns.at(0)) return "error: no row";
    return *rows->front().columns.at(0);
  });
  return answer.get();
}

// Sends SIGCONT to a process the scenario stopped, pass or fail.
struct ContinueOnExit {
  SimNode& node;
  int pid;
  ~ContinueOnExit() { node.exec({"kill", "-CONT", std::to_string(pid)}, 10s); }
};

}  // namespace

TEST_CASE("a compute node's database proxy follows the healthy members",
          "[db_proxy][integration]") {
  SimCluster cluster;
  SimNode& n1 = cluster.add_node("n1", 1);
  SimNode& db1 = cluster.add_node("db1", 11);
  SimNode& db2 = cluster.add_node("db2", 12);
  SimNode& db3 = cluster.add_node("db3", 13);
  const std::vector<SimNode*> members = {&db1, &db2, &db3};
  const std::string disk = n1.create_loop_device(400);
  nlohmann::json spec = pydio::test::cluster_spec({{&n1, {"storage", "compute"}, disk},
                                                   {&db1, {"db"}, ""},
                                                   {&db2, {"db"}, ""},
                                                   {&db3, {"db"}, ""}},
                                                  1);
  spec["database"].erase("host");  // three db nodes: their addresses are database.members
  spec["database"]["proxyPort"] = kProxyPort;
  for (SimNode* node : {&n1, &db1, &db2, &db3}) {
    node->start_agent();
    REQUIRE(node->wait_agent_ready());
  }
  const std::string token = pydio::test::init_cluster(cluster, n1, spec);
  for (SimNode* db : members) pydio::test::join_cluster(*db, n1, token);

  INFO("every member's agent answers GET /health/db 200 while its MariaDB serves");
  for (SimNode* db : members) {
    std::pair<int, std::string> last;
    const bool serving = eventually(
        [&] {
          last = db_health(n1, *db);
          return last.first == 200;
        },
        300s);
    INFO(db->name() << ": /health/db " << last.first << " " << last.second << "; status "
                    << db->status().dump());
    REQUIRE(serving);
  }
  INFO("n1 has no role db: 404");
  CHECK(db_health(n1, n1).first == 404);

  INFO("n1's database proxy runs and uses db1, the first member");
  std::string note;
  const bool uses_db1 = eventually(
      [&] {
        note = db_proxy_note(n1);
        return note.rfind("uses db1;", 0) == 0;
      },
      300s);
  INFO("db-proxy: " << note << " (state " << n1.resource_state("db-proxy") << ")");
  REQUIRE(uses_db1);
  for (SimNode* db : members) {
    auto created = sql(*db, std::string("CREATE USER IF NOT EXISTS '") + kCheckUser + "'@'" +
                                n1.address() + "' IDENTIFIED BY '" + kCheckPassword + "'");
    INFO(db->name() << ": " << created.err);
    REQUIRE(created.succeeded());
  }
  std::string behind;
  REQUIRE(eventually([&] { return (behind = member_behind_proxy(cluster, n1)) == "db1"; }, 60s));

  const int pid = std::stoi(db1.read_file(kMariadbPidFile));
  REQUIRE(pid > 0);
  const std::string secrets = db1.read_file("/etc/pydio-agent/secrets.json");
  {
    ContinueOnExit resume{db1, pid};
    db1.must({"kill", "-STOP", std::to_string(pid)});
    const auto stopped_at = Clock::now();

    INFO("db1's mariadbd stopped: new connections through n1's proxy reach db2");
    const bool moved =
        eventually([&] { return (behind = member_behind_proxy(cluster, n1)) == "db2"; }, 120s);
    const auto moved_at = Clock::now();
    INFO("last answer through the proxy: " << behind);
    CHECK(moved);

    std::pair<int, std::string> answer;
    INFO("db1's /health/db: 503 with the reason");
    CHECK(eventually(
        [&] {
          answer = db_health(n1, db1);
          return answer.first == 503;
        },
        60s));
    CHECK(answer.second.find("not accepting connections") != std::string::npos);
    INFO("no secret in the answer");
    for (const char* key : {"dbPassword", "leasePassword"}) {
      auto parsed = nlohmann::json::parse(secrets, nullptr, false);
      REQUIRE_FALSE(parsed.is_discarded());
      if (!parsed.contains(key)) continue;
      const std::string secret = parsed[key].get<std::string>();
      REQUIRE(secret.size() >= 8);
      CHECK(answer.second.find(secret) == std::string::npos);
    }
    INFO("the health port keeps answering while the database hangs");
    CHECK(db_health(n1, db2).first == 200);
    CHECK(eventually([&] { return db_proxy_note(n1).rfind("uses db2;", 0) == 0; }, 60s));
    std::cout
        << "db_proxy_follows: mariadbd of db1 stopped; first query answered by db2 "
        << std::chrono::duration_cast<std::chrono::milliseconds>(moved_at - stopped_at).count()
        << " ms later; db1's /health/db: " << answer.second << "\n";
  }
  INFO("db1 runs again: 200, and the proxy goes back to it");
  CHECK(eventually([&] { return db_health(n1, db1).first == 200; }, 120s));
  CHECK(eventually([&] { return (behind = member_behind_proxy(cluster, n1)) == "db1"; }, 120s));
  std::cout << "db_proxy_follows: n1's db-proxy: " << db_proxy_note(n1) << "\n";
}
