// Scenario (issue 10, test 2, the clients' side): Pydio on a compute node keeps writing through
// its local database proxy while a Galera member is SIGKILLed.
// An operator runs three db nodes (db1, db2, db3: a Galera cluster its agents form) and a
// storage+compute node n1. Every member's agent answers GET /health/db 200 once it is synced;
// n1 (no role db) answers 404. n1's agent runs the database proxy on
// 127.0.0.1:<database.proxyPort>, and status says it uses db1, the first member. A client on n1
// writes rows there, one at a time, as Pydio's user, while db1's mariadbd is SIGKILLed: the
// proxy's check of db1's /health/db fails, the client's connection is cut, its writes go on
// through db2 (failed attempts are retried with the same row, a "duplicate" answer meaning the
// lost answer was a commit). db1's agent restarts mariadbd, it rejoins, the proxy goes back to
// it. Every write the client saw committed is on every member afterwards. The failure windows
// (last failed write -> first successful write after it) are printed, not asserted.

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/host/mysql_session.hpp"
#include "test/integration/support/db_scenario.hpp"
#include "test/integration/support/sim_cluster.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
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
constexpr const char* kTable = "`pydio`.`proxy_writes`";

std::int64_t ms_since(Clock::time_point origin, Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - origin).count();
}

// Writes rows 1, 2, 3, ... through the node's 127.0.0.1:<proxy port>, from a thread that
// entered the node's network namespace. A failed write is retried with the same id on a new
// connection; a retry answered "duplicate" was committed the first time (its answer was lost).
class WriteLoop {
 public:
  WriteLoop(std::string netns, std::string password) : netns_(std::move(netns)) {
    endpoint_.host = "127.0.0.1";
    endpoint_.port = kProxyPort;
    endpoint_.user = "pydio";
    endpoint_.password = std::move(password);
    endpoint_.connect_timeout = 3s;
    // A commit may wait for Galera to evict the dead member (its suspect timeout, ~5 s).
    endpoint_.read_timeout = 15s;
    endpoint_.write_timeout = 15s;
  }
  ~WriteLoop() { stop(); }

  void start() {
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::string setup_error() {
    std::lock_guard<std::mutex> lock(mutex_);
    return setup_error_;
  }
  std::int64_t committed_count() const { return committed_.load(); }

  struct Result {
    std::vector<std::int64_t> committed;
    int failed_attempts = 0;
    // Each period of failed writes, as ms since the start.
    struct Window {
      std::int64_t first_failed_started = 0;  // when the first failed attempt was begun
      std::int64_t last_failed = 0;           // when the last failed attempt ended
      std::int64_t first_ok = 0;              // when the next successful write ended
    };
    std::vector<Window> windows;
    // The member behind each new connection (@@hostname: the simulated node's name) when it
    // differs from the previous one, with the time it was first used (ms since the start).
    std::vector<std::pair<std::int64_t, std::string>> members;
    std::vector<std::string> errors;  // the first few
  };
  Result result() {
    std::lock_guard<std::mutex> lock(mutex_);
    return result_;
  }
  Clock::time_point started_at() const { return started_at_; }

 private:
  void run() {
    const int fd = ::open(netns_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      setup_error_ = "setns " + netns_ + " failed";
      if (fd >= 0) ::close(fd);
      return;
    }
    ::close(fd);
    std::unique_ptr<MysqlSession> session;
    std::int64_t next = 1;
    bool failing = false;  // since the last success
    Clock::time_point first_failure_started{};
    Clock::time_point last_failure{};
    while (!stopping_) {
      const auto attempt_started = Clock::now();
      last_error_.clear();
      bool ok = false;
      if (!session) {
        auto connected = MysqlSession::connect(endpoint_);
        auto host =
            connected
                ? (*connected)->query("SELECT @@hostname")
                : pydio::common::Expected<std::vector<pydio::agent::SqlRow>>(connected.status());
        if (host && !host->empty() && host->front().columns.at(0)) {
          session = std::move(*connected);
          std::lock_guard<std::mutex> lock(mutex_);
          if (result_.members.empty() || result_.members.back().second != *host->front().columns[0])
            result_.members.push_back(
                {ms_since(started_at_, Clock::now()), *host->front().columns[0]});
        } else if (!host) {
          last_error_ = host.status().message();
        } else {
          last_error_ = connected.status().message();
        }
      }
      if (session) {
        auto inserted = session->execute(
            "INSERT INTO " + std::string(kTable) + " (id, written_at) VALUES (?, NOW(6))", {next});
        if (inserted) {
          ok = true;
        } else if (inserted.status().message().find("Duplicate entry") != std::string::npos) {
          ok = true;  // the earlier attempt committed; its answer was lost
        } else {
          last_error_ = inserted.status().message();
          session.reset();
        }
      }
      const auto now = Clock::now();
      std::lock_guard<std::mutex> lock(mutex_);
      if (ok) {
        result_.committed.push_back(next);
        ++next;
        committed_ = static_cast<std::int64_t>(result_.committed.size());
        if (failing) {
          result_.windows.push_back({ms_since(started_at_, first_failure_started),
                                     ms_since(started_at_, last_failure),
                                     ms_since(started_at_, now)});
          failing = false;
        }
      } else {
        ++result_.failed_attempts;
        if (!failing) first_failure_started = attempt_started;
        failing = true;
        last_failure = now;
        if (result_.errors.size() < 5) result_.errors.push_back(last_error_);
      }
      if (!ok) std::this_thread::sleep_for(100ms);
    }
  }

  std::string netns_;
  MysqlEndpoint endpoint_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> committed_{0};
  const Clock::time_point started_at_ = Clock::now();
  std::string last_error_;  // run() only
  std::mutex mutex_;
  std::string setup_error_;  // guarded by mutex_
  Result result_;            // guarded by mutex_
  std::thread thread_;
};

std::string db_proxy_note(SimNode& node) {
  auto status = node.status();
  if (!status.is_object() || !status.contains("resources")) return "";
  for (const auto& resource : status["resources"]) {
    if (resource.value("name", "") != "db-proxy") continue;
    return resource["waitingFor"].is_string() ? resource["waitingFor"].get<std::string>() : "";
  }
  return "";
}

}  // namespace

TEST_CASE("writes through a compute node's database proxy survive a Galera member's SIGKILL",
          "[db_proxy][galera][integration]") {
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

  INFO("the three members serve (GET /health/db 200 on each)");
  for (SimNode* db : members) {
    std::pair<int, std::string> last;
    const bool serving = eventually(
        [&] {
          last = n1.http_get("http://" + db->address() + ":8480/health/db");
          return last.first == 200;
        },
        600s);
    INFO(db->name() << ": /health/db " << last.first << " " << last.second);
    REQUIRE(serving);
  }
  INFO("n1 has no role db: 404");
  CHECK(n1.http_get("http://" + n1.address() + ":8480/health/db").first == 404);
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
  INFO("the table the client writes (once the db agents have made Pydio's database)");
  REQUIRE(eventually(
      [&] {
        return member_sql(db1, std::string("CREATE TABLE IF NOT EXISTS ") + kTable +
                            " (id BIGINT PRIMARY KEY, written_at DATETIME(6))")
            .succeeded();
      },
      120s));

  const std::string password =
      secret_of(n1, "dbPassword");
  REQUIRE_FALSE(password.empty());
  WriteLoop writes(netns_path(cluster, n1), password);
  writes.start();
  const bool writing = eventually([&] { return writes.committed_count() >= 50; }, 120s);
  INFO(writes.setup_error());
  for (const auto& error : writes.result().errors) UNSCOPED_INFO("write error: " << error);
  REQUIRE(writing);

  const int pid = std::stoi(db1.read_file("/run/mysqld/mysqld.pid"));
  REQUIRE(pid > 0);
  const auto killed_at = Clock::now();
  db1.must({"kill", "-KILL", std::to_string(pid)});
  const std::int64_t at_kill = writes.committed_count();

  INFO("the writes go on (through db2: db1 is out for its restart and rejoin)");
  CHECK(eventually([&] { return writes.committed_count() >= at_kill + 50; }, 120s));
  INFO("db1's agent restarts mariadbd; it rejoins and serves again");
  CHECK(eventually(
      [&] { return n1.http_get("http://" + db1.address() + ":8480/health/db").first == 200; },
      600s));
  INFO("the proxy goes back to db1 (the sessions still on db2 are cut)");
  CHECK(eventually(
      [&] {
        const auto members = writes.result().members;
        return !members.empty() && members.back().second == "db1" &&
               members.back().first > ms_since(writes.started_at(), killed_at);
      },
      120s));
  const std::int64_t at_rejoin = writes.committed_count();
  CHECK(eventually([&] { return writes.committed_count() >= at_rejoin + 50; }, 120s));
  writes.stop();
  const WriteLoop::Result result = writes.result();
  std::string used;
  for (const auto& [at, member] : result.members)
    used += (used.empty() ? "" : ", ") + member + " from +" + std::to_string(at) + " ms";
  INFO("members behind the proxy: " << used);
  const auto after_kill = [&](const std::string& member) {
    const std::int64_t kill_ms = ms_since(writes.started_at(), killed_at);
    for (const auto& [at, name] : result.members)
      if (at > kill_ms && name == member) return true;
    return false;
  };
  REQUIRE_FALSE(result.members.empty());
  CHECK(result.members.front().second == "db1");
  CHECK(after_kill("db2"));

  INFO("every write the client saw committed is on every member");
  for (SimNode* db : members) {
    auto rows = member_sql(*db, std::string("SET SESSION wsrep_sync_wait = 1; SELECT id FROM ") + kTable);
    REQUIRE(rows.succeeded());
    std::set<std::int64_t> present;
    std::istringstream lines(rows.out);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) present.insert(std::stoll(line));
    std::size_t missing = 0;
    for (auto id : result.committed) missing += present.count(id) == 0 ? 1 : 0;
    INFO(db->name() << ": " << present.size() << " rows");
    CHECK(missing == 0);
  }

  std::cout << "db_proxy_follows: " << result.committed.size() << " writes committed, "
            << result.failed_attempts << " failed attempts (retried); db1 SIGKILLed at +"
            << ms_since(writes.started_at(), killed_at) << " ms; members used: " << used << "\n"
            << "  n1's db-proxy: " << db_proxy_note(n1) << "\n";
  for (const auto& window : result.windows)
    std::cout << "  failure window: last failed write +" << window.last_failed
              << " ms -> first successful write +" << window.first_ok
              << " ms: " << (window.first_ok - window.last_failed)
              << " ms; writes unanswered from +" << window.first_failed_started
              << " ms: " << (window.first_ok - window.first_failed_started) << " ms\n";
  for (const auto& error : result.errors) std::cout << "  error: " << error << "\n";
}
