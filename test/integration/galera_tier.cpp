// Scenario (issue 10, tests 1 and 4): three db nodes form a Galera cluster that the agents
// bootstrap from nothing; Pydio's database and user exist on all three. After all three
// mariadbd are SIGKILLed and the agents restarted, the agents bring the tier back from the
// member with the highest seqno without an operator, and nothing committed is lost. With one
// db node's agent kept down, nothing bootstraps until `agentctl db bootstrap --force`.
// Real glusterd, MariaDB 10.11 + galera-4 on simulated nodes; the storage nodes campaign for the
// lease in the Galera cluster.

#include <signal.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "test/integration/support/sim_cluster.hpp"

using namespace std::chrono_literals;
using pydio::test::SimCluster;
using pydio::test::SimNode;
using pydio::test::SpecNode;

namespace {

constexpr const char* kSocket = "/run/mysqld/mysqld.sock";
constexpr const char* kPidFile = "/run/mysqld/mysqld.pid";

// One statement as root over the node's socket (unix_socket authentication).
pydio::common::RunResult sql(SimNode& node, const std::string& statement) {
  return node.exec({"mariadb", "-S", kSocket, "-uroot", "-N", "-B", "-e", statement}, 30s);
}

std::string sql_value(SimNode& node, const std::string& statement) {
  auto result = sql(node, statement);
  if (!result.succeeded()) return "";
  std::string out = result.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

nlohmann::json database_of(SimNode& node) {
  nlohmann::json status = node.status();
  if (!status.is_object() || !status.contains("database")) return nullptr;
  return status["database"];
}

// The member is in a primary component of `size` members, synced.
bool member_primary(SimNode& node, int size) {
  nlohmann::json database = database_of(node);
  return database.is_object() && database.value("primary", false) &&
         database.value("state", "") == "Synced" && database.value("clusterSize", 0) == size;
}

std::string db_server_waiting(SimNode& node) {
  nlohmann::json status = node.status();
  if (!status.is_object()) return "";
  for (const auto& resource : status.value("resources", nlohmann::json::array())) {
    if (resource.value("name", "") == "db-server") {
      return resource.value("waitingFor", nlohmann::json("")).is_string()
                 ? resource["waitingFor"].get<std::string>()
                 : "";
    }
  }
  return "";
}

int mariadbd_pid(SimNode& node) {
  if (!node.file_exists(kPidFile)) return 0;
  try {
    return std::stoi(node.read_file(kPidFile));
  } catch (const std::exception&) {
    return 0;
  }
}

bool mariadbd_alive(SimNode& node) {
  const int pid = mariadbd_pid(node);
  return pid > 0 && node.exec({"kill", "-0", std::to_string(pid)}).succeeded();
}

// SIGKILLs the node's mariadbd by the PID of its pid file and waits until it is gone.
void kill_mariadbd(SimNode& node) {
  const int pid = mariadbd_pid(node);
  REQUIRE(pid > 0);
  node.must({"kill", "-9", std::to_string(pid)});
  REQUIRE(pydio::test::eventually(
      [&] { return !node.exec({"kill", "-0", std::to_string(pid)}).succeeded(); }, 60s));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void print_waiting(const std::vector<SimNode*>& nodes) {
  for (SimNode* node : nodes) {
    std::cerr << node->name() << " db-server: " << db_server_waiting(*node) << "\n"
              << "  database: " << database_of(*node).dump() << "\n";
  }
}

}  // namespace

SCENARIO("three db nodes form a Galera tier that survives a full outage", "[galera]") {
  SimCluster cluster;
  SimNode& n1 = cluster.add_node("n1", 1);
  SimNode& n2 = cluster.add_node("n2", 2);
  SimNode& db1 = cluster.add_node("db1", 3);
  SimNode& db2 = cluster.add_node("db2", 4);
  SimNode& db3 = cluster.add_node("db3", 5);
  const std::vector<SimNode*> dbs = {&db1, &db2, &db3};
  const std::string disk1 = n1.create_loop_device(400);
  const std::string disk2 = n2.create_loop_device(400);
  for (SimNode* node : {&n1, &n2, &db1, &db2, &db3}) {
    node->start_agent(5);
    REQUIRE(node->wait_agent_ready());
  }
  const auto spec = pydio::test::cluster_spec({{&n1, {"storage", "compute"}, disk1},
                                               {&n2, {"storage", "compute"}, disk2},
                                               {&db1, {"db"}, ""},
                                               {&db2, {"db"}, ""},
                                               {&db3, {"db"}, ""}},
                                              2);
  const std::string token = pydio::test::init_cluster(cluster, n1, spec);
  const auto joined = pydio::test::join_in_parallel({&n2, &db1, &db2, &db3}, n1, token);
  for (const auto& result : joined) {
    INFO(result.out << result.err);
    REQUIRE(result.succeeded());
  }

  GIVEN("a bootstrap from nothing") {
    const auto joined_at = std::chrono::steady_clock::now();
    const bool formed = pydio::test::eventually(
        [&] {
          for (SimNode* db : dbs)
            if (!member_primary(*db, 3)) return false;
          return true;
        },
        300s);
    if (!formed) print_waiting(dbs);
    REQUIRE(formed);
    std::cout << "galera: three members Synced " << seconds_since(joined_at)
              << " s after the joins returned\n";
    // agentctl status shows each db node's member state.
    auto shown = n1.agentctl({"status"});
    INFO(shown.out << shown.err);
    CHECK(shown.out.find("Synced, primary, size 3") != std::string::npos);
    // Only the first db node bootstrapped: the others joined it.
    CHECK(pydio::test::count_events(db1, "db-server", "bootstrap the Galera cluster") == 1);
    CHECK(pydio::test::count_events(db2, "db-server", "bootstrap the Galera cluster") == 0);
    CHECK(pydio::test::count_events(db3, "db-server", "bootstrap the Galera cluster") == 0);
    // Pydio's database and user, created by the agents, are on every member.
    for (SimNode* db : dbs) {
      REQUIRE(pydio::test::eventually(
          [&] {
            return sql_value(*db, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE "
                                  "SCHEMA_NAME = 'pydio'") == "1" &&
                   sql_value(*db, "SELECT COUNT(*) FROM mysql.user WHERE User = 'pydio'") != "0";
          },
          120s));
    }
    // A host of the network without a cluster certificate tries to join the Galera cluster
    // (which would hand it every row by a state transfer): gcomm speaks TLS only with nodes
    // whose certificate the cluster CA signed, so it never becomes a member.
    {
      SimNode& intruder = cluster.add_node("intruder", 9);
      intruder.must({"mkdir", "-p", "/var/lib/intruder/data"});
      intruder.must({"chown", "-R", "mysql:mysql", "/var/lib/intruder"});
      intruder.write_file("/var/lib/intruder/my.cnf",
                          "[mysqld]\nuser = mysql\ndatadir = /var/lib/intruder/data\n"
                          "socket = /var/lib/intruder/s.sock\n"
                          "pid-file = /var/lib/intruder/p.pid\nbind-address = 198.18.0.9\n"
                          "log-error = /var/lib/intruder/data/err.log\nwsrep_on = ON\n"
                          "wsrep_provider = /usr/lib/galera/libgalera_smm.so\n"
                          "wsrep_cluster_name = pydio\nwsrep_cluster_address = gcomm://198.18.0.3\n"
                          "wsrep_node_address = 198.18.0.9\nwsrep_sst_method = rsync\n"
                          "binlog_format = ROW\ninnodb_autoinc_lock_mode = 2\n");
      intruder.must({"mariadb-install-db", "--defaults-file=/var/lib/intruder/my.cnf",
                     "--user=mysql", "--auth-root-authentication-method=socket", "--skip-test-db"},
                    180s);
      std::thread attempt([&] {
        intruder.exec({"timeout", "40", "mariadbd", "--defaults-file=/var/lib/intruder/my.cnf"},
                      90s);
      });
      int largest = 0;
      const auto until = std::chrono::steady_clock::now() + 35s;
      while (std::chrono::steady_clock::now() < until) {
        nlohmann::json database = database_of(db1);
        if (database.is_object()) largest = std::max(largest, database.value("clusterSize", 0));
        std::this_thread::sleep_for(1s);
      }
      attempt.join();
      CHECK(largest == 3);
      CHECK(member_primary(db1, 3));
      CHECK(intruder.file_absent("/var/lib/intruder/data/pydio"));
    }

    // The storage nodes elect a leader through the Galera cluster.
    REQUIRE(pydio::test::eventually([&] { return !pydio::test::current_leader({&n1, &n2}).empty(); },
                                    120s));

    // Rows committed through one member, read on another.
    REQUIRE(sql(db2, "CREATE TABLE IF NOT EXISTS pydio.galera_probe (id INT PRIMARY KEY)")
                .succeeded());
    for (int i = 1; i <= 50; ++i) {
      REQUIRE(sql(db2, "INSERT INTO pydio.galera_probe VALUES (" + std::to_string(i) + ")")
                  .succeeded());
    }
    REQUIRE(pydio::test::eventually(
        [&] { return sql_value(db3, "SELECT COUNT(*) FROM pydio.galera_probe") == "50"; }, 60s));

    WHEN("all three mariadbd are killed at once and the agents restarted") {
      for (SimNode* db : dbs) db->stop_agent(SIGTERM);
      for (SimNode* db : dbs) kill_mariadbd(*db);
      const auto restarted_at = std::chrono::steady_clock::now();
      for (SimNode* db : dbs) {
        db->start_agent(5);
        REQUIRE(db->wait_agent_ready());
      }
      THEN("the agents bring the tier back from the highest seqno, with every committed row") {
        const bool back = pydio::test::eventually(
            [&] {
              for (SimNode* db : dbs)
                if (!member_primary(*db, 3)) return false;
              return true;
            },
            300s);
        if (!back) print_waiting(dbs);
        REQUIRE(back);
        std::cout << "galera: full outage recovered (three members Synced) "
                  << seconds_since(restarted_at) << " s after the agents were started\n";
        for (SimNode* db : dbs) {
          CHECK(sql_value(*db, "SELECT COUNT(*) FROM pydio.galera_probe") == "50");
        }
        CHECK(pydio::test::count_events(db1, "db-server", "recover this member's Galera position") +
                  pydio::test::count_events(db2, "db-server", "recover this member's Galera position") +
                  pydio::test::count_events(db3, "db-server", "recover this member's Galera position") ==
              3);

        AND_WHEN("it happens again with db3's agent kept down") {
          for (SimNode* db : dbs) db->stop_agent(SIGTERM);
          for (SimNode* db : dbs) kill_mariadbd(*db);
          for (SimNode* db : {&db1, &db2}) {
            db->start_agent(5);
            REQUIRE(db->wait_agent_ready());
          }
          THEN("nothing bootstraps until an operator forces one member") {
            // Both agents say why they wait, naming the silent member and the seqnos they saw.
            const bool waiting = pydio::test::eventually(
                [&] {
                  return db_server_waiting(db1).find("db3") != std::string::npos &&
                         db_server_waiting(db2).find("db3") != std::string::npos &&
                         db_server_waiting(db1).find("seqnos seen") != std::string::npos;
                },
                180s);
            if (!waiting) print_waiting({&db1, &db2});
            REQUIRE(waiting);
            std::this_thread::sleep_for(20s);  // time in which a wrong bootstrap would happen
            CHECK_FALSE(mariadbd_alive(db1));
            CHECK_FALSE(mariadbd_alive(db2));

            // Without --force the command refuses and changes nothing.
            auto refused = n1.agentctl({"db", "bootstrap", "db2"});
            CHECK_FALSE(refused.succeeded());
            CHECK(refused.err.find("--force") != std::string::npos);
            auto forced = n1.agentctl({"db", "bootstrap", "--force", "db2"});
            INFO(forced.out << forced.err);
            REQUIRE(forced.succeeded());
            const bool two = pydio::test::eventually(
                [&] { return member_primary(db1, 2) && member_primary(db2, 2); }, 300s);
            if (!two) print_waiting({&db1, &db2});
            REQUIRE(two);
            CHECK(pydio::test::count_events(db2, "db-server", "forced this node to bootstrap") >= 1);

            db3.start_agent(5);
            REQUIRE(db3.wait_agent_ready());
            const bool three = pydio::test::eventually(
                [&] {
                  for (SimNode* db : dbs)
                    if (!member_primary(*db, 3)) return false;
                  return true;
                },
                300s);
            if (!three) print_waiting(dbs);
            REQUIRE(three);
            for (SimNode* db : dbs) {
              CHECK(sql_value(*db, "SELECT COUNT(*) FROM pydio.galera_probe") == "50");
            }
          }
        }
      }
    }
  }
}
