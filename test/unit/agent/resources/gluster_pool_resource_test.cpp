// Planning of the gluster-pool resource (pure): which storage nodes the leader probes.

#include "agent/resources/gluster_pool_resource.hpp"

#include <catch2/catch.hpp>

#include "test/unit/support/test_data.hpp"

using pydio::agent::action_step;
using pydio::agent::GlusterPoolAction;
using pydio::agent::Plan;
using pydio::agent::plan_gluster_pool;
using pydio::agent::ProbePeer;
using pydio::common::GlusterPeer;

namespace {

// The recorded `pool list` of a lone node: itself, as "localhost".
std::vector<GlusterPeer> lone_pool() {
  auto peers =
      pydio::common::parse_pool_list(pydio::test::recorded_output("gluster/pool_list_single.xml"));
  REQUIRE(peers);
  return *peers;
}

GlusterPeer peer(const std::string& uuid, std::vector<std::string> names, bool connected) {
  GlusterPeer member;
  member.uuid = uuid;
  member.hostname = names.front();
  member.connected = connected;
  member.names = std::move(names);
  return member;
}

std::vector<std::string> descriptions(const Plan& plan) {
  std::vector<std::string> lines;
  for (const auto& action : plan.actions) lines.push_back(action.description);
  return lines;
}

}  // namespace

TEST_CASE("the leader probes the storage nodes its pool lacks", "[gluster_pool][plan]") {
  const std::vector<std::string> storage = {"198.18.0.1", "198.18.0.2", "198.18.0.3"};
  std::vector<GlusterPeer> pool = lone_pool();

  SECTION("a lone leader probes every other storage address, never itself") {
    const Plan plan = plan_gluster_pool(storage, "198.18.0.1", pool, 9);

    CHECK(descriptions(plan) == std::vector<std::string>{"probe 198.18.0.2 into the gluster pool",
                                                         "probe 198.18.0.3 into the gluster pool"});
    CHECK(plan.actions[0].kind == "probe-peer");
    const auto* probe = action_step<GlusterPoolAction, ProbePeer>(plan.actions[0]);
    REQUIRE(probe);
    CHECK(probe->address == "198.18.0.2");
    CHECK(probe->term == 9);
    CHECK(plan.waiting_for.empty());
  }
  SECTION("a member, connected or not, is not probed again") {
    pool.push_back(peer("u2", {"198.18.0.2"}, true));
    pool.push_back(peer("u3", {"198.18.0.3"}, false));

    const Plan plan = plan_gluster_pool(storage, "198.18.0.1", pool, 9);

    CHECK(plan.actions.empty());
    CHECK(plan.waiting_for.empty());
  }
  SECTION("a peer gluster also knows under a second name counts as a member") {
    pool.push_back(peer("u2", {"node2", "198.18.0.2"}, true));

    const Plan plan = plan_gluster_pool(storage, "198.18.0.1", pool, 9);

    CHECK(descriptions(plan) == std::vector<std::string>{"probe 198.18.0.3 into the gluster pool"});
  }
  SECTION("paired execution: once every probe is done, nothing is planned") {
    const Plan first = plan_gluster_pool(storage, "198.18.0.1", pool, 9);
    for (const auto& action : first.actions) {
      const auto* probe = action_step<GlusterPoolAction, ProbePeer>(action);
      REQUIRE(probe);
      pool.push_back(peer("u", {probe->address}, true));
    }

    CHECK(plan_gluster_pool(storage, "198.18.0.1", pool, 9).actions.empty());
  }
}
