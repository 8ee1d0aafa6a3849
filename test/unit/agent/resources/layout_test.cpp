// pydio-layout: which paths, and mkdir/chown planned from handwritten observations.
#include <catch2/catch.hpp>

#include "agent/resources/layout_resource.hpp"

using namespace pydio::agent;
using pydio::common::DesiredState;
using pydio::common::VolumeSpec;

namespace {

DesiredState tutorial_state() {
  DesiredState desired;
  VolumeSpec data;
  data.name = "pydio-data";
  data.mountpoint = "/mnt/pydio-data";
  VolumeSpec config;
  config.name = "pydio-config";
  config.mountpoint = "/mnt/pydio-config/";
  VolumeSpec other;
  other.name = "scratch";
  other.mountpoint = "/mnt/scratch";
  desired.volumes = {data, config, other};
  return desired;
}

LayoutObservation observe_all(const DesiredState& desired, bool exist, uid_t uid, gid_t gid) {
  LayoutObservation observed;
  observed.owner_name = "www-data:www-data";
  observed.uid = 33;
  observed.gid = 33;
  observed.leader_term = 6;
  for (const auto& dir : layout_dirs(desired)) {
    LayoutPathState state;
    state.dir = dir;
    state.exists = exist || dir.is_root;
    state.is_directory = state.exists;
    // Roots and the agent's folder as the agent makes them; `uid`/`gid` for the Pydio folders.
    state.uid = dir.root_owned ? 0 : uid;
    state.gid = dir.root_owned ? 0 : gid;
    state.mode = dir.mode != 0 ? dir.mode : 0750;
    observed.paths.push_back(state);
  }
  return observed;
}

}  // namespace

TEST_CASE("the layout is the two volume roots and their Pydio directories", "[layout]") {
  std::vector<std::string> paths;
  for (const auto& dir : layout_dirs(tutorial_state())) paths.push_back(dir.path);
  CHECK(paths == std::vector<std::string>{
                     "/mnt/pydio-config", "/mnt/pydio-config/appdata", "/mnt/pydio-config/cache",
                     "/mnt/pydio-config/log", "/mnt/pydio-config/pydio-agent", "/mnt/pydio-data",
                     "/mnt/pydio-data/public", "/mnt/pydio-data/common", "/mnt/pydio-data/users",
                     "/mnt/pydio-config/.web-probe", "/mnt/pydio-data/.web-probe"});
  DesiredState only_data;
  only_data.volumes = {tutorial_state().volumes[0]};
  CHECK(layout_dirs(only_data).size() == 5);
  CHECK(layout_dirs(DesiredState{}).empty());
}

TEST_CASE("pydio-layout plans mkdir and chown, never more", "[layout]") {
  const DesiredState desired = tutorial_state();

  SECTION("fresh volumes owned by root: the eight directories and the agent's folder") {
    auto plan = plan_layout(observe_all(desired, false, 0, 0));
    REQUIRE(plan.has_value());
    REQUIRE(plan->actions.size() == 9);
    CHECK(plan->actions[3].description ==
          "create /mnt/pydio-config/pydio-agent owned by root:root, mode 0700");
    const auto* agent = action_step<LayoutAction, CreateLayoutDir>(plan->actions[3]);
    REQUIRE(agent);
    CHECK(agent->uid == 0);
    CHECK(agent->mode == 0700);
    CHECK(plan->actions[0].kind == "mkdir");
    CHECK(plan->actions[0].description ==
          "create /mnt/pydio-config/appdata owned by www-data:www-data");
    REQUIRE(action_step<LayoutAction, CreateLayoutDir>(plan->actions[0]));
    CHECK(action_step<LayoutAction, CreateLayoutDir>(plan->actions[0])->mode == kWebDirMode);
  }
  SECTION("a tree made by an older agent: roots back to root 0755, the agent's folder to 0700") {
    auto observed = observe_all(desired, true, 33, 33);
    for (auto& state : observed.paths) {
      if (state.dir.is_root) state.uid = state.gid = 33;
      if (state.dir.path == "/mnt/pydio-config/pydio-agent") state.mode = 0755;
    }
    auto plan = plan_layout(observed);
    REQUIRE(plan.has_value());
    REQUIRE(plan->actions.size() == 3);
    CHECK(plan->actions[0].description ==
          "chown /mnt/pydio-config to root:root, mode 0755 (now 33:33 0755)");
    CHECK(plan->actions[1].description ==
          "chown /mnt/pydio-config/pydio-agent to root:root, mode 0700 (now 0:0 0755)");
    const auto* chown = action_step<LayoutAction, ChownLayoutDir>(plan->actions[1]);
    REQUIRE(chown);
    CHECK(chown->mode == 0700);
    CHECK(plan->actions[2].description ==
          "chown /mnt/pydio-data to root:root, mode 0755 (now 33:33 0755)");
  }
  SECTION("the agent's folder replaced by a symlink: an error, nothing followed") {
    auto observed = observe_all(desired, true, 33, 33);
    observed.paths[4].is_directory = false;
    auto plan = plan_layout(observed);
    REQUIRE_FALSE(plan.has_value());
    CHECK_THAT(plan.status().message(), Catch::StartsWith("/mnt/pydio-config/pydio-agent: exists"));
  }
  SECTION("fresh volumes: the first Pydio directory") {
    auto plan = plan_layout(observe_all(desired, false, 0, 0));
    REQUIRE(plan.has_value());
    REQUIRE(plan->actions.size() == 9);
    CHECK(plan->actions[0].kind == "mkdir");
    const auto* mkdir = action_step<LayoutAction, CreateLayoutDir>(plan->actions[0]);
    REQUIRE(mkdir);
    CHECK(mkdir->path == "/mnt/pydio-config/appdata");
    CHECK(mkdir->mountpoint == "/mnt/pydio-config");
    CHECK(mkdir->uid == 33);
    CHECK(mkdir->term == 6);
  }
  SECTION("converged: nothing") {
    auto plan = plan_layout(observe_all(desired, true, 33, 33));
    REQUIRE(plan.has_value());
    CHECK(plan->actions.empty());
  }
  SECTION("one directory chowned to root by hand: one chown") {
    auto observed = observe_all(desired, true, 33, 33);
    observed.paths[8].uid = 0;
    auto plan = plan_layout(observed);
    REQUIRE(plan.has_value());
    REQUIRE(plan->actions.size() == 1);
    CHECK(plan->actions[0].description ==
          "chown /mnt/pydio-data/users to www-data:www-data (now 0:33)");
  }
  SECTION("a file or symlink where a directory belongs: error naming it") {
    auto observed = observe_all(desired, true, 33, 33);
    observed.paths[6].is_directory = false;
    auto plan = plan_layout(observed);
    REQUIRE_FALSE(plan.has_value());
    CHECK(plan.status().message() ==
          "/mnt/pydio-data/public: exists and is not a directory; fix it by hand");
  }
  SECTION("mounts not healthy: their paths are not observed, the plan waits") {
    LayoutObservation observed;
    observed.not_ready = {"mount /mnt/pydio-config: hung (no answer for 3s)",
                          "mount /mnt/pydio-data: not-mounted"};
    auto plan = plan_layout(observed);
    REQUIRE(plan.has_value());
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for ==
          "mount /mnt/pydio-config: hung (no answer for 3s); mount /mnt/pydio-data: not-mounted");
  }
  SECTION("one mount healthy, the other not: the healthy one is worked on") {
    auto observed = observe_all(desired, false, 33, 33);
    observed.paths.resize(5);  // only pydio-config observed
    observed.not_ready = {"mount /mnt/pydio-data: not-mounted"};
    auto plan = plan_layout(observed);
    REQUIRE(plan.has_value());
    CHECK(plan->actions.size() == 4);
  }
}

TEST_CASE("the web user and group resolve on the node, never to root", "[layout]") {
  SECTION("www-data is accepted") {
    auto uid = resolve_web_user("www-data");
    REQUIRE(uid);
    CHECK(*uid != 0);
    auto gid = resolve_web_group("www-data");
    REQUIRE(gid);
    CHECK(*gid != 0);
  }
  SECTION("a name of uid or gid 0 is refused, naming the field") {
    // "root" stands for any other name of uid 0 (validation refuses "root" itself already).
    auto uid = resolve_web_user("root");
    REQUIRE_FALSE(uid);
    CHECK(uid.status().message() ==
          "web.user: 'root' is uid 0 (root) on this node; the web user must be an unprivileged "
          "account such as www-data");
    auto gid = resolve_web_group("root");
    REQUIRE_FALSE(gid);
    CHECK_THAT(gid.status().message(), Catch::StartsWith("web.group: 'root' is gid 0 (root)"));
  }
  SECTION("an unknown name is named") {
    auto uid = resolve_web_user("no-such-user-pydio");
    REQUIRE_FALSE(uid);
    CHECK(uid.status().message() == "web.user: unknown user 'no-such-user-pydio'");
  }
}
