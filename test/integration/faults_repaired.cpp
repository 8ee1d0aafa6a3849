// Story: a converged cluster (n1, n2 storage+compute, db on its own node). Its agents run with
// a timer pass far longer than any wait below, so what repairs the faults is the agent
// noticing them, not its next timer pass. Someone SIGKILLs, by PID, on a storage node that
// does not lead: glusterd, then the brick process of pydio-data, then Apache; and mariadbd
// on the db node. Each comes back with a new PID and works again; each repair has its event.
// The brick comes back through the leader: the storage node tells it, and it runs
// `gluster volume start pydio-data force`. Repair times are printed, never asserted.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/gluster_xml.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio;
using namespace pydio::test;

namespace {

// Longer than every deadline of this scenario: no timer pass can do the repairs.
constexpr int kLongPassInterval = 900;
constexpr auto kRepairDeadline = 180s;

std::optional<int> pid_in(SimNode& node, const std::string& pid_file) {
  common::RunResult read = node.exec({"cat", pid_file}, 10s);
  if (!read.succeeded()) return std::nullopt;
  try {
    return std::stoi(read.out);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool alive(SimNode& node, int pid) {
  return node.exec({"kill", "-0", std::to_string(pid)}, 10s).succeeded();
}

// A live process, other than `old_pid`, named by `pid_file`.
bool replaced(SimNode& node, const std::string& pid_file, int old_pid) {
  auto pid = pid_in(node, pid_file);
  return pid && *pid != old_pid && alive(node, *pid);
}

// The brick of `node` in `volume status pydio-data`, asked on `asker`.
std::optional<common::GlusterProcessStatus> brick_of(SimNode& asker, const SimNode& node) {
  common::RunResult answer =
      asker.exec({"gluster", "--mode=script", "--xml", "volume", "status", "pydio-data"}, 30s);
  if (!answer.succeeded()) return std::nullopt;
  auto status = common::parse_volume_status(answer.out);
  if (!status) return std::nullopt;
  for (const auto& brick : status->bricks)
    if (brick.hostname == node.address()) return brick;
  return std::nullopt;
}

// Kills `pid` in `node` with SIGKILL and returns how long until `repaired` held (polled every
// 100 ms, up to kRepairDeadline); nullopt when it never did.
std::optional<std::chrono::milliseconds> kill_and_time(SimNode& node, int pid,
                                                       const std::function<bool()>& repaired) {
  node.must({"kill", "-KILL", std::to_string(pid)});
  const auto killed_at = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - killed_at < kRepairDeadline) {
    if (repaired()) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - killed_at);
    }
    std::this_thread::sleep_for(100ms);
  }
  return std::nullopt;
}

void report(const std::string& what, const std::optional<std::chrono::milliseconds>& took) {
  std::cout << "repair time " << what << ": "
            << (took ? std::to_string(took->count()) + " ms" : std::string("never")) << "\n";
}

// What an operator would look at when a repair did not come: the agent's view and its log.
void explain(const SimCluster& cluster, SimNode& node) {
  std::cout << "--- " << node.name() << ": agentctl status\n"
            << node.agentctl({"status"}, 30s).out << "--- events\n"
            << node.agentctl({"events", "-n", "30"}, 30s).out << "--- listening\n"
            << node.exec({"ss", "-ltnp"}, 10s).out << "--- agent log: process watch\n";
  // The peers' reachability probes (a connect and a close every 2 s) fill a debug log: the
  // tail shows everything else, and every line of the process watch whatever its age.
  std::istringstream log(agent_log(cluster, node));
  std::vector<std::string> lines;
  for (std::string line; std::getline(log, line);) {
    if (line.find("process watch") != std::string::npos) std::cout << line << "\n";
    if (line.find("TLS handshake with") == std::string::npos) lines.push_back(line);
  }
  std::cout << "--- agent log (tail, without reachability probes)\n";
  for (std::size_t i = lines.size() > 80 ? lines.size() - 80 : 0; i < lines.size(); ++i)
    std::cout << lines[i] << "\n";
  std::cout << "--- processes\n" << node.exec({"ps", "-C", "mariadbd,mysqld,glusterd,glusterfsd,apache2", "-o", "pid,ppid,stat,comm"}, 10s).out;
}

}  // namespace

TEST_CASE("killed glusterd, brick, Apache and mariadbd are back without a timer pass",
          "[integration]") {
  SimCluster cluster;
  TutorialCluster tutorial = bring_up_tutorial_cluster(cluster, DbPlacement::kOwnNode);
  SimNode& n1 = *tutorial.n1;
  SimNode& n2 = *tutorial.n2;
  SimNode& db = *tutorial.db;

  // The agents again, now with a timer pass that never comes during the scenario.
  for (SimNode* node : {&n1, &n2, &db}) {
    node->stop_agent(SIGTERM);
    node->start_agent(kLongPassInterval);
    REQUIRE(node->wait_agent_ready());
  }
  REQUIRE(wait_healthy(n1));
  REQUIRE(wait_healthy(n2));
  std::string leader;
  REQUIRE(eventually([&] { return !(leader = current_leader({&n1, &n2})).empty(); }, 120s));
  SimNode& target = leader == "n1" ? n2 : n1;  // faults on the node that does not lead
  SimNode& lead = leader == "n1" ? n1 : n2;
  REQUIRE(eventually([&] {
    auto brick = brick_of(lead, target);
    return brick && brick->online;
  }));
  std::cout << "brick pid files on " << target.name() << ":\n"
            << target.exec({"find", "/run/gluster/vols", "-name", "*.pid"}).out;

  {  // glusterd
    auto pid = pid_in(target, "/run/glusterd.pid");
    REQUIRE(pid);
    auto took = kill_and_time(target, *pid, [&] {
      return replaced(target, "/run/glusterd.pid", *pid) &&
             target.exec({"gluster", "--mode=script", "pool", "list"}, 10s).succeeded();
    });
    report("glusterd", took);
    if (!took) explain(cluster, target);
    CHECK(took);
    CHECK(eventually([&] { return has_event(target, "process-watch", "glusterd"); }, 30s));
    CHECK(eventually([&] { return has_event(target, "glusterd", "start glusterd"); }, 30s));
  }

  {  // the brick process of pydio-data: restarted by the leader
    REQUIRE(eventually([&] {
      auto brick = brick_of(lead, target);
      return brick && brick->online && brick->pid;
    }));
    const int pid = *brick_of(lead, target)->pid;
    auto took = kill_and_time(target, pid, [&] {
      auto brick = brick_of(target, target);
      return brick && brick->online && brick->pid && *brick->pid != pid;
    });
    report("brick", took);
    if (!took) explain(cluster, target);
    CHECK(took);
    CHECK(eventually([&] { return has_event(target, "process-watch", "brick"); }, 30s));
    CHECK(eventually(
        [&] { return has_event(lead, "volume/pydio-data", "start the offline bricks"); }, 30s));
  }

  {  // Apache
    const std::string pid_file = "/run/apache2/apache2.pid";
    auto pid = pid_in(target, pid_file);
    REQUIRE(pid);
    const std::string check = "http://" + target.address() + "/pydio/check.txt";
    auto took = kill_and_time(target, *pid, [&] {
      return replaced(target, pid_file, *pid) && target.http_get(check).first == 200;
    });
    report("apache", took);
    if (!took) explain(cluster, target);
    CHECK(took);
    CHECK(eventually([&] { return has_event(target, "apache-vhost", "start Apache"); }, 30s));
  }

  {  // mariadbd on the db node
    const std::string pid_file = "/run/mysqld/mysqld.pid";
    auto pid = pid_in(db, pid_file);
    REQUIRE(pid);
    auto took = kill_and_time(db, *pid, [&] {
      return replaced(db, pid_file, *pid) &&
             db.exec({"mariadb", "--socket=/run/mysqld/mysqld.sock", "-e", "SELECT 1"}, 10s)
                 .succeeded();
    });
    report("mariadbd", took);
    if (!took) explain(cluster, db);
    CHECK(took);
    CHECK(eventually([&] { return has_event(db, "db-server", "start mariadb"); }, 30s));
  }

  // Everything back: both storage nodes healthy, the leader still leads.
  CHECK(wait_healthy(n1));
  CHECK(wait_healthy(n2));
}
