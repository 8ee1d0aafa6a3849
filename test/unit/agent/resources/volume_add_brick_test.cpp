// The volume resource's add-brick step when glusterd commits it here and fails on the peer of
// the new bricks, on answers recorded from glusterd 10.3 (test/data/gluster/record-probe.sh,
// phase 4: the new bricks could not start on 198.18.0.5). glusterd commits on the originator
// first, so the bricks are then in the volume: the step must say so and never add them again.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

#include "agent/resources/volume_resource.hpp"
#include "test/unit/support/test_data.hpp"

using namespace pydio;

namespace {

std::string recorded(const std::string& name) {
  return pydio::test::recorded_output("gluster/" + name);
}

// `volume info v1` before the add: the recorded answer after it, without the two new bricks.
std::string info_before_add() {
  std::string xml = recorded("volume_info_commit_failed.xml");
  std::string kept;
  std::size_t start = 0;
  while (start < xml.size()) {
    std::size_t end = xml.find('\n', start);
    if (end == std::string::npos) end = xml.size() - 1;
    const std::string line = xml.substr(start, end - start + 1);
    if (line.find("198.18.0.5:") == std::string::npos) kept += line;
    start = end + 1;
  }
  kept.replace(kept.find("<brickCount>4</brickCount>"), 26, "<brickCount>2</brickCount>");
  return kept;
}

// Answers gluster as the recorded cluster did; counts the add-brick calls.
class RecordedGluster : public common::ProcessRunner {
 public:
  common::RunResult run(const common::Command& command) override {
    common::RunResult result;
    result.exit_code = 0;
    const auto has = [&](const std::string& word) {
      return std::find(command.argv.begin(), command.argv.end(), word) != command.argv.end();
    };
    if (has("add-brick")) {
      ++add_brick_calls;
      committed_here = true;
      result.out = recorded("volume_add_brick_commit_failed.xml");
    } else if (has("info")) {
      result.out = committed_here ? recorded("volume_info_commit_failed.xml") : info_before_add();
    } else {
      result.exit_code = 1;
      result.err = "unexpected command";
    }
    return result;
  }
  common::Expected<int> spawn_detached(const std::vector<std::string>&, const std::string&,
                                       const std::map<std::string, std::string>&) override {
    return common::Status::error("not used");
  }

  bool committed_here = false;
  int add_brick_calls = 0;
};

}  // namespace

TEST_CASE("an add-brick that failed on a peer after committing here is not repeated",
          "[volume][scale-out]") {
  RecordedGluster gluster;
  agent::PassContext ctx;
  ctx.runner = &gluster;
  ctx.is_leader = true;
  ctx.leader_term = 7;
  agent::VolumeResource volume("v1", {"data-brick/data"});
  const agent::Action add = agent::make_action<agent::VolumeAction>(
      "add 1 replica set to volume v1: 198.18.0.5:/srv/b1/v1 198.18.0.5:/srv/b2/v1",
      agent::AddBricks{"v1", 2, 0, {"198.18.0.5:/srv/b1/v1", "198.18.0.5:/srv/b2/v1"}, true, 7});

  common::Status first = volume.apply(ctx, add);

  CHECK_FALSE(first);
  CHECK(first.message() ==
        "gluster volume add-brick v1: Commit failed on 198.18.0.5. Please check log file for "
        "details. (the bricks are in the volume on this node: not adding them again; offline "
        "bricks are started by the next passes, then the rebalance)");
  CHECK(gluster.add_brick_calls == 1);

  // The same step again (a retry): the volume lists the bricks, nothing is run.
  common::Status again = volume.apply(ctx, add);

  CHECK(again);
  CHECK(gluster.add_brick_calls == 1);
}
