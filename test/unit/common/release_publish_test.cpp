// What agentctl app publish proposes for the web section, and what a spec file may say about
// web.release and web.rollout (pure; the daemon's side is release_publisher.cpp).

#include "common/release_publish.hpp"

#include <catch2/catch.hpp>

using namespace pydio::common;

namespace {

const std::string kOld = "sha256:" + std::string(64, 'a');
const std::string kNew = "sha256:" + std::string(64, 'b');
const std::string kOlder = "sha256:" + std::string(64, 'c');

ReleaseSpec release(const std::string& sha, const std::string& version) {
  ReleaseSpec spec;
  spec.sha256 = sha;
  spec.version = version;
  spec.file = "pydio-core-" + version + ".tar.gz";
  spec.size = 1000;
  spec.published_at = 1800000000;
  return spec;
}

RolloutSpec rollout(const std::string& to, const std::string& from) {
  RolloutSpec spec;
  spec.release = to;
  spec.previous = from;
  return spec;
}

}  // namespace

TEST_CASE("the first release is installed by every node at once", "[release][publish]") {
  const PublishStep step = plan_publish(WebSpec{}, release(kNew, "8.2.5"));
  REQUIRE(step.outcome == PublishOutcome::kChange);
  REQUIRE(step.web.release);
  CHECK(step.web.release->sha256 == kNew);
  CHECK(step.web.release->version == "8.2.5");
  CHECK_FALSE(step.web.rollout);
  CHECK(releases_to_keep(step.web) == std::vector<std::string>{kNew});
}

TEST_CASE("a new release over one in force rolls out from it", "[release][publish]") {
  WebSpec web;
  web.release = release(kOld, "8.2.4");
  web.alias = "/files";  // the rest of the section is kept
  const PublishStep step = plan_publish(web, release(kNew, "8.2.5"));
  REQUIRE(step.outcome == PublishOutcome::kChange);
  CHECK(step.web.alias == "/files");
  CHECK(step.web.release->sha256 == kNew);
  REQUIRE(step.web.rollout);
  CHECK(step.web.rollout->release == kNew);
  CHECK(step.web.rollout->previous == kOld);
  CHECK(step.web.rollout->done.empty());
  CHECK(step.web.rollout->node.empty());
  CHECK(step.web.rollout->phase == RolloutPhase::kNone);
  CHECK(step.web.rollout->stopped.empty());
  CHECK(releases_to_keep(step.web) == std::vector<std::string>{kNew, kOld});
}

TEST_CASE("after a stopped rollout the new one starts from what the nodes ran before it",
          "[release][publish]") {
  WebSpec web;
  web.release = release(kOld, "8.2.5");  // the release that failed its check on n1
  web.rollout = rollout(kOld, kOlder);
  web.rollout->done = {};
  web.rollout->stopped = "n1: PHP Parse error";
  SECTION("a fixed release rolls out from the one the nodes still run") {
    const PublishStep step = plan_publish(web, release(kNew, "8.2.6"));
    REQUIRE(step.outcome == PublishOutcome::kChange);
    REQUIRE(step.web.rollout);
    CHECK(step.web.rollout->previous == kOlder);
    CHECK(step.web.rollout->stopped.empty());
    CHECK(releases_to_keep(step.web) == std::vector<std::string>{kNew, kOlder});
  }
  SECTION("publishing the release the nodes run again needs no rollout") {
    const PublishStep step = plan_publish(web, release(kOlder, "8.2.4"));
    REQUIRE(step.outcome == PublishOutcome::kChange);
    CHECK(step.web.release->sha256 == kOlder);
    CHECK_FALSE(step.web.rollout);
  }
}

TEST_CASE("publishing the release in force changes nothing", "[release][publish]") {
  WebSpec web;
  web.release = release(kNew, "8.2.5");
  ReleaseSpec again = release(kNew, "8.2.5");
  again.published_at += 60;
  CHECK(plan_publish(web, again).outcome == PublishOutcome::kAlreadyPublished);
}

TEST_CASE("publishing the release of a stopped rollout again starts that rollout over",
          "[release][publish]") {
  WebSpec web;
  web.release = release(kNew, "8.2.6");
  web.rollout = rollout(kNew, kOld);
  web.rollout->done = {"n1"};
  web.rollout->node = "n2";
  web.rollout->phase = RolloutPhase::kSwitching;
  web.rollout->stopped = "n2: no answer for 10s";
  ReleaseSpec again = release(kNew, "8.2.6");
  again.published_at += 600;
  const PublishStep step = plan_publish(web, again);
  REQUIRE(step.outcome == PublishOutcome::kChange);
  CHECK(step.web.release->sha256 == kNew);
  REQUIRE(step.web.rollout);
  CHECK(step.web.rollout->release == kNew);
  CHECK(step.web.rollout->previous == kOld);
  CHECK(step.web.rollout->done.empty());
  CHECK(step.web.rollout->node.empty());
  CHECK(step.web.rollout->phase == RolloutPhase::kNone);
  CHECK(step.web.rollout->stopped.empty());
  CHECK(step.web.rollout->since == again.published_at);
}

TEST_CASE("publishing is refused while a rollout runs or Pydio is operator-installed",
          "[release][publish]") {
  WebSpec web;
  web.release = release(kOld, "8.2.5");
  SECTION("a rollout under way names its release, node and phase") {
    web.rollout = rollout(kOld, kOlder);
    web.rollout->node = "n2";
    web.rollout->phase = RolloutPhase::kDraining;
    const PublishStep step = plan_publish(web, release(kNew, "8.2.6"));
    CHECK(step.outcome == PublishOutcome::kRefused);
    CHECK(step.reason ==
          "a rollout of 8.2.5 (sha256:aaaaaaaaaaaa\u2026) is under way (n2 "
          "draining); publish again when it finishes or stops");
  }
  SECTION("between two nodes") {
    web.rollout = rollout(kOld, kOlder);
    web.rollout->done = {"n1"};
    const PublishStep step = plan_publish(web, release(kNew, "8.2.6"));
    CHECK(step.outcome == PublishOutcome::kRefused);
    CHECK(step.reason.find("(1 done, between nodes)") != std::string::npos);
  }
  SECTION("even the same release is refused: nothing may change under a rollout") {
    web.rollout = rollout(kOld, kOlder);
    CHECK(plan_publish(web, release(kOld, "8.2.5")).outcome == PublishOutcome::kRefused);
  }
  SECTION("web.installDir or web.confDir") {
    WebSpec installed;
    installed.install_dir = "/opt/pydio";
    PublishStep step = plan_publish(installed, release(kNew, "8.2.5"));
    CHECK(step.outcome == PublishOutcome::kRefused);
    CHECK(step.reason.find("web.installDir is set") == 0);
    installed.install_dir.clear();
    installed.conf_dir = "/etc/pydio";
    step = plan_publish(installed, release(kNew, "8.2.5"));
    CHECK(step.outcome == PublishOutcome::kRefused);
    CHECK(step.reason.find("web.confDir is set") == 0);
  }
}

TEST_CASE("a spec may omit web.release and web.rollout or repeat them exactly",
          "[release][publish]") {
  WebSpec in_force;
  in_force.release = release(kOld, "8.2.5");
  in_force.rollout = rollout(kOld, kOlder);
  SECTION("omitted or repeated: accepted") {
    CHECK(release_members_problem(WebSpec{}, &in_force).empty());
    CHECK(release_members_problem(in_force, &in_force).empty());
  }
  SECTION("a release of the spec's own is refused naming the member") {
    WebSpec listed;
    listed.release = release(kNew, "8.2.6");
    const auto problems = release_members_problem(listed, &in_force);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find("web.release: managed by agentctl app publish, not by a spec") == 0);
    CHECK(problems[0].find("remove the release member") != std::string::npos);
  }
  SECTION("a stale copy of the rollout is refused") {
    WebSpec listed = in_force;
    listed.rollout->done = {"n1"};
    const auto problems = release_members_problem(listed, &in_force);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find("web.rollout: ") == 0);
  }
  SECTION("at init nothing is in force: any release or rollout is refused") {
    CHECK(release_members_problem(WebSpec{}, nullptr).empty());
    const auto problems = release_members_problem(in_force, nullptr);
    REQUIRE(problems.size() == 2);
    CHECK(problems[0].find("(none is)") != std::string::npos);
  }
}

TEST_CASE("a release is named by the start of its hash", "[release][publish]") {
  CHECK(short_sha(kOld) == "sha256:aaaaaaaaaaaa\u2026");
  CHECK(short_sha("nonsense") == "nonsense");
}

TEST_CASE("the archive's file name must be one the desired state can hold", "[release][publish]") {
  CHECK_FALSE(release_file_problem("pydio-core-8.2.5.tar.gz"));
  CHECK(release_file_problem("my release (1).tar.gz"));
  CHECK(release_file_problem(".hidden.tar.gz"));
  CHECK(release_file_problem(""));
}

TEST_CASE("the proposed web section passes the desired state's own checks", "[release][publish]") {
  DesiredState state;
  WebSpec web;
  web.release = release(kOld, "8.2.4");
  PublishStep step = plan_publish(web, release(kNew, "8.2.5"));
  REQUIRE(step.outcome == PublishOutcome::kChange);
  // Only the web lines matter here: the rest of this state is empty.
  state.web = step.web;
  for (const auto& error : validate_desired_state(state)) CHECK(error.rfind("web.", 0) != 0);
}

TEST_CASE("only the stored archives no release needs are pruned", "[release][publish]") {
  const std::string a = std::string(64, 'a') + ".tar.gz";
  const std::string b = std::string(64, 'b') + ".tar.gz";
  const std::string c = std::string(64, 'c') + ".tar.gz";
  const std::vector<std::string> names = {
      ".", "..", a, b, c, ".publish-42.partial", "notes.txt", std::string(64, 'A') + ".tar.gz"};
  CHECK(archives_to_prune(names, {kNew, kOld}) == std::vector<std::string>{c});
  CHECK(archives_to_prune(names, {}) == std::vector<std::string>{a, b, c});
}
