// Story: Pydio runs from a published release on two compute nodes behind the lb node while
// users work. The operator publishes release 2: the leader rolls it out one node at a time —
// drain (HAProxy lets the node's users finish), switch, check, undrain — so the balancer always
// has a node up and no user request fails. Then a broken release 3 (a PHP parse error) is
// published: the first node's check fails, it switches back by itself, the rollout stops with
// the reason, and the second node is never touched. Prints the time each node took.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "support/pydio_fixture.hpp"
#include "support/release_cluster.hpp"

using namespace pydio::test;
using Clock = std::chrono::steady_clock;

namespace {

// Samples the balancer while a rollout runs: the fewest servers UP (not draining) it saw, and
// each server's states.
class BalancerWatch {
 public:
  explicit BalancerWatch(const BalancedCluster& web) : web_(web) {
    thread_ = std::thread([this] {
      while (!stop_) {
        auto states = server_states(web_);
        if (!states.empty()) {
          int up = 0;
          for (const auto& [name, state] : states) {
            up += state == "UP";
            std::lock_guard<std::mutex> lock(mutex_);
            seen_[name].insert(state);
          }
          min_up_ = std::min(min_up_.load(), up);
          ++samples_;
        }
        std::this_thread::sleep_for(500ms);
      }
    });
  }
  ~BalancerWatch() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int min_up() const { return min_up_; }
  int samples() const { return samples_; }
  std::set<std::string> seen(const std::string& server) {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_[server];
  }

 private:
  const BalancedCluster& web_;
  std::atomic<bool> stop_{false};
  std::atomic<int> min_up_{1000};
  std::atomic<int> samples_{0};
  std::mutex mutex_;
  std::map<std::string, std::set<std::string>> seen_;  // guarded by mutex_
  std::thread thread_;
};

struct Step {
  double at;  // seconds since the publish
  std::string what;
};

// Follows web.rollout in n1's copy of the desired state until `done` says so; every change of
// node/phase/stopped is one step.
std::vector<Step> follow_rollout(SimNode& node,
                                 const std::function<bool(const nlohmann::json&)>& done,
                                 std::chrono::seconds deadline) {
  std::vector<Step> steps;
  const auto start = Clock::now();
  std::string last;
  while (Clock::now() - start < deadline) {
    const nlohmann::json desired = desired_document(node);
    if (desired.is_object()) {
      const nlohmann::json web = desired.value("web", nlohmann::json::object());
      std::string now = "no rollout";
      if (web.contains("rollout")) {
        const auto& rollout = web["rollout"];
        now = "node " + rollout.value("node", "-") + " " + rollout.value("phase", "-") + " done " +
              rollout.value("done", nlohmann::json::array()).dump() +
              (rollout.contains("stopped") ? " stopped: " + rollout.value("stopped", "") : "");
      }
      if (now != last) {
        steps.push_back({std::chrono::duration<double>(Clock::now() - start).count(), now});
        last = now;
      }
      if (done(web)) return steps;
    }
    std::this_thread::sleep_for(500ms);
  }
  steps.push_back({std::chrono::duration<double>(Clock::now() - start).count(), "deadline"});
  return steps;
}

void print_steps(const std::string& title, const std::vector<Step>& steps) {
  std::cout << title << "\n";
  for (const auto& step : steps) std::cout << "  +" << step.at << " s  " << step.what << "\n";
}

// Seconds from the step where `node` starts draining to the first step that lists it done.
double node_time(const std::vector<Step>& steps, const std::string& node) {
  double from = -1;
  for (const auto& step : steps) {
    if (from < 0 && step.what.rfind("node " + node + " draining", 0) == 0) from = step.at;
    if (from >= 0 && step.what.find("\"" + node + "\"") != std::string::npos) return step.at - from;
  }
  return -1;
}

}  // namespace

TEST_CASE("a release rolls out one node at a time without a failed request; a broken one stops",
          "[integration]") {
  SimCluster cluster;
  BalancedCluster web = bring_up_balanced_cluster(cluster);
  const std::string v1 = build_pydio_fixture(cluster.run_dir(), FixtureVariant::kV1);
  const std::string v2 = build_pydio_fixture(cluster.run_dir(), FixtureVariant::kV2);
  const std::string v3 = build_pydio_fixture(cluster.run_dir(), FixtureVariant::kV3);
  {
    auto published = publish_release(*web.n1, v1);
    INFO(published.out << published.err);
    REQUIRE(published.succeeded());
  }
  REQUIRE(wait_served_version("http://198.18.0.1/pydio/", "fixture-1__"));
  REQUIRE(wait_served_version("http://198.18.0.2/pydio/", "fixture-1__"));
  CHECK(eventually([&] {
    auto states = server_states(web);
    return states["n1"] == "UP" && states["n2"] == "UP";
  }));

  // Release 2, with users on the balancer the whole time.
  ClientLoop users("http://198.18.0.4/pydio/", 4);
  BalancerWatch balancer(web);
  {
    auto published = publish_release(*web.n1, v2);
    INFO(published.out << published.err);
    REQUIRE(published.succeeded());
  }
  {  // while the rollout runs (it takes several of the leader's 2 s steps), nothing else is
     // published
    const auto refused = publish_release(*web.n1, v3);
    INFO(refused.out << refused.err);
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("a rollout of fixture-2 (") != std::string::npos);
    CHECK(refused.err.find("is under way") != std::string::npos);
  }
  const auto rollout_two = follow_rollout(
      *web.n1, [](const nlohmann::json& w) { return !w.contains("rollout"); }, 600s);
  print_steps("rollout of fixture-2:", rollout_two);
  REQUIRE(rollout_two.back().what == "no rollout");
  CHECK(wait_served_version("http://198.18.0.1/pydio/", "fixture-2__"));
  CHECK(wait_served_version("http://198.18.0.2/pydio/", "fixture-2__"));
  const double n1_time = node_time(rollout_two, "n1");
  const double n2_time = node_time(rollout_two, "n2");
  std::cout << "time per node: n1 " << n1_time << " s, n2 " << n2_time << " s; whole rollout "
            << rollout_two.back().at << " s\n";
  CHECK(n1_time > 0);  // n1 went first (document order) and was done...
  CHECK(n2_time > 0);  // ...then n2
  // Both nodes keep the release before as the way back, and nothing older.
  const std::string id1 = file_sha256(v1).substr(7, 12);
  const std::string id2 = file_sha256(v2).substr(7, 12);
  for (SimNode* node : {web.n1, web.n2}) {
    CHECK(node->file_exists("/var/www/pydio/releases/" + id1 + "/index.php"));
    CHECK(node->file_exists("/var/www/pydio/releases/" + id2 + "/index.php"));
  }
  std::this_thread::sleep_for(3s);
  const int errors_during_two = users.errors();
  std::cout << "client loop during the rollout of fixture-2: " << users.requests() << " requests, "
            << errors_during_two << " errors\n";
  CHECK(errors_during_two == 0);
  CHECK(balancer.min_up() >= 1);
  CHECK(balancer.seen("n1").count("DRAIN (agent)") == 1);  // drained through the agent-check

  // Release 3 does not parse: n1's check fails, n1 goes back to release 2, the rollout stops
  // with the reason and n2 is never drained.
  BalancerWatch during_three(web);
  {
    auto published = publish_release(*web.n1, v3);
    INFO(published.out << published.err);
    REQUIRE(published.succeeded());
  }
  const auto rollout_three = follow_rollout(
      *web.n1,
      [](const nlohmann::json& w) {
        return w.contains("rollout") && w["rollout"].contains("stopped");
      },
      600s);
  print_steps("rollout of fixture-3:", rollout_three);
  const nlohmann::json stopped_web = desired_document(*web.n1)["web"];
  REQUIRE(stopped_web.contains("rollout"));
  const std::string stopped = stopped_web["rollout"].value("stopped", "");
  INFO("stopped: " << stopped);
  CHECK(stopped.rfind("n1: ", 0) == 0);
  CHECK(stopped.find("Parse error") != std::string::npos);
  CHECK(wait_served_version("http://198.18.0.1/pydio/", "fixture-2__"));
  CHECK(get_served("http://198.18.0.2/pydio/").version.rfind("fixture-2__", 0) == 0);
  CHECK(eventually([&] { return server_states(web)["n1"] == "UP"; }));
  std::this_thread::sleep_for(3s);
  during_three.stop();
  CHECK(during_three.seen("n2").count("DRAIN (agent)") == 0);
  for (const auto& step : rollout_three) CHECK(step.what.find("node n2") == std::string::npos);
  CHECK(during_three.min_up() >= 1);
  // Users stuck to n1 stay on it while it is drained (that is what drain is for), so they see
  // the broken release between the switch and the switch back; nobody else sees it.
  {
    const auto errors = users.errors_by_node();
    const int on_n1 = errors.count("n1") ? errors.at("n1") : 0;
    std::cout << "release 3: errors of users stuck to n1: " << on_n1
              << ", of the others: " << users.errors() - errors_during_two - on_n1 << "\n";
    CHECK(users.errors() - errors_during_two == on_n1);
  }
  const int errors_before_failover = users.errors();

  // The operator goes on by publishing a good release (release 1 again). Its rollout starts, and
  // the leader's agent dies (SIGKILL) while the leader's own node is switching: the other
  // storage node takes the lease and carries the rollout on from the committed phase; the old
  // leader's agent comes back and its node finishes.
  const std::string leader = current_leader({web.n1, web.n2});
  REQUIRE((leader == "n1" || leader == "n2"));
  SimNode& old_leader = leader == "n1" ? *web.n1 : *web.n2;
  SimNode& survivor = leader == "n1" ? *web.n2 : *web.n1;
  {
    auto published = publish_release(*web.n1, v1);
    INFO(published.out << published.err);
    REQUIRE(published.succeeded());
  }
  const auto before_kill = follow_rollout(
      *web.lb,
      [&](const nlohmann::json& w) {
        // (not the stopped rollout of release 3, which also names n1 switching)
        return w.contains("rollout") && !w["rollout"].contains("stopped") &&
               w["rollout"].value("node", "") == leader &&
               w["rollout"].value("phase", "") == "switching";
      },
      300s);
  print_steps("rollout of fixture-1 until the leader " + leader + " switches:", before_kill);
  REQUIRE(before_kill.back().what.rfind("node " + leader + " switching", 0) == 0);
  old_leader.stop_agent(SIGKILL);
  REQUIRE(eventually([&] { return current_leader({&survivor}) == survivor.name(); }, 120s));
  old_leader.start_agent();
  REQUIRE(old_leader.wait_agent_ready());
  const auto after_kill = follow_rollout(
      *web.lb, [](const nlohmann::json& w) { return !w.contains("rollout"); }, 600s);
  print_steps("the rest, led by " + survivor.name() + ":", after_kill);
  CHECK(after_kill.back().what == "no rollout");
  CHECK(has_event(survivor, "release-rollout", "rollout of fixture-1"));
  CHECK(wait_served_version("http://198.18.0.1/pydio/", "fixture-1__"));
  CHECK(wait_served_version("http://198.18.0.2/pydio/", "fixture-1__"));
  std::this_thread::sleep_for(3s);
  users.stop();
  std::cout << "client loop in all: " << users.requests() << " requests, " << users.errors()
            << " errors (" << users.errors() - errors_before_failover
            << " during the rollout with the leader failover)\n";
  for (const auto& [who, count] : users.answered_by())
    std::cout << "  answered by " << who << ": " << count << "\n";
  for (const auto& [node, count] : users.errors_by_node())
    std::cout << "  errors of users stuck to " << node << ": " << count << "\n";
  for (const auto& sample : users.error_samples()) std::cout << "  " << sample << "\n";
  CHECK(users.errors() == errors_before_failover);
}
