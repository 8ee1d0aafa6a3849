// Scenario (issue 10, test 5): a backup of the Galera tier is taken while a client goes on
// writing; the data then diverges (rows deleted and added); an operator restores the backup
// with `agentctl db restore NAME --yes` on another db node than the one that took it. Every
// member then holds exactly the rows of backup time (row counts and CHECKSUM TABLE equal), the
// rows written during the backup form a consistent prefix, the three members are Synced in one
// primary component, and each member's datadir of before the restore is set aside, not
// deleted. A damaged backup and an unconfirmed restore are refused and change nothing. Then the
// whole tier is lost (every datadir emptied), the agents form a new empty one, and the backup
// restored into that fresh tier brings the rows back.
// Real glusterd (the catalog lives on pydio-data, which the db nodes mount), MariaDB 10.11 +
// galera-4 and mariadb-backup on simulated nodes.

#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "common/db_backup_catalog.hpp"
#include "common/utc_time.hpp"
#include "test/integration/support/db_scenario.hpp"
#include "test/integration/support/sim_cluster.hpp"

using namespace std::chrono_literals;
using pydio::test::member_primary;
using pydio::test::member_sql;
using pydio::test::SimCluster;
using pydio::test::SimNode;

namespace {

constexpr const char* kCatalog = "/mnt/pydio-data/pydio-agent/db-backups";

std::string sql_value(SimNode& node, const std::string& statement) {
  auto result = member_sql(node, statement);
  if (!result.succeeded()) return "";
  std::string out = result.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

bool all_primary(const std::vector<SimNode*>& dbs) {
  for (SimNode* db : dbs)
    if (!member_primary(*db, static_cast<int>(dbs.size()))) return false;
  return true;
}

void print_db_state(const std::vector<SimNode*>& dbs) {
  for (SimNode* db : dbs) {
    nlohmann::json status = db->status();
    std::cerr << db->name() << ": "
              << (status.is_object() ? status.value("database", nlohmann::json()).dump()
                                     : "no status")
              << "\n";
    if (!status.is_object()) continue;
    for (const auto& resource : status.value("resources", nlohmann::json::array()))
      if (resource.value("name", "") == "db-server")
        std::cerr << "  db-server: " << resource.dump() << "\n";
  }
}

// What the test compares: the probe table's row count and checksum, and the rows the writer
// committed (seq 1..N without a gap when the data is consistent).
struct Snapshot {
  std::string probe_count;
  std::string probe_checksum;
};

Snapshot snapshot(SimNode& node) {
  return {sql_value(node, "SELECT COUNT(*) FROM pydio.restore_probe"),
          sql_value(node, "CHECKSUM TABLE pydio.restore_probe")};
}

int mariadbd_pid(SimNode& node) {
  const char* pid_file = "/run/mysqld/mysqld.pid";
  if (!node.file_exists(pid_file)) return 0;
  try {
    return std::stoi(node.read_file(pid_file));
  } catch (const std::exception&) {
    return 0;
  }
}

// SIGKILLs the node's mariadbd by the PID of its pid file and waits until it is gone.
void kill_mariadbd(SimNode& node) {
  const int pid = mariadbd_pid(node);
  REQUIRE(pid > 0);
  node.must({"kill", "-9", std::to_string(pid)});
  REQUIRE(pydio::test::eventually(
      [&] {
        return !node.exec({"kill", "-0", std::to_string(pid)}).succeeded();
      },
      60s));
}

// The set-aside datadirs of a node (/var/lib/mysql.before-restore-<stamp>).
std::vector<std::string> set_aside_dirs(SimNode& node) {
  std::vector<std::string> found;
  auto listed = node.exec({"ls", "-1", "/var/lib"});
  std::size_t start = 0;
  while (start < listed.out.size()) {
    const std::size_t end = listed.out.find('\n', start);
    const std::string line = listed.out.substr(start, end - start);
    if (line.rfind("mysql.before-restore-", 0) == 0) found.push_back("/var/lib/" + line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return found;
}

// The good backups `node` lists (agentctl db backups -o json), oldest first.
nlohmann::json listed_backups(SimNode& node) {
  auto listed = node.agentctl({"db", "backups", "-o", "json"});
  if (!listed.succeeded()) return nlohmann::json::array();
  auto body = nlohmann::json::parse(listed.out, nullptr, false);
  if (!body.is_object() || !body.contains("backups") || !body["backups"].is_array())
    return nlohmann::json::array();
  return body["backups"];
}

}  // namespace

SCENARIO("a backup taken while writes go on is restored into the whole Galera tier",
         "[galera][db_restore]") {
  SimCluster cluster;
  SimNode& n1 = cluster.add_node("n1", 1);
  SimNode& n2 = cluster.add_node("n2", 2);
  SimNode& db1 = cluster.add_node("db1", 3);
  SimNode& db2 = cluster.add_node("db2", 4);
  SimNode& db3 = cluster.add_node("db3", 5);
  const std::vector<SimNode*> dbs = {&db1, &db2, &db3};
  const std::string disk1 = n1.create_loop_device(600);
  const std::string disk2 = n2.create_loop_device(600);
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
  const bool formed = pydio::test::eventually([&] { return all_primary(dbs); }, 300s);
  if (!formed) print_db_state(dbs);
  REQUIRE(formed);

  GIVEN("rows in the tier, and the agents' first backup taken while a client writes") {
    REQUIRE(member_sql(db2, "CREATE TABLE pydio.restore_probe (id INT PRIMARY KEY, v VARCHAR(40))")
                .succeeded());
    // seq counts the client's commits (Galera spreads AUTO_INCREMENT values over members).
    REQUIRE(member_sql(db2, "CREATE TABLE pydio.restore_writes (seq INT PRIMARY KEY, at DATETIME(6))")
                .succeeded());
    for (int i = 1; i <= 200; i += 50) {
      std::string values;
      for (int j = i; j < i + 50; ++j)
        values += (j == i ? "" : ",") + std::string("(") + std::to_string(j) + ",'row " +
                  std::to_string(j) + "')";
      REQUIRE(member_sql(db2, "INSERT INTO pydio.restore_probe VALUES " + values).succeeded());
    }
    REQUIRE(pydio::test::eventually(
        [&] { return sql_value(db1, "SELECT COUNT(*) FROM pydio.restore_probe") == "200"; }, 60s));
    const Snapshot at_backup = snapshot(db1);
    REQUIRE(at_backup.probe_count == "200");

    // A client writes through db2 during the whole backup, one row per statement.
    std::atomic<bool> writing{true};
    std::atomic<int> committed{0};
    std::thread writer([&] {
      int next = 1;
      while (writing) {
        // A statement whose answer was lost is sent again: IGNORE makes it count once.
        if (member_sql(db2, "INSERT IGNORE INTO pydio.restore_writes VALUES (" + std::to_string(next) +
                         ", NOW(6))")
                .succeeded())
          committed = next++;
      }
    });
    // Stops and joins the writer however this block is left (a failed REQUIRE throws).
    struct StopWriter {
      std::atomic<bool>& writing;
      std::thread& writer;
      ~StopWriter() {
        writing = false;
        if (writer.joinable()) writer.join();
      }
    } stop_writer{writing, writer};
    // The operator turns scheduled backups on: every db node mounts pydio-data, and the leader
    // has a db member take the first backup at once (none exists yet).
    auto document = nlohmann::json::parse(n1.read_file("/var/lib/pydio-agent/desired-state.json"));
    document["database"]["backup"] = {{"intervalSeconds", 86400}, {"keep", 3}};
    const std::string path = cluster.run_dir() + "/with-backups.json";
    std::ofstream(path) << document.dump(2);
    const auto applied = n1.agentctl({"apply", "--spec", path}, 60s);
    INFO(applied.out << applied.err);
    REQUIRE(applied.succeeded());
    const auto backup_asked = std::chrono::steady_clock::now();
    const bool backed_up =
        pydio::test::eventually([&] { return !listed_backups(db3).empty(); }, 600s);
    if (!backed_up) {
      std::cerr << "db3 backups: " << db3.agentctl({"db", "backups"}).out << "\n";
      print_db_state(dbs);
    }
    const double backup_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - backup_asked).count();
    writing = false;
    if (writer.joinable()) writer.join();
    REQUIRE(backed_up);
    const nlohmann::json backup = listed_backups(db3).front();
    auto parsed = pydio::common::parse_manifest(backup.dump(), backup.value("name", ""));
    INFO(backup.dump());
    REQUIRE(parsed);
    const pydio::common::BackupManifest manifest = *parsed;
    std::cout << "db restore: the agents' backup " << manifest.name << " (" << manifest.bytes
              << " bytes, taken on " << manifest.node << ") was listed " << backup_seconds
              << " s after the change; " << committed.load() << " rows written meanwhile\n";
    REQUIRE(committed.load() > 0);
    const int written_by_then = committed.load();

    WHEN("the data diverges, and an operator restores the backup from db1") {
      REQUIRE(member_sql(db1, "DELETE FROM pydio.restore_probe WHERE id <= 50").succeeded());
      REQUIRE(member_sql(db1, "INSERT INTO pydio.restore_probe VALUES (1001, 'after the backup')")
                  .succeeded());
      REQUIRE(member_sql(db3, "INSERT INTO pydio.restore_writes VALUES (1000000, NOW(6))").succeeded());
      REQUIRE(pydio::test::eventually(
          [&] { return sql_value(db3, "SELECT COUNT(*) FROM pydio.restore_probe") == "151"; },
          60s));

      // Refused, nothing changed: a bad name, a damaged stream, an unconfirmed restore.
      auto bad_name = db1.agentctl({"db", "restore", "../../etc/passwd", "--yes"});
      CHECK_FALSE(bad_name.succeeded());
      CHECK(bad_name.err.find("a backup name is") != std::string::npos);
      {
        pydio::common::BackupManifest damaged = manifest;
        damaged.started_at += 1;
        damaged.name = pydio::common::backup_name(damaged.started_at, manifest.node);
        const std::string base = std::string(kCatalog) + "/" + damaged.name;
        db3.must(
            {"cp", std::string(kCatalog) + "/" + manifest.name + ".xbstream", base + ".xbstream"});
        db3.must({"truncate", "-s", "-1", base + ".xbstream"});
        db3.write_file(base + ".json", pydio::common::manifest_to_json(damaged));
        auto refused = db1.agentctl({"db", "restore", damaged.name, "--yes"}, 600s);
        INFO(refused.out << refused.err);
        CHECK_FALSE(refused.succeeded());
        CHECK(refused.err.find("the backup is damaged or incomplete") != std::string::npos);
        CHECK(refused.err.find("nothing was changed") != std::string::npos);
      }
      auto unconfirmed = db1.agentctl({"db", "restore", manifest.name});
      INFO(unconfirmed.out << unconfirmed.err);
      CHECK_FALSE(unconfirmed.succeeded());
      CHECK(unconfirmed.out.find("hold the MariaDB server of db1 (this node), db2, db3") !=
            std::string::npos);
      CHECK(unconfirmed.err.find("--yes") != std::string::npos);
      CHECK(pydio::test::eventually([&] { return all_primary(dbs); }, 60s));
      CHECK(sql_value(db1, "SELECT COUNT(*) FROM pydio.restore_probe") == "151");
      for (SimNode* db : dbs) CHECK(set_aside_dirs(*db).empty());

      const auto restore_started = std::chrono::steady_clock::now();
      auto restored = db1.agentctl({"db", "restore", manifest.name, "--yes"}, 1200s);
      INFO(restored.out << restored.err);
      REQUIRE(restored.succeeded());
      const double restore_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - restore_started).count();
      CHECK(restored.out.find("started db1 with the restored data as a new Galera cluster") !=
            std::string::npos);

      THEN("every member holds the rows of backup time, Synced in one primary component") {
        const bool back = pydio::test::eventually([&] { return all_primary(dbs); }, 600s);
        if (!back) print_db_state(dbs);
        REQUIRE(back);
        std::cout << "db restore: agentctl db restore took " << restore_seconds
                  << " s; three members Synced "
                  << std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                   restore_started)
                         .count()
                  << " s after it started\n";
        for (SimNode* db : dbs) {
          INFO(db->name());
          const Snapshot now = snapshot(*db);
          CHECK(now.probe_count == at_backup.probe_count);
          CHECK(now.probe_checksum == at_backup.probe_checksum);
          CHECK(sql_value(*db, "SELECT COUNT(*) FROM pydio.restore_probe WHERE id = 1001") == "0");
          // The rows the client wrote during the backup: a prefix without gaps (a consistent
          // snapshot), at most what was committed when the backup ended.
          const std::string rows = sql_value(*db, "SELECT COUNT(*) FROM pydio.restore_writes");
          const std::string top =
              sql_value(*db, "SELECT COALESCE(MAX(seq), 0) FROM pydio.restore_writes");
          CHECK(rows == top);
          CHECK(!rows.empty());
          if (!rows.empty()) CHECK(std::stoi(rows) <= written_by_then);
          // The datadir of before the restore is set aside, not deleted.
          const auto aside = set_aside_dirs(*db);
          CHECK(aside.size() == 1);
          if (!aside.empty()) CHECK(db->file_exists(aside.front() + "/pydio/restore_probe.ibd"));
          CHECK(db->file_absent("/var/lib/pydio-agent/db-hold.json"));
        }
        // The storage nodes elect a leader through the restored tier again.
        CHECK(pydio::test::eventually(
            [&] {
              return !pydio::test::current_leader({&n1, &n2}).empty();
            },
            180s));
        // Writes go on in the restored tier and reach every member.
        REQUIRE(member_sql(db1, "INSERT INTO pydio.restore_probe VALUES (2001, 'after the restore')")
                    .succeeded());
        CHECK(pydio::test::eventually(
            [&] {
              return sql_value(db2, "SELECT COUNT(*) FROM pydio.restore_probe WHERE id = 2001") ==
                     "1";
            },
            60s));

        AND_WHEN("the whole tier is lost and the agents form a new, empty one") {
          for (SimNode* db : dbs) db->stop_agent(SIGTERM);
          for (SimNode* db : dbs) {
            kill_mariadbd(*db);
            // Every datadir emptied, as after the loss of the three machines' disks (the
            // test's own fixed command: the glob needs a shell).
            db->must(
                {"sh", "-c",
                 "mkdir -p /var/lib/lost-datadir && mv /var/lib/mysql/* /var/lib/lost-datadir/"});
          }
          for (SimNode* db : dbs) {
            db->start_agent(5);
            REQUIRE(db->wait_agent_ready());
          }
          const bool fresh = pydio::test::eventually([&] { return all_primary(dbs); }, 300s);
          if (!fresh) print_db_state(dbs);
          REQUIRE(fresh);
          REQUIRE(pydio::test::eventually(
              [&] {
                return sql_value(db2,
                                 "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE "
                                 "SCHEMA_NAME = 'pydio'") == "1";
              },
              120s));
          CHECK(sql_value(db2,
                          "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                          "TABLE_NAME = 'restore_probe'") == "0");

          THEN("the backup restored from db2 brings the rows of backup time back") {
            auto again = db2.agentctl({"db", "restore", manifest.name, "--yes"}, 1200s);
            INFO(again.out << again.err);
            REQUIRE(again.succeeded());
            const bool served = pydio::test::eventually([&] { return all_primary(dbs); }, 600s);
            if (!served) print_db_state(dbs);
            REQUIRE(served);
            for (SimNode* db : dbs) {
              INFO(db->name());
              const Snapshot now = snapshot(*db);
              CHECK(now.probe_count == at_backup.probe_count);
              CHECK(now.probe_checksum == at_backup.probe_checksum);
              CHECK(set_aside_dirs(*db).size() == 2);  // the empty tier's data is kept too
            }
          }
        }
      }
    }
  }
}
