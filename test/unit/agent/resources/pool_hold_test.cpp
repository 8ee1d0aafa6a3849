// Which peers hold back a volume transaction (pool_hold.hpp): pure, on `pool list` answers
// recorded from glusterd 10.3 while a peer joined (test/data/gluster/record-probe.sh).

#include "agent/resources/pool_hold.hpp"

#include <catch2/catch.hpp>

#include "test/unit/support/test_data.hpp"

using namespace pydio;

namespace {

std::vector<common::GlusterPeer> recorded_pool(const std::string& name) {
  auto peers = common::parse_pool_list(pydio::test::recorded_output("gluster/" + name));
  REQUIRE(peers);
  return *peers;
}

}  // namespace

TEST_CASE("a peer that is connected but not yet Peer in Cluster holds volume changes back",
          "[volume][pool-hold]") {
  SECTION("recorded 0.1 s after the probe: joining") {
    auto hold = agent::pool_hold(recorded_pool("pool_list_state4.xml"), {}, "198.18.0.1");
    CHECK_FALSE(hold.empty());
    CHECK(hold.down.empty());
    REQUIRE(hold.joining.size() == 1);
    CHECK(hold.joining[0].host == "198.18.0.2");
    CHECK(hold.joining[0].state == "Accepted peer request");
    CHECK(hold.waiting_text() ==
          "peer 198.18.0.2 to finish joining the trusted pool (state: Accepted peer request)");
    CHECK(hold.until_text() ==
          "peer 198.18.0.2 finishes joining the trusted pool (state: Accepted peer request)");
  }
  SECTION("recorded 1.6 s after the probe: in the cluster, nothing holds") {
    auto hold = agent::pool_hold(recorded_pool("pool_list_state3.xml"),
                                 {"198.18.0.1", "198.18.0.2"}, "198.18.0.1");
    CHECK(hold.empty());
    CHECK(hold.waiting_text().empty());
  }
}

TEST_CASE("disconnected members and brick hosts outside the pool hold volume changes back",
          "[volume][pool-hold]") {
  std::vector<common::GlusterPeer> pool = recorded_pool("pool_list_state3.xml");

  SECTION("a disconnected member keeps the wording status already shows") {
    pool[0].connected = false;
    auto hold = agent::pool_hold(pool, {}, "198.18.0.1");
    CHECK(hold.down == std::vector<std::string>{"198.18.0.2"});
    CHECK(hold.joining.empty());  // disconnected is reported as such, whatever its state
    CHECK(hold.waiting_text() == "peers 198.18.0.2 to reconnect");
    CHECK(hold.until_text() == "peers 198.18.0.2 reconnect");
  }
  SECTION("brick hosts no member is known as are absent; this node never is") {
    pool[0].names.push_back("node2");
    auto hold = agent::pool_hold(
        pool, {"198.18.0.1", "node2", "198.18.0.5", "198.18.0.6", "198.18.0.5"}, "198.18.0.1");
    CHECK(hold.absent == std::vector<std::string>{"198.18.0.5", "198.18.0.6"});
    CHECK(hold.waiting_text() == "peers 198.18.0.5, 198.18.0.6 to join the trusted pool");
    CHECK(hold.until_text() == "peers 198.18.0.5, 198.18.0.6 join the trusted pool");
  }
  SECTION("no pool read (empty list): nobody counts as absent") {
    auto hold = agent::pool_hold({}, {"198.18.0.1", "198.18.0.2"}, "198.18.0.1");
    CHECK(hold.empty());
  }
  SECTION("several reasons are joined") {
    pool[0].connected = false;
    auto hold = agent::pool_hold(pool, {"198.18.0.7"}, "198.18.0.1");
    CHECK(hold.waiting_text() ==
          "peers 198.18.0.2 to reconnect and peer 198.18.0.7 to join the trusted pool");
  }
}
