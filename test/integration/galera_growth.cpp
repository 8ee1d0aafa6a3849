// Scenario (issue 10: "a running one-db cluster grows to three without downtime for Pydio
// beyond one short switch"): the procedure of docs/operations.md, "Growing from one db node to
// three", on a running tutorial cluster.
// An operator runs n1 and n2 (storage+compute, Pydio wired) and one db node, db1; Pydio's
// rows are in db1's database. A client on each compute node writes a numbered row every
// ~100 ms the way Pydio does: each write reads Pydio's database settings (bootstrap.json on the
// pydio-config volume, which the agents render) and opens a new connection to the address they
// name, as each PHP request does. The operator adds db2 and db3 with role db to the spec, drops
// database.host, `agentctl apply`s it and joins the two new machines. The agents point Pydio at
// the compute nodes' local database proxies, restart db1 once as the first member of a new
// Galera cluster with its data, and db2 and db3 join it by a state transfer. Afterwards the
// three members are Synced in one primary component, bootstrap.json names the proxy, every row
// the clients saw committed and every row from before is on all three. The clients' failure
// windows (first failed write -> first successful one after it) and the failed attempts are
// printed, not asserted.

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
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
using pydio::test::holder_pid;
using pydio::test::member_primary;
using pydio::test::member_sql;
using pydio::test::SimCluster;
using pydio::test::SimNode;

namespace {

constexpr const char* kBootstrap = "/mnt/pydio-config/appdata/plugins/boot.conf/bootstrap.json";
constexpr const char* kWrites = "`pydio`.`growth_writes`";
constexpr const char* kOldRows = "`pydio`.`growth_old_rows`";
constexpr int kOldRowCount = 200;

std::int64_t ms_since(Clock::time_point origin, Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - origin).count();
}

// What Pydio reads from bootstrap.json to reach its database.
struct PydioDatabase {
  MysqlEndpoint endpoint;
  std::string error;  // why it could not be read; "" when read
};

PydioDatabase read_pydio_database(const std::string& bootstrap_path) {
  PydioDatabase out;
  std::ifstream in(bootstrap_path);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = nlohmann::json::parse(text.str(), nullptr, false);
  if (!in || parsed.is_discarded() || !parsed.contains("core.conf") ||
      !parsed["core.conf"].contains("DIBI_PRECONFIGURATION")) {
    out.error = "bootstrap.json unreadable or without DIBI_PRECONFIGURATION";
    return out;
  }
  const auto& dibi = parsed["core.conf"]["DIBI_PRECONFIGURATION"];
  out.endpoint.host = dibi.value("mysql_host", "");
  out.endpoint.port = dibi.value("mysql_port", 3306);  // Pydio's default when absent
  out.endpoint.user = dibi.value("mysql_username", "");
  out.endpoint.password = dibi.value("mysql_password", "");
  out.endpoint.connect_timeout = 3s;
  // A commit may wait for Galera (a member joining, a state transfer's donor).
  out.endpoint.read_timeout = 15s;
  out.endpoint.write_timeout = 15s;
  return out;
}

std::string address_of(const MysqlEndpoint& endpoint) {
  return endpoint.host + ":" + std::to_string(endpoint.port);
}

// Writes rows 1, 2, 3, ... of client `client`, one every ~100 ms, from a thread in the compute
// node's network namespace, as Pydio would: every write reads bootstrap.json and opens a new
// connection to the address it names. A failed write is retried with the same id; "duplicate"
// means the earlier attempt committed (its answer was lost).
class PydioClient {
 public:
  PydioClient(std::string client, int holder) : client_(std::move(client)), holder_(holder) {}
  ~PydioClient() { stop(); }

  void start() {
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::int64_t committed_count() const { return committed_.load(); }

  struct Window {
    std::int64_t first_failed_started = 0;  // ms since the start
    std::int64_t first_ok = 0;              // when the next successful write ended
    int failed_attempts = 0;
  };
  struct Result {
    std::string setup_error;
    std::vector<std::int64_t> committed;
    int failed_attempts = 0;
    // The longest successful write (settings read, connect, insert) and when it began: a write
    // the proxy held (a member restarting) or Galera stalled (an rsync donor) takes long.
    std::int64_t longest_ok_ms = 0;
    std::int64_t longest_ok_at = 0;
    std::vector<Window> windows;
    // Each address Pydio's settings named, with when it was first used (ms since the start).
    std::vector<std::pair<std::int64_t, std::string>> addresses;
    std::vector<std::string> errors;  // the first few of each window
  };
  Result result() {
    std::lock_guard<std::mutex> lock(mutex_);
    return result_;
  }
  const std::string& client() const { return client_; }
  std::int64_t ms_since_start(Clock::time_point t) const { return ms_since(started_at_, t); }

 private:
  void run() {
    const std::string netns = "/proc/" + std::to_string(holder_) + "/ns/net";
    const std::string bootstrap = "/proc/" + std::to_string(holder_) + "/root" + kBootstrap;
    const int fd = ::open(netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      result_.setup_error = "setns " + netns + " failed";
      if (fd >= 0) ::close(fd);
      return;
    }
    ::close(fd);
    std::int64_t next = 1;
    std::optional<Window> failing;
    while (!stopping_) {
      const auto attempt_started = Clock::now();
      std::string error;
      bool ok = false;
      const PydioDatabase database = read_pydio_database(bootstrap);
      if (!database.error.empty()) {
        error = database.error;
      } else {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          const std::string address = address_of(database.endpoint);
          if (result_.addresses.empty() || result_.addresses.back().second != address)
            result_.addresses.push_back({ms_since(started_at_, attempt_started), address});
        }
        auto session = MysqlSession::connect(database.endpoint);
        if (!session) {
          error = session.status().message();
        } else {
          auto inserted = (*session)->execute(
              "INSERT INTO " + std::string(kWrites) +
                  " (client, id, written_at, member) VALUES (?, ?, NOW(6), @@hostname)",
              {client_, next});
          if (inserted ||
              inserted.status().message().find("Duplicate entry") != std::string::npos) {
            ok = true;
          } else {
            error = inserted.status().message();
          }
        }
      }
      const auto now = Clock::now();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (ok) {
          const std::int64_t took = ms_since(attempt_started, now);
          if (took > result_.longest_ok_ms) {
            result_.longest_ok_ms = took;
            result_.longest_ok_at = ms_since(started_at_, attempt_started);
          }
          result_.committed.push_back(next++);
          committed_ = static_cast<std::int64_t>(result_.committed.size());
          if (failing) {
            failing->first_ok = ms_since(started_at_, now);
            result_.windows.push_back(*failing);
            failing.reset();
          }
        } else {
          ++result_.failed_attempts;
          if (!failing) failing = Window{ms_since(started_at_, attempt_started), 0, 0};
          if (failing->failed_attempts++ < 3) result_.errors.push_back(error);
        }
      }
      std::this_thread::sleep_for(100ms);
    }
  }

  const std::string client_;
  const int holder_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> committed_{0};
  const Clock::time_point started_at_ = Clock::now();
  std::mutex mutex_;
  Result result_;  // guarded by mutex_
  std::thread thread_;
};

nlohmann::json database_of(SimNode& node) {
  nlohmann::json status = node.status();
  if (!status.is_object() || !status.contains("database")) return nullptr;
  return status["database"];
}

std::string waiting_of(SimNode& node, const std::string& resource_name) {
  nlohmann::json status = node.status();
  if (!status.is_object()) return "";
  for (const auto& resource : status.value("resources", nlohmann::json::array()))
    if (resource.value("name", "") == resource_name && resource["waitingFor"].is_string())
      return resource["waitingFor"].get<std::string>();
  return "";
}

std::string pydio_address_on(SimNode& node) {
  auto parsed = nlohmann::json::parse(node.read_file(kBootstrap), nullptr, false);
  if (parsed.is_discarded() || !parsed.contains("core.conf")) return "";
  const auto& dibi = parsed["core.conf"].value("DIBI_PRECONFIGURATION", nlohmann::json::object());
  return dibi.value("mysql_host", "") + ":" + std::to_string(dibi.value("mysql_port", 3306));
}

// Every (client, id) a member holds, read after the member caught up (wsrep_sync_wait).
std::set<std::pair<std::string, std::int64_t>> rows_on(SimNode& db, const std::string& table) {
  auto rows = member_sql(db, "SET SESSION wsrep_sync_wait = 1; SELECT client, id FROM " + table);
  INFO(db.name() << ": " << rows.err);
  REQUIRE(rows.succeeded());
  std::set<std::pair<std::string, std::int64_t>> present;
  std::istringstream lines(rows.out);
  for (std::string line; std::getline(lines, line);) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos)
      present.insert({line.substr(0, tab), std::stoll(line.substr(tab + 1))});
  }
  return present;
}

}  // namespace

TEST_CASE("a running one-db cluster grows to a three-member Galera tier while Pydio writes",
          "[galera][growth][integration]") {
  SimCluster cluster;
  SimNode& n1 = cluster.add_node("n1", 1);
  SimNode& n2 = cluster.add_node("n2", 2);
  SimNode& db1 = cluster.add_node("db1", 3);
  const std::string disk1 = n1.create_loop_device(400);
  const std::string disk2 = n2.create_loop_device(400);
  for (SimNode* node : {&n1, &n2, &db1}) {
    node->start_agent(5);
    REQUIRE(node->wait_agent_ready());
  }
  const std::vector<pydio::test::SpecNode> tutorial = {{&n1, {"storage", "compute"}, disk1},
                                                       {&n2, {"storage", "compute"}, disk2},
                                                       {&db1, {"db"}, ""}};
  const std::string token =
      pydio::test::init_cluster(cluster, n1, pydio::test::cluster_spec(tutorial, 2));
  pydio::test::join_cluster(db1, n1, token);
  pydio::test::join_cluster(n2, n1, token);
  REQUIRE(pydio::test::wait_healthy(n1));
  REQUIRE(pydio::test::wait_healthy(n2));

  INFO("Pydio's settings name the one db node");
  std::string wired;
  const bool wired_to_db1 =
      eventually([&] { return (wired = pydio_address_on(n2)) == db1.address() + ":3306"; }, 300s);
  INFO("bootstrap.json: " << wired);
  REQUIRE(wired_to_db1);

  INFO("Pydio's rows, written through a compute node's database address");
  const int holder1 = holder_pid(cluster, n1);
  const int holder2 = holder_pid(cluster, n2);
  REQUIRE(eventually(
      [&] {
        return member_sql(db1, std::string("CREATE TABLE IF NOT EXISTS ") + kWrites +
                            " (client VARCHAR(8), id BIGINT, written_at DATETIME(6), member "
                            "VARCHAR(64), PRIMARY KEY (client, id)); CREATE TABLE IF NOT "
                            "EXISTS " +
                            kOldRows + " (client VARCHAR(8), id BIGINT, PRIMARY KEY (client, id))")
            .succeeded();
      },
      120s));
  {
    const PydioDatabase database =
        read_pydio_database("/proc/" + std::to_string(holder1) + "/root" + kBootstrap);
    INFO(database.error);
    REQUIRE(database.error.empty());
    std::string inserted_error;
    std::thread writer([&] {
      const int fd =
          ::open(("/proc/" + std::to_string(holder1) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
        inserted_error = "setns failed";
        if (fd >= 0) ::close(fd);
        return;
      }
      ::close(fd);
      auto session = MysqlSession::connect(database.endpoint);
      if (!session) {
        inserted_error = session.status().message();
        return;
      }
      for (int id = 1; id <= kOldRowCount && inserted_error.empty(); ++id) {
        auto inserted = (*session)->execute(
            "INSERT INTO " + std::string(kOldRows) + " (client, id) VALUES ('old', ?)",
            {static_cast<std::int64_t>(id)});
        if (!inserted) inserted_error = inserted.status().message();
      }
    });
    writer.join();
    INFO(inserted_error);
    REQUIRE(inserted_error.empty());
  }

  PydioClient on_n1("n1", holder1);
  PydioClient on_n2("n2", holder2);
  on_n1.start();
  on_n2.start();
  const bool writing = eventually(
      [&] { return on_n1.committed_count() >= 30 && on_n2.committed_count() >= 30; }, 120s);
  for (PydioClient* client : {&on_n1, &on_n2}) {
    const auto result = client->result();
    UNSCOPED_INFO(client->client() << ": " << result.setup_error);
    for (const auto& error : result.errors) UNSCOPED_INFO("  write error: " << error);
  }
  REQUIRE(writing);

  INFO("the operator adds db2 and db3 to the spec (no database.host) and applies it");
  SimNode& db2 = cluster.add_node("db2", 4);
  SimNode& db3 = cluster.add_node("db3", 5);
  for (SimNode* node : {&db2, &db3}) {
    node->start_agent(5);
    REQUIRE(node->wait_agent_ready());
  }
  std::vector<pydio::test::SpecNode> grown = tutorial;
  grown.push_back({&db2, {"db"}, ""});
  grown.push_back({&db3, {"db"}, ""});
  const nlohmann::json spec =
      pydio::test::cluster_spec(grown, 2, 0, static_cast<int>(pydio::test::generation_of(n1)));
  REQUIRE_FALSE(spec["database"].contains("host"));
  const std::string path = cluster.run_dir() + "/grown-spec.json";
  std::ofstream(path) << spec.dump(2);
  const std::string leader_at_apply = pydio::test::current_leader({&n1, &n2});
  const auto applied_at = Clock::now();
  const auto applied = n1.agentctl({"apply", "--spec", path});
  INFO(applied.out << applied.err);
  REQUIRE(applied.succeeded());
  const std::string new_token = pydio::test::create_join_token(n1);
  const auto joined = pydio::test::join_in_parallel({&db2, &db3}, n1, new_token);
  for (const auto& result : joined) {
    INFO(result.out << result.err);
    REQUIRE(result.succeeded());
  }

  INFO("the three form one primary component and Pydio's settings name the local proxy");
  const std::vector<SimNode*> members = {&db1, &db2, &db3};
  const bool formed = eventually(
      [&] {
        for (SimNode* db : members)
          if (!member_primary(*db, 3)) return false;
        return pydio_address_on(n1) == "127.0.0.1:3307";
      },
      600s);
  const double formed_after = std::chrono::duration<double>(Clock::now() - applied_at).count();
  if (!formed) {
    for (SimNode* db : members)
      std::cerr << db->name() << " db-server: " << waiting_of(*db, "db-server") << "\n"
                << "  database: " << database_of(*db).dump() << "\n";
    std::cerr << "bootstrap.json names " << pydio_address_on(n1) << "\n";
  }
  REQUIRE(formed);
  // Only db1, which held the data, started the cluster; db2 and db3 joined it.
  CHECK(pydio::test::count_events(db1, "db-server", "restart mariadb as the first member") == 1);
  CHECK(pydio::test::count_events(db2, "db-server", "bootstrap the Galera cluster") == 0);
  CHECK(pydio::test::count_events(db3, "db-server", "bootstrap the Galera cluster") == 0);

  INFO("the clients go on writing through the proxies");
  const std::int64_t at_formed1 = on_n1.committed_count();
  const std::int64_t at_formed2 = on_n2.committed_count();
  CHECK(eventually(
      [&] {
        return on_n1.committed_count() >= at_formed1 + 30 &&
               on_n2.committed_count() >= at_formed2 + 30;
      },
      180s));
  on_n1.stop();
  on_n2.stop();
  const auto result1 = on_n1.result();
  const auto result2 = on_n2.result();

  INFO("every write the clients saw committed, and every old row, is on every member");
  for (SimNode* db : members) {
    const auto present = rows_on(*db, kWrites);
    for (const auto* result : {&result1, &result2}) {
      const std::string client = result == &result1 ? "n1" : "n2";
      std::size_t missing = 0;
      for (auto id : result->committed) missing += present.count({client, id}) == 0 ? 1 : 0;
      INFO(db->name() << ": client " << client << ": " << result->committed.size() << " committed, "
                      << missing << " missing");
      CHECK(missing == 0);
    }
    const auto old_rows = rows_on(*db, kOldRows);
    INFO(db->name() << ": old rows");
    CHECK(old_rows.size() == static_cast<std::size_t>(kOldRowCount));
  }
  INFO("each client ended on the proxy");
  for (const auto* result : {&result1, &result2}) {
    REQUIRE_FALSE(result->addresses.empty());
    CHECK(result->addresses.front().second == db1.address() + ":3306");
    CHECK(result->addresses.back().second == "127.0.0.1:3307");
  }

  const auto per_member = member_sql(db1, std::string("SELECT client, member, MIN(id), MAX(id), "
                                               "COUNT(*) FROM ") +
                                       kWrites + " GROUP BY client, member ORDER BY client, 3");
  std::cout << "galera_growth: three members Synced and Pydio on the proxy " << formed_after
            << " s after `agentctl apply` (leader then: " << leader_at_apply << ")\n"
            << "  rows per client and member (client, member, first id, last id, count):\n"
            << per_member.out;
  // Which member gave each joiner its copy (every member logs Galera's choice).
  const auto donors = db1.exec({"grep", "-h", "as donor", "/var/lib/mysql/pydio-mariadb.err"});
  std::cout << "  state transfers (db1's error log):\n" << donors.out;
  for (const auto* result : {&result1, &result2}) {
    const std::string client = result == &result1 ? "n1" : "n2";
    const PydioClient& writer = result == &result1 ? on_n1 : on_n2;
    std::cout << "  client on " << client << ": " << result->committed.size()
              << " writes committed, " << result->failed_attempts
              << " failed attempts; `agentctl apply` at +" << writer.ms_since_start(applied_at)
              << " ms; longest successful write " << result->longest_ok_ms << " ms (from +"
              << result->longest_ok_at << " ms)\n";
    for (const auto& [at, address] : result->addresses)
      std::cout << "    from +" << at << " ms Pydio's settings name " << address << "\n";
    for (const auto& window : result->windows)
      std::cout << "    failure window: first failed write +" << window.first_failed_started
                << " ms -> first successful write +" << window.first_ok
                << " ms: " << (window.first_ok - window.first_failed_started) << " ms, "
                << window.failed_attempts << " failed attempts\n";
    for (const auto& error : result->errors) std::cout << "    error: " << error << "\n";
  }
}
