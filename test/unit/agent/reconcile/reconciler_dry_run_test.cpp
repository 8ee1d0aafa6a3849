// A dry run (`agentctl plan`) changes nothing and races with nothing: it never runs
// Plan::remember, and may run while a real pass runs on the worker pool (run this file under
// ThreadSanitizer: cmake -DSANITIZE=thread).

#include <catch2/catch.hpp>
#include <mutex>

#include "agent/reconcile/reconciler.hpp"
#include "agent/resources/self_heal_resource.hpp"
#include "test/unit/agent/reconcile/fake_gluster.hpp"
#include "test/unit/agent/reconcile/test_resources.hpp"

using namespace pydio::agent;
using namespace pydio::test;

namespace {

// A storage leader's context with a replica 2 volume pydio-data.
PassContext leader_context(FakeGluster& gluster) {
  auto desired = std::make_shared<pydio::common::DesiredState>();
  pydio::common::VolumeSpec volume;
  volume.name = "pydio-data";
  volume.replica = 2;
  desired->volumes.push_back(volume);
  pydio::common::NodeSpec self;
  self.name = "node1";
  self.address = "198.18.0.1";
  self.roles = {pydio::common::Role::kStorage};
  desired->nodes.push_back(self);
  PassContext ctx;
  ctx.desired = desired;
  ctx.self = &desired->nodes.front();
  ctx.runner = &gluster;
  ctx.is_leader = true;
  ctx.leader_term = 1;
  return ctx;
}

// Remembers how many real plans it made; plans an action only on its first.
class RememberingResource : public CounterResource {
 public:
  RememberingResource() : CounterResource("remembering", {}, 1) {}
  pydio::common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override {
    auto plan = CounterResource::observe_and_plan(ctx);
    plan->remember = [this] { ++remembered; };
    return plan;
  }
  mutable std::atomic<int> remembered{0};
};

std::vector<std::string> descriptions(const pydio::common::Expected<Plan>& plan) {
  REQUIRE(plan);
  std::vector<std::string> out;
  for (const auto& action : plan->actions) out.push_back(action.description);
  return out;
}

}  // namespace

TEST_CASE("a dry run remembers nothing", "[reconciler][dry-run]") {
  auto resource = std::make_unique<RememberingResource>();
  auto* ptr = resource.get();
  EventLog events("");
  Reconciler reconciler(
      resource_list(std::move(resource)), [] { return empty_context(); }, events, 1);
  for (int i = 0; i < 3; ++i) reconciler.dry_run_plan();
  CHECK(ptr->remembered == 0);
  CHECK(ptr->value == 0);
  reconciler.start();
  REQUIRE(
      wait_until([&] { return state_of(reconciler, "remembering") == ResourceState::kInSync; }));
  CHECK(ptr->remembered >= 1);  // a real pass does
}

TEST_CASE("self-heal: a dry run does not change what the next real pass plans",
          "[reconciler][dry-run][self_heal]") {
  FakeGluster gluster;
  const PassContext ctx = leader_context(gluster);
  SelfHealResource with_dry_run({"pydio-data"});
  SelfHealResource without({"pydio-data"});

  // A dry run sees the peer disconnected; a real pass never did.
  gluster.peer_connected = false;
  auto dry = with_dry_run.observe_and_plan(ctx);
  REQUIRE(dry);
  CHECK(dry->actions.empty());
  gluster.peer_connected = true;

  // Real passes (planning, then remembering as the reconciler does): the same for both.
  auto real_pass = [&](SelfHealResource& resource) {
    auto plan = resource.observe_and_plan(ctx);
    if (plan && plan->remember) plan->remember();
    return plan;
  };
  CHECK(descriptions(real_pass(with_dry_run)) == descriptions(real_pass(without)));
  CHECK(descriptions(real_pass(with_dry_run)).empty());
  // No reconnect was seen by a real pass: the only looks are the periodic ones (for the
  // gauges): the dry run's, which it did not remember, then each resource's first real pass.
  CHECK(gluster.heal_summaries == 3);

  SECTION("a reconnect seen by real passes does plan the heal") {
    gluster.peer_connected = false;
    (void)real_pass(with_dry_run);
    gluster.peer_connected = true;
    (void)with_dry_run.observe_and_plan(ctx);  // a dry run in between changes nothing either
    CHECK(descriptions(real_pass(with_dry_run)) ==
          std::vector<std::string>{
              "index heal of volume pydio-data (3 entries pending after a peer reconnected)"});
  }
}

TEST_CASE("self-heal: the heal backlog is looked at once a minute, for the gauges",
          "[self_heal][metrics]") {
  FakeGluster gluster;
  const PassContext ctx = leader_context(gluster);
  SelfHealResource resource({"pydio-data"});
  auto real_pass = [&] {
    auto plan = resource.observe_and_plan(ctx);
    REQUIRE(plan);
    if (plan->remember) plan->remember();
    return *plan;
  };
  const Plan first = real_pass();
  CHECK(first.actions.empty());  // a look for the gauges plans nothing
  CHECK(first.waiting_for.empty());
  CHECK(gluster.heal_summaries == 1);
  for (int i = 0; i < 5; ++i) (void)real_pass();
  CHECK(gluster.heal_summaries == 1);  // not again within the minute

  SECTION("a peer away: waiting for it, and still no second look within the minute") {
    gluster.peer_connected = false;
    CHECK_FALSE(real_pass().waiting_for.empty());
    CHECK(gluster.heal_summaries == 1);
  }
}

TEST_CASE("self-heal: when the periodic look is due", "[self_heal][metrics]") {
  using std::chrono::seconds;
  const auto now = std::chrono::steady_clock::now();
  SelfHealMemory memory;
  CHECK(heal_poll_due(memory, now));  // never looked
  memory.last_poll = now - kHealPollInterval + seconds(1);
  CHECK_FALSE(heal_poll_due(memory, now));
  memory.last_poll = now - kHealPollInterval;
  CHECK(heal_poll_due(memory, now));
}

TEST_CASE("dry runs in a loop while real passes run on the worker pool",
          "[reconciler][dry-run][tsan]") {
  FakeGluster gluster;
  gluster.dry_run_thread = std::this_thread::get_id();
  const PassContext ctx = leader_context(gluster);
  auto heal = std::make_unique<SelfHealResource>(std::vector<std::string>{"pydio-data"});
  auto counter = std::make_unique<RememberingResource>();
  auto waiting = std::make_unique<CounterResource>("waiting", std::vector<std::string>{}, 1);
  waiting->waiting = true;
  EventLog events("");
  Reconciler reconciler(
      resource_list(std::move(counter), std::move(waiting), std::move(heal)), [&] { return ctx; },
      events, 3, std::chrono::milliseconds(5));
  reconciler.start();

  std::atomic<bool> done{false};
  bool cycles_done = true;
  std::thread passes([&] {
    // Real passes that see the peer go and come back, so self-heal remembers and heals.
    for (int i = 0; i < 5 && cycles_done; ++i) {
      const int seen = gluster.real_disconnected_seen;
      const int heals = gluster.heals;
      gluster.peer_connected = false;
      reconciler.request_pass("peer lost");
      cycles_done = wait_until([&] { return gluster.real_disconnected_seen > seen; });
      gluster.peer_connected = true;
      reconciler.request_pass("peer back");
      cycles_done = cycles_done && wait_until([&] { return gluster.heals > heals; });
    }
    done = true;
  });
  int dry_runs = 0;
  while (!done) {
    auto plan = reconciler.dry_run_plan();
    CHECK(plan.size() == 3);
    ++dry_runs;
  }
  passes.join();
  CHECK(cycles_done);  // every reconnect seen by a real pass led to a heal
  REQUIRE(wait_until([&] { return state_of(reconciler, "self-heal") == ResourceState::kInSync; }));
  reconciler.stop();
  CHECK(dry_runs > 0);
}
