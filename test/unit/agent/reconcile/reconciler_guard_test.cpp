// An exception from a resource becomes an error state and an event, never a dead daemon.

#include <catch2/catch.hpp>

#include "agent/reconcile/reconciler.hpp"
#include "test/unit/agent/reconcile/test_resources.hpp"

using namespace pydio::agent;
using namespace pydio::test;

namespace {

// Throws from applies_to(), which the scheduler itself calls.
class UnschedulableResource : public CounterResource {
 public:
  UnschedulableResource() : CounterResource("unschedulable", {}, 1) {}
  bool applies_to(const PassContext&) const override {
    throw std::logic_error("applies_to blew up");
  }
};

bool has_event(const EventLog& events, const std::string& resource, const std::string& message) {
  for (const auto& event : events.latest(100))
    if (event.resource == resource && event.outcome == "error" && event.message == message)
      return true;
  return false;
}

}  // namespace

TEST_CASE("exceptions from resources are errors with an event; the others go on",
          "[reconciler][guard]") {
  auto observe =
      std::make_unique<CounterResource>("throws-observing", std::vector<std::string>{}, 1);
  observe->throw_observe = true;
  auto apply = std::make_unique<CounterResource>("throws-applying", std::vector<std::string>{}, 1);
  apply->throw_apply = true;
  auto fine = std::make_unique<CounterResource>("fine", std::vector<std::string>{}, 3);
  EventLog events("");
  Reconciler reconciler(
      resource_list(std::move(observe), std::move(apply), std::make_unique<UnschedulableResource>(),
                    std::move(fine)),
      [] { return empty_context(); }, events, 2);
  reconciler.start();

  REQUIRE(wait_until([&] { return state_of(reconciler, "fine") == ResourceState::kInSync; }));
  REQUIRE(wait_until([&] {
    return state_of(reconciler, "throws-observing") == ResourceState::kError &&
           state_of(reconciler, "throws-applying") == ResourceState::kError &&
           state_of(reconciler, "unschedulable") == ResourceState::kError;
  }));

  SECTION("from observe_and_plan") {
    CHECK(status_of(reconciler, "throws-observing").last_error ==
          "internal error: observe blew up");
    CHECK(has_event(events, "throws-observing", "internal error: observe blew up"));
  }
  SECTION("from apply, even an exception not derived from std::exception") {
    CHECK(status_of(reconciler, "throws-applying").last_error ==
          "internal error: unknown exception");
    CHECK(has_event(events, "throws-applying", "internal error: unknown exception"));
  }
  SECTION("from what the scheduler asks the resource") {
    CHECK(status_of(reconciler, "unschedulable").last_error ==
          "internal error: applies_to blew up");
    CHECK(has_event(events, "unschedulable", "internal error: applies_to blew up"));
  }
  SECTION("they are retried with backoff, and the scheduler keeps running") {
    REQUIRE(wait_until([&] { return status_of(reconciler, "throws-applying").failures >= 2; }));
    const auto beat = reconciler.heartbeat();
    REQUIRE(wait_until([&] { return reconciler.heartbeat() > beat; }));
  }
}

TEST_CASE("an exception from the pass context is an event; the scheduler goes on",
          "[reconciler][guard]") {
  auto fine = std::make_unique<CounterResource>("fine", std::vector<std::string>{}, 1);
  std::atomic<int> calls{0};
  EventLog events("");
  Reconciler reconciler(
      resource_list(std::move(fine)),
      [&]() -> std::optional<PassContext> {
        if (calls++ == 0) throw std::runtime_error("no context");
        return empty_context();
      },
      events, 1);
  reconciler.start();
  REQUIRE(wait_until([&] { return state_of(reconciler, "fine") == ResourceState::kInSync; }));
  CHECK(has_event(events, "reconciler", "internal error: no context"));
}

TEST_CASE("an exception in a dry run is that resource's error", "[reconciler][guard]") {
  auto observe =
      std::make_unique<CounterResource>("throws-observing", std::vector<std::string>{}, 1);
  observe->throw_observe = true;
  auto fine = std::make_unique<CounterResource>("fine", std::vector<std::string>{}, 1);
  EventLog events("");
  Reconciler reconciler(
      resource_list(std::move(observe), std::move(fine)), [] { return empty_context(); }, events,
      1);
  auto plan = reconciler.dry_run_plan();
  REQUIRE(plan.size() == 2);
  CHECK(plan[0]["error"] == "internal error: observe blew up");
  CHECK(plan[1]["actions"][0]["description"] == "increment fine");
}

TEST_CASE("a task that throws does not end the worker pool", "[reconciler][guard]") {
  std::atomic<int> done{0};
  {
    WorkerPool pool(1);
    pool.submit([] { throw std::runtime_error("task blew up"); });
    pool.submit([] { throw 7; });
    pool.submit([&] { ++done; });
  }  // joins after the queue drained
  CHECK(done == 1);
}
