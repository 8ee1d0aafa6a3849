// The heal backlog the self-heal resource acts on (pure).

#include "agent/resources/self_heal_resource.hpp"

#include <catch2/catch.hpp>

#include "test/unit/support/test_data.hpp"

using pydio::agent::heal_backlog;
using pydio::common::GlusterHealBrick;

TEST_CASE("the heal backlog counts the bricks that answered", "[self_heal]") {
  SECTION("pending entries of connected bricks add up") {
    const std::vector<GlusterHealBrick> bricks = {
        {"198.18.0.1:/data/pydio-data", true, 3, 0},
        {"198.18.0.2:/data/pydio-data", true, 4, 1},
    };
    CHECK(heal_backlog(bricks) == 7);
  }
  SECTION("a brick that is not connected does not count, whatever it says") {
    const std::vector<GlusterHealBrick> bricks = {
        {"198.18.0.1:/data/pydio-data", true, 3, 0},
        {"198.18.0.2:/data/pydio-data", false, 50, 0},
    };
    CHECK(heal_backlog(bricks) == 3);
  }
  SECTION("nothing pending, or no brick at all: 0") {
    CHECK(heal_backlog({{"198.18.0.1:/data/pydio-data", true, 0, 0}}) == 0);
    CHECK(heal_backlog({}) == 0);
  }
  SECTION("on the handwritten heal summary fixture: the brick that is down adds nothing") {
    auto bricks = pydio::common::parse_heal_summary(
        pydio::test::recorded_output("gluster/volume_heal_info_summary.xml"));
    REQUIRE(bricks);
    CHECK(heal_backlog(*bricks) == 3);
  }
}
