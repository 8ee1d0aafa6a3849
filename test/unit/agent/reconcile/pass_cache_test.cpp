// One `gluster volume status all` per round serves every volume resource of the round.

#include "agent/reconcile/pass_cache.hpp"

#include <catch2/catch.hpp>

#include "test/unit/support/test_data.hpp"

using namespace pydio::agent;
using pydio::common::Command;
using pydio::common::RunResult;

namespace {

// Answers `volume status all` and `volume info` with recorded two-volume outputs and counts
// the calls.
class CountingGluster : public pydio::common::ProcessRunner {
 public:
  RunResult run(const Command& command) override {
    ++calls;
    last_args.assign(command.argv.begin() + 4, command.argv.end());  // after "--xml --"
    RunResult result;
    result.exit_code = 0;
    result.out = pydio::test::recorded_output(last_args == std::vector<std::string>{"volume", "info"}
                                                  ? "gluster/volume_info_all.xml"
                                                  : "gluster/volume_status_all_brick_down.xml");
    return result;
  }
  pydio::common::Expected<int> spawn_detached(const std::vector<std::string>&, const std::string&,
                                              const std::map<std::string, std::string>&) override {
    return pydio::common::Status::error("not in this test");
  }
  int calls = 0;
  std::vector<std::string> last_args;
};

}  // namespace

TEST_CASE("the round's volume status is read once for every volume", "[pass_cache]") {
  CountingGluster gluster;
  PassContext ctx;
  ctx.runner = &gluster;
  ctx.cache = std::make_shared<PassCache>();
  auto arb = observed_volume_status(ctx, "pydio-arb", std::chrono::seconds(5));
  auto data = observed_volume_status(ctx, "pydio-data", std::chrono::seconds(5));
  REQUIRE(arb);
  REQUIRE(data);
  CHECK(arb->name == "pydio-arb");
  CHECK(data->name == "pydio-data");
  CHECK(gluster.calls == 1);
  CHECK(gluster.last_args == std::vector<std::string>{"volume", "status", "all"});

  SECTION("a volume the answer does not list is an error naming it") {
    auto missing = observed_volume_status(ctx, "pydio-config", std::chrono::seconds(5));
    REQUIRE_FALSE(missing);
    CHECK_THAT(missing.status().message(), Catch::Contains("pydio-config"));
    CHECK(gluster.calls == 1);
  }
  SECTION("the next round reads it again") {
    ctx.cache = std::make_shared<PassCache>();
    (void)observed_volume_status(ctx, "pydio-arb", std::chrono::seconds(5));
    CHECK(gluster.calls == 2);
  }
}

TEST_CASE("the round's volume info is read once for every volume", "[pass_cache]") {
  CountingGluster gluster;
  PassContext ctx;
  ctx.runner = &gluster;
  ctx.cache = std::make_shared<PassCache>();
  auto arb = observed_volume_info(ctx, "pydio-arb");
  auto data = observed_volume_info(ctx, "pydio-data");
  auto none = observed_volume_info(ctx, "pydio-config");
  REQUIRE(arb);
  REQUIRE(data);
  REQUIRE(none);
  REQUIRE(arb->has_value());
  REQUIRE(data->has_value());
  CHECK((*arb)->name == "pydio-arb");
  CHECK((*data)->started());
  CHECK_FALSE(none->has_value());  // gluster has no such volume
  CHECK(gluster.calls == 1);
  CHECK(gluster.last_args == std::vector<std::string>{"volume", "info"});
}
