// format_decision() on probes shaped like what libblkid reported for real loop devices
// (blank, ext4 with a label, `echo 'label: dos' | sfdisk`, mkfs.xfs).
#include <catch2/catch.hpp>

#include "common/block_probe.hpp"

using namespace pydio::common;
using Kind = BlockSignature::Kind;

namespace {
BlockProbe probe_with(std::vector<BlockSignature> signatures) {
  return BlockProbe{"/dev/loop3", std::move(signatures)};
}
}  // namespace

TEST_CASE("a device is formatted only when nothing at all was found", "[block_probe]") {
  SECTION("blank: format") {
    auto decision = format_decision(probe_with({}), "xfs");
    CHECK(decision.kind == FormatDecision::Kind::kFormat);
    CHECK(decision.reason.empty());
  }
  SECTION("the wanted filesystem alone: use it, never format") {
    auto decision = format_decision(probe_with({{Kind::kSuperblock, "xfs", "", "1234"}}), "xfs");
    CHECK(decision.kind == FormatDecision::Kind::kUseExisting);
  }
  SECTION("another filesystem: refuse, naming it") {
    auto decision = format_decision(
        probe_with({{Kind::kSuperblock, "ext4", "olddata", "05f7de05-aae9"}}), "xfs");
    CHECK(decision.kind == FormatDecision::Kind::kRefuse);
    CHECK(decision.reason ==
          "device /dev/loop3 holds a ext4 filesystem (LABEL olddata, UUID 05f7de05-aae9); "
          "refusing to format it");
  }
  SECTION("a partition table, even an empty one: refuse") {
    auto decision = format_decision(probe_with({{Kind::kPartitionTable, "dos", "", "ae176862"}}), "xfs");
    CHECK(decision.kind == FormatDecision::Kind::kRefuse);
    CHECK(decision.reason ==
          "device /dev/loop3 holds a dos partition table (PTUUID ae176862); refusing to format it");
  }
  SECTION("the wanted filesystem next to another signature: refuse, naming both") {
    auto decision = format_decision(probe_with({{Kind::kSuperblock, "xfs", "", ""},
                                                {Kind::kPartitionTable, "gpt", "", ""}}),
                                    "xfs");
    CHECK(decision.kind == FormatDecision::Kind::kRefuse);
    CHECK(decision.reason ==
          "device /dev/loop3 holds a xfs filesystem and a gpt partition table; refusing to format it");
  }
}

TEST_CASE("probing a missing device fails with its path", "[block_probe]") {
  auto probe = probe_block_device("/nonexistent/device");
  REQUIRE_FALSE(probe);
  CHECK(probe.status().message() == "probe /nonexistent/device: No such file or directory");
}
