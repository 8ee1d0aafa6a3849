// plan_data_brick() on handwritten observations of a loop device brick.
#include <catch2/catch.hpp>

#include "agent/resources/data_brick_resource.hpp"

using namespace pydio::agent;
using namespace pydio::common;

namespace {

DataBrickDesired desired_brick() {
  DataBrickDesired desired;
  desired.device = "/dev/loop3";
  desired.mountpoint = "/data";
  desired.brick_dirs = {"/data/pydio-data"};
  return desired;
}

// A blank device on a fresh node.
DataBrickObservation blank_device() {
  DataBrickObservation observed;
  observed.device_exists = true;
  observed.device_is_block = true;
  observed.device_major = 7;
  observed.device_minor = 3;
  observed.probe = BlockProbe{"/dev/loop3", {}};
  return observed;
}

// What the host looks like after each action of a plan ran (as apply() leaves it).
void simulate(DataBrickObservation& observed, const Plan& plan) {
  for (const auto& action : plan.actions) {
    if (action_step<DataBrickAction, FormatDevice>(action))
      observed.probe->signatures = {{BlockSignature::Kind::kSuperblock, "xfs", "", "u"}};
    if (action_step<DataBrickAction, MakeDeviceMountpoint>(action))
      observed.mountpoint_exists = true;
    if (const auto* fstab = action_step<DataBrickAction, SetFstabEntry>(action))
      observed.fstab_entries = {fstab->entry};
    if (action_step<DataBrickAction, RestrictMount>(action))
      observed.at_mountpoint->options += ",nosuid,nodev";
    if (action_step<DataBrickAction, MountDevice>(action)) {
      observed.at_mountpoint =
          MountEntry{80, 7, 3, "/", "/data", "xfs", "/dev/loop3", "rw,nosuid,nodev,noatime"};
      observed.device_mounted_at = {"/data"};
    }
  }
}

std::vector<std::string> kinds(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& action : plan.actions) out.push_back(action.kind);
  return out;
}

}  // namespace

TEST_CASE("a blank device is formatted, mounted, written to fstab and gets its brick dirs", "[data_brick]") {
  DataBrickObservation observed = blank_device();
  auto plan = plan_data_brick(desired_brick(), observed);
  REQUIRE(plan);
  CHECK(kinds(*plan) ==
        std::vector<std::string>{"format", "mkdir-mountpoint", "fstab", "mount", "mkdir-brick"});
  CHECK(plan->actions[0].description == "format blank device /dev/loop3 as xfs");
  CHECK(plan->actions[2].description ==
        "set fstab entry \"/dev/loop3 /data xfs defaults,noatime,inode64,nosuid,nodev 0 0\"");
  const auto* format = action_step<DataBrickAction, FormatDevice>(plan->actions[0]);
  REQUIRE(format);
  CHECK(format->device == "/dev/loop3");
  CHECK(format->filesystem == "xfs");
  const auto* mount = action_step<DataBrickAction, MountDevice>(plan->actions[3]);
  REQUIRE(mount);
  CHECK((mount->device == "/dev/loop3" && mount->mountpoint == "/data" &&
         mount->filesystem == "xfs"));
  const auto* mkdir = action_step<DataBrickAction, MakeBrickDirOnDevice>(plan->actions[4]);
  REQUIRE(mkdir);
  CHECK(mkdir->path == "/data/pydio-data");
  CHECK(mkdir->mountpoint == "/data");
  CHECK(mkdir->device == "/dev/loop3");

  SECTION("paired execution: after the actions the plan is empty") {
    simulate(observed, *plan);
    auto again = plan_data_brick(desired_brick(), observed);
    REQUIRE(again);
    CHECK(again->actions.empty());
    CHECK(again->waiting_for.empty());
  }
}

TEST_CASE("a device holding anything is refused and never touched", "[data_brick]") {
  DataBrickObservation observed = blank_device();
  SECTION("ext4 with a label") {
    observed.probe->signatures = {{BlockSignature::Kind::kSuperblock, "ext4", "olddata", "05f7"}};
    auto plan = plan_data_brick(desired_brick(), observed);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message() ==
          "device /dev/loop3 holds a ext4 filesystem (LABEL olddata, UUID 05f7); refusing to format it");
  }
  SECTION("a partition table") {
    observed.probe->signatures = {{BlockSignature::Kind::kPartitionTable, "dos", "", "ae17"}};
    auto plan = plan_data_brick(desired_brick(), observed);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message().find("holds a dos partition table") != std::string::npos);
  }
  SECTION("the probe failed") {
    observed.probe.reset();
    observed.probe_error = "probe /dev/loop3: Permission denied";
    auto plan = plan_data_brick(desired_brick(), observed);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message() == "probe /dev/loop3: Permission denied");
  }
}

TEST_CASE("an existing lone XFS is mounted, not formatted", "[data_brick]") {
  DataBrickObservation observed = blank_device();
  observed.probe->signatures = {{BlockSignature::Kind::kSuperblock, "xfs", "", "u"}};
  observed.mountpoint_exists = true;
  observed.fstab_entries = {data_brick_fstab_entry(desired_brick())};
  auto plan = plan_data_brick(desired_brick(), observed);
  REQUIRE(plan);
  CHECK(kinds(*plan) == std::vector<std::string>{"mount", "mkdir-brick"});
}

TEST_CASE("a mounted brick only gets what is missing", "[data_brick]") {
  DataBrickObservation observed = blank_device();
  observed.probe->signatures = {{BlockSignature::Kind::kSuperblock, "xfs", "", "u"}};
  observed.mountpoint_exists = true;
  observed.at_mountpoint =
      MountEntry{80, 7, 3, "/", "/data", "xfs", "/dev/loop3", "rw,nosuid,nodev,noatime"};
  observed.device_mounted_at = {"/data"};
  observed.fstab_entries = {data_brick_fstab_entry(desired_brick())};

  SECTION("converged: nothing to do") {
    auto plan = plan_data_brick(desired_brick(), observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
  }
  SECTION("a deleted brick dir is recreated") {
    observed.missing_brick_dirs = {"/data/pydio-data"};
    auto plan = plan_data_brick(desired_brick(), observed);
    REQUIRE(plan);
    CHECK(kinds(*plan) == std::vector<std::string>{"mkdir-brick"});
  }
  SECTION("a brick mounted without nosuid,nodev gets them by a bind remount, not a remount") {
    observed.at_mountpoint->options = "rw,noatime";
    observed.fstab_entries = {
        FstabEntry{"/dev/loop3", "/data", "xfs", "defaults,noatime,inode64", 0, 0}};
    auto plan = plan_data_brick(desired_brick(), observed);
    REQUIRE(plan);
    REQUIRE(kinds(*plan) == std::vector<std::string>{"fstab", "restrict-mount"});
    CHECK(plan->actions[0].description ==
          "set fstab entry \"/dev/loop3 /data xfs defaults,noatime,inode64,nosuid,nodev 0 0\"");
    CHECK(plan->actions[1].description ==
          "add nosuid,nodev to the brick mount at /data (bind remount: mount flags only, the "
          "brick keeps running)");
    const auto* restrict_step = action_step<DataBrickAction, RestrictMount>(plan->actions[1]);
    REQUIRE(restrict_step);
    CHECK(restrict_step->mountpoint == "/data");
    SECTION("paired execution: once the flags show, the plan is empty") {
      simulate(observed, *plan);
      auto again = plan_data_brick(desired_brick(), observed);
      REQUIRE(again);
      CHECK(again->actions.empty());
    }
  }
  SECTION("only nosuid is not enough") {
    observed.at_mountpoint->options = "rw,nosuid,noatime";
    auto plan = plan_data_brick(desired_brick(), observed);
    REQUIRE(plan);
    CHECK(kinds(*plan) == std::vector<std::string>{"restrict-mount"});
  }
  SECTION("a wrong fstab entry is rewritten, nothing remounted") {
    observed.fstab_entries = {FstabEntry{"/dev/loop3", "/data", "xfs", "defaults", 0, 2}};
    auto plan = plan_data_brick(desired_brick(), observed);
    REQUIRE(plan);
    CHECK(kinds(*plan) == std::vector<std::string>{"fstab"});
  }
}

TEST_CASE("mount conflicts are errors", "[data_brick]") {
  DataBrickObservation observed = blank_device();
  observed.probe->signatures = {{BlockSignature::Kind::kSuperblock, "xfs", "", "u"}};
  SECTION("another device at the mountpoint") {
    observed.at_mountpoint = MountEntry{80, 7, 9, "/", "/data", "ext4", "/dev/loop9", "rw"};
    auto plan = plan_data_brick(desired_brick(), observed);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message() ==
          "mountpoint /data holds /dev/loop9 (ext4), not /dev/loop3; refusing to mount over it");
  }
  SECTION("the device mounted elsewhere") {
    observed.device_mounted_at = {"/srv/old"};
    auto plan = plan_data_brick(desired_brick(), observed);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message() ==
          "device /dev/loop3 is mounted at /srv/old, not at /data; refusing to mount it twice");
  }
  SECTION("a missing device") {
    observed.device_exists = false;
    auto plan = plan_data_brick(desired_brick(), observed);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message() == "device /dev/loop3 does not exist");
  }
}
