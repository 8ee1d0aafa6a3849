// A desired-state change updates the reconciler's entries in place.

#include <catch2/catch.hpp>

#include "agent/reconcile/reconciler.hpp"
#include "test/unit/agent/reconcile/test_resources.hpp"

using namespace pydio::agent;
using namespace pydio::test;
using namespace std::chrono_literals;

TEST_CASE("update_resources keeps unchanged entries and adds and drops the others",
          "[reconciler][update]") {
  auto failing = std::make_unique<CounterResource>("failing", std::vector<std::string>{}, 1);
  failing->fail_apply = true;
  auto dropped = std::make_unique<CounterResource>("dropped", std::vector<std::string>{}, 1);
  EventLog events("");
  Reconciler reconciler(
      resource_list(std::move(failing), std::move(dropped)), [] { return empty_context(); }, events,
      2);
  reconciler.start();
  REQUIRE(wait_until([&] { return status_of(reconciler, "failing").failures >= 2; }));
  REQUIRE(wait_until([&] { return state_of(reconciler, "dropped") == ResourceState::kInSync; }));

  // Stopped, so that the entry cannot move on while the test compares it.
  reconciler.stop();
  const ResourceStatus before = status_of(reconciler, "failing");
  REQUIRE(before.state == ResourceState::kError);

  auto replacement =
      std::make_unique<CounterResource>("failing", std::vector<std::string>{"added"}, 1);
  auto added = std::make_unique<CounterResource>("added", std::vector<std::string>{}, 1);
  reconciler.update_resources(resource_list(std::move(added), std::move(replacement)));

  SECTION("the unchanged entry keeps its state, error, backoff and retry time") {
    const ResourceStatus after = status_of(reconciler, "failing");
    CHECK(after.state == ResourceState::kError);
    CHECK(after.last_error == "apply failed");
    CHECK(after.failures == before.failures);
    CHECK(after.retry_at == before.retry_at);
    CHECK(after.last_change == before.last_change);
  }
  SECTION("the new entry is pending, the dropped one is gone, the order is the new one") {
    CHECK(reconciler.resource_names() == std::vector<std::string>{"added", "failing"});
    CHECK(state_of(reconciler, "added") == ResourceState::kPending);
    CHECK(status_of(reconciler, "dropped").name.empty());
  }
}

TEST_CASE("update_resources does not wait for an operation in flight", "[reconciler][update]") {
  auto slow = std::make_unique<CounterResource>("slow", std::vector<std::string>{}, 1);
  slow->hold_apply = true;
  auto* slow_ptr = slow.get();
  auto gone = std::make_unique<CounterResource>("gone", std::vector<std::string>{}, 1);
  gone->hold_apply = true;
  auto* gone_ptr = gone.get();
  EventLog events("");
  Reconciler reconciler(
      resource_list(std::move(slow), std::move(gone)), [] { return empty_context(); }, events, 2);
  reconciler.start();
  REQUIRE(wait_until([&] { return status_of(reconciler, "slow").in_flight; }));
  REQUIRE(wait_until([&] { return status_of(reconciler, "gone").in_flight; }));

  // The operations are held in apply(): this returns only because it does not wait for them.
  auto replacement = std::make_unique<CounterResource>("slow", std::vector<std::string>{}, 1);
  auto* replacement_ptr = replacement.get();
  reconciler.update_resources(resource_list(std::move(replacement)));

  auto increments_of = [&](const std::string& name) {
    int count = 0;
    for (const auto& event : events.latest(100))
      if (event.action == "increment " + name && event.outcome == "ok") ++count;
    return count;
  };
  SECTION("the kept entry stays in flight, finishes on the old object, then uses the new one") {
    CHECK(status_of(reconciler, "slow").in_flight);
    std::this_thread::sleep_for(100ms);
    CHECK(replacement_ptr->observations == 0);  // never two operations of one resource at once
    // The old objects live as long as their operation: released, they may go at any time.
    slow_ptr->hold_apply = false;
    gone_ptr->hold_apply = false;
    REQUIRE(wait_until([&] { return replacement_ptr->value == 1; }));
    REQUIRE(wait_until([&] { return state_of(reconciler, "slow") == ResourceState::kInSync; }));
    CHECK(increments_of("slow") == 2);  // once by each object
  }
  SECTION("the result of the dropped entry is discarded") {
    slow_ptr->hold_apply = false;
    gone_ptr->hold_apply = false;
    REQUIRE(wait_until([&] { return increments_of("gone") == 1; }));
    REQUIRE(wait_until([&] { return state_of(reconciler, "slow") == ResourceState::kInSync; }));
    CHECK(reconciler.resource_names() == std::vector<std::string>{"slow"});
    CHECK(status_of(reconciler, "gone").name.empty());
  }
  reconciler.stop();
}
