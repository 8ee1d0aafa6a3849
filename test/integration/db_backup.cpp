// Scenario (issue 10, test 5, the backup half; the restore half is db_restore.cpp): scheduled
// backups of a Galera tier while a client writes through a compute node's database proxy.
// Three db nodes (db1, db2, db3) and a storage+compute node n1. A client on n1 writes one row
// at a time through 127.0.0.1:<proxyPort> (db1 behind it) and the latency of every write is
// kept. After a baseline, the operator applies database.backup with an off-site hook: the
// leader (n1) asks the last serving member with the data volume mounted, never db1, which takes
// the writes (db3, unless its mount, which the same change adds, came up after db2's: that order
// is the unit tests'), which streams mariadb-backup into /mnt/pydio-data/pydio-agent/db-backups.
// Then: `agentctl db backups` lists it on n1 and on a db node; its sha256 and size match the
// manifest; the hook ran with its paths on that member (it copied the stream to its /srv/offsite);
// status carries no backup warning; the web user cannot read the folder nor move it. Printed, not
// asserted: the backup's duration and size, and the p50/p99 write latency before and during the
// backup.

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "agent/host/mysql_session.hpp"
#include "common/utc_time.hpp"
#include "test/integration/support/balancer.hpp"
#include "test/integration/support/db_scenario.hpp"
#include "test/integration/support/sim_cluster.hpp"

using namespace std::chrono_literals;
using pydio::agent::MysqlEndpoint;
using pydio::agent::MysqlSession;
using pydio::test::eventually;
using pydio::test::member_sql;
using pydio::test::netns_path;
using pydio::test::secret_of;
using pydio::test::SimCluster;
using pydio::test::SimNode;

namespace {

constexpr int kProxyPort = 3307;
constexpr const char* kHook = "/etc/pydio-agent/offsite-hook";
constexpr const char* kFolder = "/mnt/pydio-data/pydio-agent/db-backups";

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One row per write through the node's proxy, from a thread inside the node's network
// namespace; each write's wall-clock end time and latency are kept (failed ones too, retried
// on a new connection).
class LatencyLoop {
 public:
  struct Sample {
    double at = 0;        // seconds since the epoch, when the write ended
    double millis = 0;    // how long it took
    bool ok = false;
  };

  LatencyLoop(std::string netns, std::string password) : netns_(std::move(netns)) {
    endpoint_.host = "127.0.0.1";
    endpoint_.port = kProxyPort;
    endpoint_.user = "pydio";
    endpoint_.password = std::move(password);
    endpoint_.read_timeout = 15s;
    endpoint_.write_timeout = 15s;
  }
  ~LatencyLoop() { stop(); }
  void start() {
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<Sample> samples() {
    std::lock_guard<std::mutex> lock(mutex_);
    return samples_;
  }
  std::size_t committed() const { return committed_.load(); }
  std::string error() {
    std::lock_guard<std::mutex> lock(mutex_);
    return error_;
  }

 private:
  void run() {
    const int fd = ::open(netns_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = "setns " + netns_ + " failed";
      if (fd >= 0) ::close(fd);
      return;
    }
    ::close(fd);
    std::unique_ptr<MysqlSession> session;
    std::int64_t next = 1;
    while (!stopping_) {
      const auto begun = std::chrono::steady_clock::now();
      bool ok = false;
      if (!session) {
        auto connected = MysqlSession::connect(endpoint_);
        if (connected) session = std::move(*connected);
      }
      if (session) {
        auto done = session->execute("INSERT INTO `pydio`.`timed_writes` VALUES (?, NOW(6))",
                                     {pydio::agent::SqlValue(next)});
        ok = done.has_value();
        if (!ok) {
          std::lock_guard<std::mutex> lock(mutex_);
          error_ = done.status().message();
          session.reset();
        }
      }
      const double millis =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begun)
              .count();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        samples_.push_back({now_seconds(), millis, ok});
      }
      if (ok) {
        ++next;
        ++committed_;
      } else {
        std::this_thread::sleep_for(200ms);
      }
      std::this_thread::sleep_for(20ms);
    }
  }

  std::string netns_;
  MysqlEndpoint endpoint_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> committed_{0};
  std::mutex mutex_;
  std::vector<Sample> samples_;  // guarded by mutex_
  std::string error_;            // guarded by mutex_
  std::thread thread_;
};

struct Percentiles {
  std::size_t count = 0;
  std::size_t failed = 0;
  double p50 = 0;
  double p99 = 0;
  double max = 0;
};

Percentiles percentiles(const std::vector<LatencyLoop::Sample>& samples, double from, double to) {
  std::vector<double> millis;
  Percentiles out;
  for (const auto& s : samples) {
    if (s.at < from || s.at >= to) continue;
    if (!s.ok) ++out.failed;
    millis.push_back(s.millis);
  }
  out.count = millis.size();
  if (millis.empty()) return out;
  std::sort(millis.begin(), millis.end());
  const auto at = [&](double q) {
    return millis[std::min(millis.size() - 1, static_cast<std::size_t>(q * millis.size()))];
  };
  out.p50 = at(0.50);
  out.p99 = at(0.99);
  out.max = millis.back();
  return out;
}

nlohmann::json backups_on(SimNode& node) {
  auto listed = node.agentctl({"db", "backups", "-o", "json"}, 60s);
  if (!listed.succeeded()) return nullptr;
  return nlohmann::json::parse(listed.out, nullptr, false);
}

std::string text_of(const nlohmann::json& lines) {
  std::string out;
  for (const auto& line : lines) out += line.get<std::string>() + "\n";
  return out;
}

}  // namespace

TEST_CASE("a scheduled backup of the Galera tier is streamed to the data volume while writes go on",
          "[db_backup][galera][integration]") {
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
  spec["database"]["proxyPort"] = kProxyPort;
  for (SimNode* node : {&n1, &db1, &db2, &db3}) {
    node->start_agent();
    REQUIRE(node->wait_agent_ready());
  }
  const std::string token = pydio::test::init_cluster(cluster, n1, spec);
  for (SimNode* db : members) pydio::test::join_cluster(*db, n1, token);
  for (SimNode* db : members) {
    INFO(db->name() << " serves");
    REQUIRE(eventually(
        [&] { return n1.http_get("http://" + db->address() + ":8480/health/db").first == 200; },
        600s));
  }
  INFO("a table the client writes, and some ballast so the backup takes a while");
  REQUIRE(eventually(
      [&] {
        return member_sql(db1, "CREATE TABLE IF NOT EXISTS `pydio`.`timed_writes` (id BIGINT PRIMARY KEY, "
                        "written_at DATETIME(6))")
            .succeeded();
      },
      300s));
  REQUIRE(member_sql(db1, "CREATE TABLE `pydio`.`ballast` (id INT PRIMARY KEY, pad CHAR(255))").succeeded());
  for (int chunk = 0; chunk < 4; ++chunk) {
    const std::string from = std::to_string(chunk * 25000 + 1);
    const std::string to = std::to_string((chunk + 1) * 25000);
    // A recursive CTE, not the sequence engine: Galera replicates InnoDB tables only.
    const auto filled =
        member_sql(db1, "SET SESSION max_recursive_iterations = 100000; INSERT INTO `pydio`.`ballast` WITH RECURSIVE s(n) AS (SELECT " + from +
                     " UNION ALL SELECT n + 1 FROM s WHERE n < " + to +
                     ") SELECT n, REPEAT('x', 255) FROM s");
    INFO(filled.describe_failure({"mariadb"}));
    REQUIRE(filled.succeeded());
  }

  INFO("the off-site hook on every db node: root's, copies the stream it is given");
  for (SimNode* db : members) {
    db->write_file(kHook, "#!/bin/sh\nset -e\nmkdir -p /srv/offsite\ncp \"$1\" \"$2\" /srv/offsite/\n");
    db->must({"chmod", "0700", kHook});
  }

  const std::string password =
      secret_of(n1, "dbPassword");
  REQUIRE_FALSE(password.empty());
  LatencyLoop writes(netns_path(cluster, n1), password);
  writes.start();
  REQUIRE(eventually([&] { return writes.committed() >= 50; }, 120s));
  const double baseline_from = now_seconds();
  std::this_thread::sleep_for(20s);
  const double baseline_to = now_seconds();

  INFO("the operator turns backups on");
  nlohmann::json with_backup = spec;
  with_backup["database"]["backup"] = {{"intervalSeconds", 3600}, {"keep", 3}, {"offsiteHook", kHook}};
  const auto applied = pydio::test::apply_spec(cluster, n1, with_backup);
  INFO(applied.out << applied.err);
  REQUIRE(applied.succeeded());

  INFO("a backup appears in the folder, listed on n1 (compute) and on db1");
  nlohmann::json listing;
  const bool listed = eventually(
      [&] {
        listing = backups_on(n1);
        return listing.is_object() && !listing["backups"].empty();
      },
      600s);
  INFO("n1's listing: " << listing.dump() << "\ndb3 status: " << db3.status().dump());
  REQUIRE(listed);
  const std::size_t after_backup = writes.committed();
  REQUIRE(eventually([&] { return writes.committed() >= after_backup + 50; }, 120s));
  writes.stop();
  const nlohmann::json backup = listing["backups"][0];
  const std::string name = backup["name"];
  const auto taker = std::find_if(members.begin(), members.end(),
                                  [&](const SimNode* db) { return backup["node"] == db->name(); });
  REQUIRE(taker != members.end());
  SimNode& took = **taker;
  CHECK(took.name() != "db1");  // where the writes go
  CHECK(listing["problems"].empty());
  const nlohmann::json on_db1 = backups_on(db1);
  REQUIRE(on_db1.is_object());
  CHECK(on_db1["backups"] == listing["backups"]);

  INFO("the stream's size and sha256 are the manifest's");
  const std::string stream = std::string(kFolder) + "/" + name + ".xbstream";
  const std::string sum = n1.must({"sha256sum", stream}, 120s);
  CHECK("sha256:" + sum.substr(0, 64) == backup["sha256"].get<std::string>());
  CHECK(std::stoll(n1.must({"stat", "-c", "%s", stream})) == backup["bytes"].get<long long>());
  CHECK(n1.must({"stat", "-c", "%U %a", kFolder}) == "root 700\n");

  INFO("the hook ran on " << took.name() << " with the stream and its manifest");
  CHECK(eventually([&] { return took.file_exists("/srv/offsite/" + name + ".json"); }, 120s));
  const std::string copied = took.must({"sha256sum", "/srv/offsite/" + name + ".xbstream"}, 120s);
  CHECK(copied.substr(0, 64) == sum.substr(0, 64));

  INFO("status: no backup warning, a note naming it");
  nlohmann::json status;
  const bool noted = eventually(
      [&] {
        status = pydio::test::cluster_status(n1);
        return status.is_object() && status["cluster"]["backup"].is_object() &&
               status["cluster"]["backup"]["newest"] == name;
      },
      180s);
  INFO(status.dump());
  REQUIRE(noted);
  CHECK(text_of(status["cluster"]["warnings"]).find("backup") == std::string::npos);
  CHECK(text_of(status["cluster"]["notes"]).find("database backup " + name) != std::string::npos);

  INFO("the web user on n1 can neither read the folder nor move it away");
  const std::vector<std::string> attacks = {
      "ls " + std::string(kFolder), "cat " + stream + " > /dev/null",
      "mv /mnt/pydio-data/pydio-agent /mnt/pydio-data/moved",
      "mv " + std::string(kFolder) + " /mnt/pydio-data/moved"};
  for (const std::string& command : attacks) {
    const auto attempt = n1.exec({"su", "-s", "/bin/sh", "www-data", "-c", command});
    INFO(command << ": " << attempt.err);
    CHECK_FALSE(attempt.succeeded());
  }
  CHECK(n1.file_exists(stream));

  const auto manifest = nlohmann::json::parse(n1.read_file(std::string(kFolder) + "/" + name + ".json"));
  const double started = static_cast<double>(*pydio::common::parse_utc(manifest["startedAt"]));
  const double finished = static_cast<double>(*pydio::common::parse_utc(manifest["finishedAt"]));
  const auto samples = writes.samples();
  const Percentiles before = percentiles(samples, baseline_from, baseline_to);
  const Percentiles during = percentiles(samples, started, finished + 1);
  std::cout << "db_backup: backup " << name << " on " << took.name() << ": " << backup["bytes"] << " bytes in about "
            << (finished - started) << " s (manifest times, whole seconds)\n"
            << "  writes before: " << before.count << " (failed " << before.failed << "), p50 "
            << before.p50 << " ms, p99 " << before.p99 << " ms, max " << before.max << " ms\n"
            << "  writes during: " << during.count << " (failed " << during.failed << "), p50 "
            << during.p50 << " ms, p99 " << during.p99 << " ms, max " << during.max << " ms\n";
  CHECK(during.count > 0);
  CHECK(during.failed == 0);
}
