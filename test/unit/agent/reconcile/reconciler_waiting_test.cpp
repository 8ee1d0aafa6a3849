// Waiting is not failing: a waiting resource is planned again at a fixed interval and at once
// on request_pass, never backed off.

#include <catch2/catch.hpp>

#include "agent/reconcile/reconciler.hpp"
#include "test/unit/agent/reconcile/test_resources.hpp"

using namespace pydio::agent;
using namespace pydio::test;
using namespace std::chrono_literals;

TEST_CASE("a waiting resource is planned again at the fixed interval, without backoff",
          "[reconciler][waiting]") {
  auto waiting = std::make_unique<CounterResource>("waiting", std::vector<std::string>{}, 1);
  waiting->waiting = true;
  auto* ptr = waiting.get();
  EventLog events("");
  // 50 ms apart, 12 plans take well under a second. Backed off (500 ms doubling), they would
  // take over 30 minutes: the deadline below catches that.
  Reconciler reconciler(
      resource_list(std::move(waiting)), [] { return empty_context(); }, events, 1, 50ms);
  reconciler.start();
  REQUIRE(wait_until([&] { return ptr->observations >= 12; }));
  const ResourceStatus status = status_of(reconciler, "waiting");
  CHECK(status.state == ResourceState::kWaiting);
  CHECK(status.detail == "something outside");
  CHECK(status.failures == 0);
  CHECK(status.retry_at <= std::chrono::steady_clock::now() + 50ms);
  CHECK(events.latest(10).empty());  // waiting is not an action, nor a failure

  SECTION("once what it waits for happens, it converges") {
    ptr->waiting = false;
    REQUIRE(wait_until([&] { return state_of(reconciler, "waiting") == ResourceState::kInSync; }));
    CHECK(ptr->value == 1);
  }
}

TEST_CASE("request_pass plans waiting and blocked resources again at once",
          "[reconciler][waiting]") {
  auto waiting = std::make_unique<CounterResource>("bricks", std::vector<std::string>{}, 1);
  waiting->waiting = true;
  auto* ptr = waiting.get();
  auto dependent =
      std::make_unique<CounterResource>("volume", std::vector<std::string>{"bricks"}, 1);
  EventLog events("");
  // The interval is an hour: only request_pass can make it plan again within the test.
  Reconciler reconciler(
      resource_list(std::move(waiting), std::move(dependent)), [] { return empty_context(); },
      events, 1, std::chrono::hours(1));
  reconciler.start();
  REQUIRE(wait_until([&] { return state_of(reconciler, "bricks") == ResourceState::kWaiting; }));
  REQUIRE(wait_until([&] { return state_of(reconciler, "volume") == ResourceState::kBlocked; }));
  const int observed = ptr->observations;

  SECTION("without a request it stays waiting") {
    std::this_thread::sleep_for(300ms);
    CHECK(ptr->observations == observed);
  }
  SECTION("a request plans it again, and its dependent follows") {
    ptr->waiting = false;  // e.g. a brick was reported ready
    reconciler.request_pass("brick ready");
    REQUIRE(wait_until([&] { return state_of(reconciler, "volume") == ResourceState::kInSync; }));
    CHECK(ptr->observations > observed);
  }
}

TEST_CASE("a failure still backs off, and request_pass does not cancel that",
          "[reconciler][waiting]") {
  auto failing = std::make_unique<CounterResource>("failing", std::vector<std::string>{}, 1);
  failing->fail_observe = true;
  auto* ptr = failing.get();
  EventLog events("");
  Reconciler reconciler(
      resource_list(std::move(failing)), [] { return empty_context(); }, events, 1, 50ms);
  reconciler.start();
  REQUIRE(wait_until([&] { return status_of(reconciler, "failing").failures >= 3; }));
  const ResourceStatus status = status_of(reconciler, "failing");
  CHECK(status.state == ResourceState::kError);
  // The third delay is about 2 s (500 ms doubled twice, +-20%), far beyond the waiting interval.
  CHECK(status.retry_at > std::chrono::steady_clock::now() + 200ms);

  SECTION("request_pass keeps the backoff") {
    reconciler.request_pass("timer");
    CHECK(status_of(reconciler, "failing").retry_at == status.retry_at);
  }
  SECTION("an operator's request cancels it") {
    const int observed = ptr->observations;
    ptr->fail_observe = false;
    reconciler.request_pass("operator", true);
    REQUIRE(wait_until([&] { return state_of(reconciler, "failing") == ResourceState::kInSync; }));
    CHECK(ptr->observations > observed);
  }
}

TEST_CASE("an in-sync plan whose note is expected soon is planned again, dependents go on",
          "[reconciler][waiting]") {
  auto noting = std::make_unique<CounterResource>("volume", std::vector<std::string>{}, 0);
  noting->noting = true;
  auto* ptr = noting.get();
  auto dependent =
      std::make_unique<CounterResource>("mount", std::vector<std::string>{"volume"}, 1);
  EventLog events("");
  Reconciler reconciler(
      resource_list(std::move(noting), std::move(dependent)), [] { return empty_context(); },
      events, 1, 50ms);
  reconciler.start();
  REQUIRE(wait_until([&] { return ptr->observations >= 12; }));
  const ResourceStatus status = status_of(reconciler, "volume");
  CHECK(status.state == ResourceState::kInSync);
  CHECK(status.detail == "something expected soon");
  CHECK(status.failures == 0);
  REQUIRE(wait_until([&] { return state_of(reconciler, "mount") == ResourceState::kInSync; }));

  SECTION("once the note is gone, it is not planned again until a pass") {
    ptr->noting = false;
    std::this_thread::sleep_for(200ms);  // let a recheck already scheduled run
    const int observed = ptr->observations;
    std::this_thread::sleep_for(300ms);
    CHECK(ptr->observations == observed);
  }
}
