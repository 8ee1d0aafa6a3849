#include "agent/reconcile/reconciler.hpp"

#include <catch2/catch.hpp>

#include "test/unit/agent/reconcile/test_resources.hpp"

using namespace pydio::agent;
using namespace std::chrono_literals;
using namespace pydio::test;

TEST_CASE("reconciler converges resources in dependency order and records events", "[reconciler]") {
  auto base = std::make_unique<CounterResource>("base", std::vector<std::string>{}, 2);
  auto top = std::make_unique<CounterResource>("top", std::vector<std::string>{"base"}, 1);
  auto* base_ptr = base.get();
  auto* top_ptr = top.get();
  std::vector<std::unique_ptr<Resource>> resources;
  resources.push_back(std::move(base));
  resources.push_back(std::move(top));
  EventLog events("");
  Reconciler reconciler(
      std::move(resources), [] { return empty_context(); }, events, 2);

  SECTION("both end in sync, the dependent only after its dependency") {
    reconciler.start();
    REQUIRE(wait_until([&] { return state_of(reconciler, "top") == ResourceState::kInSync; }));
    CHECK(base_ptr->value == 2);
    CHECK(top_ptr->value == 1);
    auto log = events.latest(10);
    REQUIRE(log.size() == 3);
    CHECK(log[0].resource == "base");
    CHECK(log[2].resource == "top");
    CHECK(log[2].outcome == "ok");
  }

  SECTION("a failing dependency blocks its dependent but is retried with backoff") {
    base_ptr->fail_apply = true;
    reconciler.start();
    REQUIRE(wait_until([&] { return state_of(reconciler, "base") == ResourceState::kError; }));
    CHECK(state_of(reconciler, "top") == ResourceState::kBlocked);
    CHECK(top_ptr->value == 0);
    base_ptr->fail_apply = false;
    REQUIRE(wait_until([&] { return state_of(reconciler, "top") == ResourceState::kInSync; }));
    CHECK(reconciler.statuses()[0].last_error == "apply failed");
  }
}

TEST_CASE("one failing resource does not stop unrelated ones", "[reconciler]") {
  auto broken = std::make_unique<CounterResource>("broken", std::vector<std::string>{}, 1);
  broken->fail_observe = true;
  auto fine = std::make_unique<CounterResource>("fine", std::vector<std::string>{}, 1);
  std::vector<std::unique_ptr<Resource>> resources;
  resources.push_back(std::move(broken));
  resources.push_back(std::move(fine));
  EventLog events("");
  Reconciler reconciler(
      std::move(resources), [] { return empty_context(); }, events, 2);
  reconciler.start();
  REQUIRE(wait_until([&] { return state_of(reconciler, "fine") == ResourceState::kInSync; }));
  CHECK(state_of(reconciler, "broken") == ResourceState::kError);
}

TEST_CASE("dry-run plan lists actions without applying them", "[reconciler]") {
  auto resource = std::make_unique<CounterResource>("thing", std::vector<std::string>{}, 1);
  auto* ptr = resource.get();
  std::vector<std::unique_ptr<Resource>> resources;
  resources.push_back(std::move(resource));
  EventLog events("");
  Reconciler reconciler(
      std::move(resources), [] { return empty_context(); }, events, 1);
  auto plan = reconciler.dry_run_plan();
  REQUIRE(plan.size() == 1);
  CHECK(plan[0]["actions"][0]["description"] == "increment thing");
  CHECK(ptr->value == 0);
}

namespace {

// "top" depends on "base", both converged; then base drifts and its change hangs in apply.
struct DependencyInFlight {
  explicit DependencyInFlight(std::chrono::milliseconds hold_limit) {
    auto base = std::make_unique<CounterResource>("base", std::vector<std::string>{}, 1);
    auto top = std::make_unique<CounterResource>("top", std::vector<std::string>{"base"}, 1);
    base_ptr = base.get();
    top_ptr = top.get();
    reconciler = std::make_unique<Reconciler>(
        resource_list(std::move(base), std::move(top)), [] { return empty_context(); }, events, 2,
        Reconciler::kWaitingRecheck, hold_limit);
    reconciler->start();
  }
  // Returns how often top was observed before the pass that finds base drifted.
  int drift_base_and_hang() {
    REQUIRE(wait_until([&] { return state_of(*reconciler, "top") == ResourceState::kInSync; }));
    base_ptr->hold_apply = true;
    base_ptr->value = 0;  // drifted: its next look plans a change, which hangs
    const int top_looks = top_ptr->observations;
    reconciler->request_pass("test");
    REQUIRE(wait_until([&] { return status_of(*reconciler, "base").in_flight; }));
    return top_looks;
  }

  EventLog events{""};
  CounterResource* base_ptr = nullptr;
  CounterResource* top_ptr = nullptr;
  std::unique_ptr<Reconciler> reconciler;
};

}  // namespace

TEST_CASE("a dependent waits for its dependency's look in the same pass, not its last state",
          "[reconciler]") {
  // rolling_release, on a loaded machine: a new desired state changed the vhost and set a first
  // release; the release resource started beside the vhost's pass (the vhost was still in sync
  // from the pass before), checked the page before the vhost served it and failed.
  DependencyInFlight cluster(Reconciler::kDependencyHoldLimit);
  const int top_looks = cluster.drift_base_and_hang();
  std::this_thread::sleep_for(300ms);
  CHECK(cluster.top_ptr->observations == top_looks);
  CHECK(state_of(*cluster.reconciler, "top") == ResourceState::kInSync);  // shown as it was

  cluster.base_ptr->hold_apply = false;
  REQUIRE(wait_until([&] { return cluster.top_ptr->observations > top_looks; }));
  CHECK(cluster.base_ptr->value == 1);
  REQUIRE(
      wait_until([&] { return state_of(*cluster.reconciler, "top") == ResourceState::kInSync; }));
}

TEST_CASE("a dependent waits for a dependency in flight only up to the hold limit",
          "[reconciler]") {
  // Passes requested while a slow dependency runs make it due again, and it is started again
  // before its dependents: without a limit they would never run.
  DependencyInFlight cluster(500ms);
  const int top_looks = cluster.drift_base_and_hang();
  // base stays in flight; the dependent goes ahead on base's last state once the limit passed.
  CHECK(wait_until([&] { return cluster.top_ptr->observations > top_looks; }));
  CHECK(status_of(*cluster.reconciler, "base").in_flight);
  cluster.base_ptr->hold_apply = false;
  REQUIRE(
      wait_until([&] { return state_of(*cluster.reconciler, "base") == ResourceState::kInSync; }));
}
