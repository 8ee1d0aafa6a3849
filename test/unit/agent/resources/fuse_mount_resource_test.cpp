// plan_fuse_mount() and the volfile-server choice, on handwritten observations.
#include <catch2/catch.hpp>

#include "agent/resources/fuse_mount_resource.hpp"

using namespace pydio::agent;
using namespace pydio::common;

namespace {

FuseMountDesired two_servers() {
  return FuseMountDesired{"pydio-data", "/mnt/pydio-data", "198.18.0.1", {"198.18.0.2", "198.18.0.3"}};
}

MountEntry glusterfs_mount(int id = 70) {
  return MountEntry{id, 0, 45, "/", "/mnt/pydio-data", "fuse.glusterfs", "198.18.0.1:/pydio-data",
                    "rw,nosuid,nodev,relatime,user_id=0,group_id=0,default_permissions,allow_other"};
}

std::vector<std::string> kinds(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& action : plan.actions) out.push_back(action.kind);
  return out;
}

NodeSpec node(const std::string& name, const std::string& address, std::vector<Role> roles) {
  NodeSpec spec;
  spec.name = name;
  spec.address = address;
  spec.roles = std::move(roles);
  return spec;
}

}  // namespace

TEST_CASE("the fstab entry carries _netdev, nosuid, nodev and the backup volfile servers",
          "[fuse_mount]") {
  CHECK(format_fstab_line(fuse_mount_fstab_entry(two_servers())) ==
        "198.18.0.1:/pydio-data /mnt/pydio-data glusterfs "
        "defaults,_netdev,nosuid,nodev,backup-volfile-servers=198.18.0.2:198.18.0.3 0 0");
  FuseMountDesired alone{"pydio-data", "/mnt/pydio-data", "198.18.0.1", {}};
  CHECK(fuse_mount_fstab_entry(alone).options == "defaults,_netdev,nosuid,nodev");
}

TEST_CASE("the volfile server is this node when it stores, else the first storage node", "[fuse_mount]") {
  DesiredState state;
  state.nodes = {node("s1", "198.18.0.1", {Role::kStorage}), node("s2", "198.18.0.2", {Role::kStorage, Role::kCompute}),
                 node("web", "198.18.0.9", {Role::kCompute})};
  VolumeSpec volume;
  volume.name = "pydio-data";
  volume.mountpoint = "/mnt/pydio-data/";

  auto on_web = fuse_mount_desired(state, state.nodes[2], volume);
  REQUIRE(on_web);
  CHECK(on_web->server == "198.18.0.1");
  CHECK(on_web->backup_servers == std::vector<std::string>{"198.18.0.2"});
  CHECK(on_web->mountpoint == "/mnt/pydio-data");

  auto on_s2 = fuse_mount_desired(state, state.nodes[1], volume);
  REQUIRE(on_s2);
  CHECK(on_s2->server == "198.18.0.2");
  CHECK(on_s2->backup_servers == std::vector<std::string>{"198.18.0.1"});

  state.nodes = {node("web", "198.18.0.9", {Role::kCompute})};
  CHECK_FALSE(fuse_mount_desired(state, state.nodes[0], volume));
}

TEST_CASE("an unmounted volume is mounted and written to fstab", "[fuse_mount]") {
  FuseMountObservation observed;
  observed.health.health = MountHealth::kNotMounted;
  auto plan = plan_fuse_mount(two_servers(), observed);
  REQUIRE(plan);
  CHECK(kinds(*plan) == std::vector<std::string>{"fstab", "mkdir-mountpoint", "mount"});
  CHECK(plan->actions[2].description == "mount 198.18.0.1:/pydio-data at /mnt/pydio-data (glusterfs)");
  const auto* fstab = action_step<FuseMountAction, SetFstabEntry>(plan->actions[0]);
  REQUIRE(fstab);
  CHECK(fstab->entry.options ==
        "defaults,_netdev,nosuid,nodev,backup-volfile-servers=198.18.0.2:198.18.0.3");
  const auto* mount = action_step<FuseMountAction, MountVolume>(plan->actions[2]);
  REQUIRE(mount);
  CHECK(mount->source == "198.18.0.1:/pydio-data");
  CHECK(mount->mountpoint == "/mnt/pydio-data");
  CHECK(mount->backup_servers == std::vector<std::string>{"198.18.0.2", "198.18.0.3"});

  SECTION("paired execution: once mounted (health not probed yet, or still stale) nothing is left") {
    observed.fstab_entries = {fuse_mount_fstab_entry(two_servers())};
    observed.mount = glusterfs_mount();
    observed.fresh_mount = true;
    for (MountHealth stale : {MountHealth::kUnknown, MountHealth::kNotMounted, MountHealth::kOk}) {
      observed.health.health = stale;
      auto again = plan_fuse_mount(two_servers(), observed);
      REQUIRE(again);
      CHECK(again->actions.empty());
    }
  }
}

TEST_CASE("a broken or hung mount is remounted, unless it is the mount just made", "[fuse_mount]") {
  FuseMountObservation observed;
  observed.fstab_entries = {fuse_mount_fstab_entry(two_servers())};
  observed.mount = glusterfs_mount();
  observed.health = MountProbe{"/mnt/pydio-data", MountHealth::kHung, "no answer for 3s", ""};

  auto plan = plan_fuse_mount(two_servers(), observed);
  REQUIRE(plan);
  REQUIRE(kinds(*plan) == std::vector<std::string>{"remount"});
  CHECK(plan->actions[0].description.find("lazy unmount (umount -l) then mount") != std::string::npos);
  CHECK(plan->actions[0].description.find("hung (no answer for 3s)") != std::string::npos);
  const auto* remount = action_step<FuseMountAction, RemountVolume>(plan->actions[0]);
  REQUIRE(remount);
  CHECK(remount->mount.source == "198.18.0.1:/pydio-data");
  CHECK(remount->mount.mountpoint == "/mnt/pydio-data");

  observed.health.health = MountHealth::kBroken;
  REQUIRE(plan_fuse_mount(two_servers(), observed));
  CHECK(kinds(*plan_fuse_mount(two_servers(), observed)) == std::vector<std::string>{"remount"});

  observed.fresh_mount = true;
  auto fresh = plan_fuse_mount(two_servers(), observed);
  REQUIRE(fresh);
  CHECK(fresh->actions.empty());
  CHECK(fresh->waiting_for == "a health probe of the new mount at /mnt/pydio-data");
}

TEST_CASE("something else at the mountpoint is never mounted over", "[fuse_mount]") {
  FuseMountObservation observed;
  SECTION("another filesystem") {
    observed.mount = MountEntry{63, 7, 3, "/", "/mnt/pydio-data", "xfs", "/dev/loop3", "rw"};
    auto plan = plan_fuse_mount(two_servers(), observed);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message() ==
          "mountpoint /mnt/pydio-data holds /dev/loop3 (xfs), not the glusterfs volume pydio-data; "
          "refusing to mount over it");
  }
  SECTION("another volume") {
    observed.mount = glusterfs_mount();
    observed.mount->source = "198.18.0.1:/pydio-config";
    auto plan = plan_fuse_mount(two_servers(), observed);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message().find("holds glusterfs volume pydio-config") != std::string::npos);
  }
  SECTION("the same volume from another server is fine") {
    observed.mount = glusterfs_mount();
    observed.mount->source = "198.18.0.2:/pydio-data";
    observed.fstab_entries = {fuse_mount_fstab_entry(two_servers())};
    observed.health.health = MountHealth::kOk;
    auto plan = plan_fuse_mount(two_servers(), observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
  }
}

TEST_CASE("a mount without nosuid,nodev gets them in place while it answers", "[fuse_mount]") {
  FuseMountObservation observed;
  observed.fstab_entries = {fuse_mount_fstab_entry(two_servers())};
  observed.mount = glusterfs_mount();
  observed.mount->options = "rw,relatime,user_id=0,group_id=0,default_permissions,allow_other";
  observed.health = MountProbe{"/mnt/pydio-data", MountHealth::kOk, ""};

  SECTION("an answering mount: a bind remount of its flags, nothing unmounted") {
    auto plan = plan_fuse_mount(two_servers(), observed);
    REQUIRE(plan);
    REQUIRE(kinds(*plan) == std::vector<std::string>{"restrict-mount"});
    CHECK(plan->actions[0].description ==
          "add nosuid,nodev to the mount at /mnt/pydio-data (bind remount: mount flags only, "
          "open files stay)");
    const auto* step = action_step<FuseMountAction, RestrictMount>(plan->actions[0]);
    REQUIRE(step);
    CHECK(step->mountpoint == "/mnt/pydio-data");
  }
  SECTION("only one of them is not enough") {
    observed.mount->options = "rw,nosuid,relatime";
    auto plan = plan_fuse_mount(two_servers(), observed);
    REQUIRE(plan);
    CHECK(kinds(*plan) == std::vector<std::string>{"restrict-mount"});
  }
  SECTION("health not known yet: a note, nothing done") {
    observed.health.health = MountHealth::kUnknown;
    auto plan = plan_fuse_mount(two_servers(), observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->note ==
          "mount /mnt/pydio-data lacks nosuid,nodev; they are added once its health probe answers");
  }
  SECTION("hung: the remount mounts afresh (with the flags)") {
    observed.health.health = MountHealth::kHung;
    auto plan = plan_fuse_mount(two_servers(), observed);
    REQUIRE(plan);
    CHECK(kinds(*plan) == std::vector<std::string>{"remount"});
  }
  SECTION("paired execution: with them, nothing to do") {
    observed.mount->options = "rw,nosuid,nodev,relatime";
    auto plan = plan_fuse_mount(two_servers(), observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->note.empty());
  }
  SECTION("an option that merely contains the word does not count") {
    observed.mount->options = "rw,x-nosuid,nodevx";
    CHECK_FALSE(has_fuse_mount_flags(*observed.mount));
  }
}
