#include "agent/reconcile/reconciler.hpp"

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <thread>

using namespace pydio::agent;
using namespace std::chrono_literals;
using pydio::common::Expected;
using pydio::common::Status;

namespace {

// A resource whose "host" is a counter: it converges when `value` reaches `target`.
class CounterResource : public Resource {
 public:
  CounterResource(std::string name, std::vector<std::string> deps, int target)
      : name_(std::move(name)), deps_(std::move(deps)), target_(target) {}
  std::string name() const override { return name_; }
  std::vector<std::string> depends_on() const override { return deps_; }
  bool applies_to(const PassContext&) const override { return true; }
  Expected<Plan> observe_and_plan(const PassContext&) override {
    if (fail_observe) return Status::error("observation failed");
    Plan plan;
    if (value < target_) plan.actions.push_back({"increment", "increment " + name_, {}});
    return plan;
  }
  Status apply(const PassContext&, const Action&) override {
    if (fail_apply) return Status::error("apply failed");
    ++value;
    return Status::ok();
  }
  std::atomic<int> value{0};
  std::atomic<bool> fail_observe{false};
  std::atomic<bool> fail_apply{false};

 private:
  std::string name_;
  std::vector<std::string> deps_;
  int target_;
};

PassContext empty_context() {
  PassContext ctx;
  ctx.desired = std::make_shared<pydio::common::DesiredState>();
  return ctx;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::seconds deadline = 20s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

ResourceState state_of(const Reconciler& reconciler, const std::string& name) {
  for (const auto& status : reconciler.statuses())
    if (status.name == name) return status.state;
  return ResourceState::kPending;
}

}  // namespace

TEST_CASE("reconciler converges resources in dependency order and records events",
          "[reconciler]") {
  auto base = std::make_unique<CounterResource>("base", std::vector<std::string>{}, 2);
  auto top = std::make_unique<CounterResource>("top", std::vector<std::string>{"base"}, 1);
  auto* base_ptr = base.get();
  auto* top_ptr = top.get();
  std::vector<std::unique_ptr<Resource>> resources;
  resources.push_back(std::move(base));
  resources.push_back(std::move(top));
  EventLog events("");
  Reconciler reconciler(std::move(resources), [] { return empty_context(); }, events, 2);

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
  Reconciler reconciler(std::move(resources), [] { return empty_context(); }, events, 2);
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
  Reconciler reconciler(std::move(resources), [] { return empty_context(); }, events, 1);
  auto plan = reconciler.dry_run_plan();
  REQUIRE(plan.size() == 1);
  CHECK(plan[0]["actions"][0]["description"] == "increment thing");
  CHECK(ptr->value == 0);
}
