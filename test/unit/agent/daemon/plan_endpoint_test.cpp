// `agentctl plan` is a pure dry run, shown through its endpoint: GET /v1/plan, routed by the
// admin API (handle_admin_request) to the document the daemon serves (plan_report, which is all
// Daemon::plan does with the node state's snapshot and reconciler), asked in a loop while real
// passes of the leader's volume and self-heal resources, as build_resources makes them, act
// on a fake gluster CLI. Run under ThreadSanitizer (cmake -DSANITIZE=thread,
// docs/architecture.md): the loop must report no race, and no command of a dry run may change
// anything.
// The daemon itself is not built here (it needs a lease on a database to lead): the backend
// below answers plan() as Daemon::plan does, from a reconciler whose context says "leader".

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "agent/api/admin_api.hpp"
#include "agent/daemon/status_report.hpp"
#include "agent/reconcile/pass_cache.hpp"
#include "agent/reconcile/resource_set.hpp"
#include "test/unit/agent/reconcile/fake_gluster.hpp"
#include "test/unit/agent/reconcile/test_resources.hpp"

using namespace pydio::agent;
using namespace pydio::test;
namespace http = boost::beast::http;
using nlohmann::json;

namespace {

// node1 (this node, the leader) and node2, storage nodes with a device brick "data" at
// /srv/data, and a replica 2 volume pydio-data on it.
std::shared_ptr<pydio::common::DesiredState> two_storage_nodes() {
  auto desired = std::make_shared<pydio::common::DesiredState>();
  desired->generation = 7;
  pydio::common::VolumeSpec volume;
  volume.name = "pydio-data";
  volume.replica = 2;
  volume.brick = "data";
  desired->volumes.push_back(volume);
  for (const auto& [name, address] :
       {std::pair<std::string, std::string>{"node1", "198.18.0.1"}, {"node2", "198.18.0.2"}}) {
    pydio::common::NodeSpec node;
    node.name = name;
    node.address = address;
    node.roles = {pydio::common::Role::kStorage};
    pydio::common::BrickSpec brick;
    brick.name = "data";
    brick.device = "/dev/xvdb";
    brick.mountpoint = "/srv/data";
    node.bricks.push_back(brick);
    desired->nodes.push_back(node);
  }
  return desired;
}

// The leader's volume and self-heal resources as the daemon builds them, after stand-ins (in
// sync) for what they depend on: glusterd and the data brick.
std::vector<std::unique_ptr<Resource>> leader_resources(
    const pydio::common::DesiredState& desired) {
  std::vector<std::unique_ptr<Resource>> out;
  out.push_back(std::make_unique<CounterResource>("glusterd", std::vector<std::string>{}, 0));
  out.push_back(std::make_unique<CounterResource>("data-brick", std::vector<std::string>{}, 0));
  for (auto& resource : build_resources(desired, "node1"))
    if (resource->name() == "volume/pydio-data" || resource->name() == "self-heal")
      out.push_back(std::move(resource));
  return out;
}

// The admin backend of the daemon, reduced to its plan() (Daemon::plan's body); the rest is
// not asked here.
class PlanBackend : public api::AdminBackend {
 public:
  PlanBackend(std::shared_ptr<const pydio::common::DesiredState> desired, Reconciler& reconciler)
      : desired_(std::move(desired)), reconciler_(reconciler) {}
  pydio::common::Expected<json> plan() override {
    return plan_report(desired_.get(), &reconciler_);
  }

  json status(bool) override { throw unexpected(); }
  void request_reconcile() override { throw unexpected(); }
  pydio::common::Status drain(const std::string&) override { throw unexpected(); }
  pydio::common::Status undrain() override { throw unexpected(); }
  json events(int) override { throw unexpected(); }
  json events_after(std::uint64_t) override { throw unexpected(); }
  pydio::common::Expected<api::SubmitResult> submit_desired_state(const std::string&) override {
    throw unexpected();
  }
  api::AdminAnswer desired_state() override { throw unexpected(); }
  api::JoinOutcome join(const api::JoinOptions&) override { throw unexpected(); }
  api::AdminAnswer join_tokens() override { throw unexpected(); }
  api::AdminAnswer create_join_token(std::chrono::seconds, const std::string&) override {
    throw unexpected();
  }
  api::AdminAnswer delete_join_token(const std::string&) override { throw unexpected(); }
  api::AdminAnswer upgrade_from_legacy() override { throw unexpected(); }
  api::AdminAnswer rotate_signing_key() override { throw unexpected(); }
  api::AdminAnswer rotate_ca() override { throw unexpected(); }
  api::AdminAnswer publish_release(const std::string&) override { throw unexpected(); }
  api::AdminAnswer force_db_bootstrap(const std::string&) override { throw unexpected(); }
  api::AdminAnswer db_backups() override { throw unexpected(); }
  api::AdminAnswer restore_db(const std::string&, bool) override { throw unexpected(); }
  api::AdminAnswer release_db_holds() override { throw unexpected(); }
  json status_page_view() override { throw unexpected(); }

 private:
  static std::logic_error unexpected() { return std::logic_error("not asked in this test"); }
  std::shared_ptr<const pydio::common::DesiredState> desired_;
  Reconciler& reconciler_;
};

api::Response get_plan(api::AdminBackend& backend) {
  api::Request request{http::verb::get, "/v1/plan", 11};
  request.prepare_payload();
  return api::handle_admin_request(request, backend);
}

}  // namespace

TEST_CASE("GET /v1/plan in a loop while real passes repair a brick and heal after a reconnect",
          "[admin_api][dry-run][tsan]") {
  constexpr std::chrono::seconds kDeadline{120};  // ThreadSanitizer slows everything down
  FakeGluster gluster;
  gluster.dry_run_thread = std::this_thread::get_id();
  gluster.started = false;  // created, not started, no option set: the first pass acts
  const auto desired = two_storage_nodes();
  PassContext base;
  base.desired = desired;
  base.self = &desired->nodes.front();
  base.runner = &gluster;
  base.is_leader = true;
  base.leader_term = 1;
  // As NodeState gives it: a fresh cache for each round, shared by that round's operations.
  auto context = [&]() -> std::optional<PassContext> {
    PassContext ctx = base;
    ctx.cache = std::make_shared<PassCache>();
    return ctx;
  };
  EventLog events("");
  Reconciler reconciler(leader_resources(*desired), context, events, 3,
                        std::chrono::milliseconds(5));
  REQUIRE(reconciler.resource_names() ==
          std::vector<std::string>{"glusterd", "data-brick", "volume/pydio-data", "self-heal"});
  PlanBackend backend(desired, reconciler);
  reconciler.start();

  std::atomic<bool> done{false};
  bool cycles_done = true;
  std::thread passes([&] {
    // The first passes set auth.allow and start the volume.
    cycles_done = wait_until([&] { return gluster.started && gluster.options_set > 0; }, kDeadline);
    for (int i = 0; i < 3 && cycles_done; ++i) {
      // node1's brick dies: the volume resource starts it again (volume start force), the
      // second and third time after the restart backoff.
      const int forced = gluster.forced_starts;
      gluster.self_brick_online = false;
      reconciler.request_pass("brick died");
      cycles_done = wait_until([&] { return gluster.forced_starts > forced; }, kDeadline);
      // node2 goes and comes back: self-heal remembers it and heals.
      const int seen = gluster.real_disconnected_seen;
      const int heals = gluster.heals;
      gluster.peer_connected = false;
      reconciler.request_pass("peer lost");
      cycles_done = cycles_done &&
                    wait_until([&] { return gluster.real_disconnected_seen > seen; }, kDeadline);
      gluster.peer_connected = true;
      reconciler.request_pass("peer back");
      cycles_done = cycles_done && wait_until([&] { return gluster.heals > heals; }, kDeadline);
    }
    done = true;
  });

  int dry_runs = 0;
  int failed_answers = 0;
  while (!done) {
    const api::Response response = get_plan(backend);
    ++dry_runs;
    if (response.result() != http::status::ok) {
      ++failed_answers;
      continue;
    }
    const json body = json::parse(response.body());
    std::vector<std::string> names;
    for (const auto& item : body.at("resources")) {
      names.push_back(item.at("resource").get<std::string>());
      if (item.contains("error")) ++failed_answers;
    }
    CHECK(body.at("generation") == 7);
    CHECK(names ==
          std::vector<std::string>{"glusterd", "data-brick", "volume/pydio-data", "self-heal"});
  }
  passes.join();

  CHECK(cycles_done);  // each dead brick was started again, each reconnect led to a heal
  CHECK(gluster.forced_starts == 3);
  CHECK(gluster.heals == 3);
  CHECK(gluster.options() ==
        std::map<std::string, std::string>{{"auth.allow", "198.18.0.1,198.18.0.2"}});
  CHECK(gluster.dry_run_changes == 0);  // no dry run ran a command that changes anything
  CHECK(gluster.unexpected == 0);
  CHECK(failed_answers == 0);
  CHECK(dry_runs > 0);
  INFO("dry runs: " << dry_runs);
  REQUIRE(wait_until(
      [&] {
        return state_of(reconciler, "volume/pydio-data") == ResourceState::kInSync &&
               state_of(reconciler, "self-heal") == ResourceState::kInSync;
      },
      kDeadline));
  // In sync, the endpoint plans nothing.
  const json last = json::parse(get_plan(backend).body());
  for (const auto& item : last.at("resources")) CHECK(item.value("actions", json::array()).empty());
  reconciler.stop();
}
