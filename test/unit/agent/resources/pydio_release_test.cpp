// pydio-release: the pure plan and report on recorded observations, the check's verdicts, and
// the whole resource on real files in a temporary directory (real tar, fake reload and check):
// after apply, observe and plan again give an empty plan.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/host/release_fetch.hpp"
#include "agent/host/release_links.hpp"
#include "agent/resources/pydio_release_resource.hpp"
#include "test/unit/support/release_archive.hpp"
#include "test/unit/support/temp_dir.hpp"

using namespace pydio::agent;
using pydio::common::Status;
namespace fs = std::filesystem;

namespace {

const std::string kShaA = "sha256:" + std::string(64, 'a');
const std::string kShaB = "sha256:" + std::string(64, 'b');

PydioReleaseObservation serving_a() {
  PydioReleaseObservation observed;
  observed.target = {kShaA, ""};
  observed.installed = {{"aaaaaaaaaaaa", kShaA, "fixture-1"}};
  observed.current_id = "aaaaaaaaaaaa";
  observed.release_names = {"aaaaaaaaaaaa"};
  observed.cache_names = {"aaaaaaaaaaaa"};
  observed.dirs = {"/var/www/pydio/releases", "/var/cache/pydio", "/var/lib/pydio-agent/releases"};
  observed.archive_source_dir = "/mnt/pydio-config/pydio-agent/releases";
  return observed;
}

std::vector<std::string> kinds(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& action : plan.actions) out.push_back(action.kind);
  return out;
}

}  // namespace

TEST_CASE("pydio-release plans stage, switch and prune from the target", "[pydio_release]") {
  SECTION("serving the target: empty plan and the status line") {
    auto plan = plan_pydio_release(serving_a());
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->note ==
          "release fixture-1 (sha256:aaaaaaaa\u2026) current, previous \u2014, staged \u2014");
  }
  SECTION("a new target: stage it, switch, keep the old one as previous") {
    PydioReleaseObservation observed = serving_a();
    observed.target = {kShaB, ""};
    observed.known_versions[kShaB] = "fixture-2";
    observed.published = {kShaB};
    auto plan = plan_pydio_release(observed);
    REQUIRE(plan);
    CHECK(kinds(*plan) == std::vector<std::string>{"stage-release", "switch-release"});
    CHECK(plan->actions[1].description.find("switch from release fixture-1 to fixture-2") == 0);
    SECTION("after apply (paired execution): empty") {
      observed.installed.push_back({"bbbbbbbbbbbb", kShaB, "fixture-2"});
      observed.release_names = {"aaaaaaaaaaaa", "bbbbbbbbbbbb"};
      observed.cache_names = {"aaaaaaaaaaaa", "bbbbbbbbbbbb"};
      observed.current_id = "bbbbbbbbbbbb";
      observed.previous_id = "aaaaaaaaaaaa";
      auto after = plan_pydio_release(observed);
      REQUIRE(after);
      CHECK(after->actions.empty());
      CHECK(after->note ==
            "release fixture-2 (sha256:bbbbbbbb\u2026) current, previous fixture-1, staged \u2014");
    }
  }
  SECTION("the archive not on pydio-config yet: waiting, no switch") {
    PydioReleaseObservation observed = serving_a();
    observed.target = {kShaB, ""};
    auto plan = plan_pydio_release(observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.find("/mnt/pydio-config/pydio-agent/releases/" + std::string(64, 'b') +
                                 ".tar.gz on pydio-config") != std::string::npos);
  }
  SECTION("a rollout stages the next release without switching") {
    PydioReleaseObservation observed = serving_a();
    observed.target = {kShaA, kShaB};
    observed.published = {kShaB};
    auto plan = plan_pydio_release(observed);
    REQUIRE(plan);
    CHECK(kinds(*plan) == std::vector<std::string>{"stage-release"});
  }
  SECTION("a third release prunes the one before the previous") {
    PydioReleaseObservation observed = serving_a();
    const std::string sha_c = "sha256:" + std::string(64, 'c');
    observed.installed.push_back({"bbbbbbbbbbbb", kShaB, "fixture-2"});
    observed.installed.push_back({"cccccccccccc", sha_c, "fixture-3"});
    observed.release_names = {"aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"};
    observed.current_id = "bbbbbbbbbbbb";
    observed.previous_id = "aaaaaaaaaaaa";
    observed.target = {sha_c, ""};
    auto plan = plan_pydio_release(observed);
    REQUIRE(plan);
    CHECK(kinds(*plan) == std::vector<std::string>{"switch-release", "prune-releases"});
    CHECK(plan->actions[1].description ==
          "remove releases no longer needed: /var/www/pydio/releases/aaaaaaaaaaaa, "
          "/var/cache/pydio/aaaaaaaaaaaa");
  }
  SECTION("a release that failed here is not tried again while the target names it") {
    PydioReleaseObservation observed = serving_a();
    observed.installed.push_back({"bbbbbbbbbbbb", kShaB, "fixture-3"});
    observed.release_names = {"aaaaaaaaaaaa", "bbbbbbbbbbbb"};
    observed.previous_id = "";
    observed.target = {kShaB, ""};
    observed.failure = ReleaseFailure{kShaB, "fixture-3", "PHP Parse error: x", "fixture-1"};
    auto plan = plan_pydio_release(observed);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message() ==
          "release fixture-3 failed its check on this node: PHP Parse error: x; switched back to "
          "fixture-1");
    NodeReleaseReport report = release_report_of(observed);
    CHECK(release_report_json(report)["failed"] ==
          nlohmann::json{{"release", kShaB}, {"reason", "PHP Parse error: x"}});
    SECTION("forgotten once the target names another release") {
      observed.target = {kShaA, ""};
      auto forget = plan_pydio_release(observed);
      REQUIRE(forget);
      // The failed release is neither current nor previous nor named: it goes too.
      CHECK(kinds(*forget) == std::vector<std::string>{"forget-release-failure", "prune-releases"});
    }
  }
}

TEST_CASE("the node report says which releases the node has", "[pydio_release]") {
  PydioReleaseObservation observed = serving_a();
  observed.installed.push_back({"bbbbbbbbbbbb", kShaB, "fixture-2"});
  auto json = release_report_json(release_report_of(observed));
  CHECK(json == nlohmann::json{{"mode", "release"},
                               {"current", kShaA},
                               {"version", "fixture-1"},
                               {"previous", ""},
                               {"staged", {kShaB}},
                               {"failed", nullptr}});
  CHECK(release_report_json(NodeReleaseReport{})["mode"] == "operator");
}

TEST_CASE("the check after a switch", "[pydio_release]") {
  SECTION("PHP's error line, from the page or the error log") {
    CHECK(first_php_error_line("<br />\n<b>Parse error</b>:  syntax error, unexpected token "
                               "\";\" in <b>/x/index.php</b> on line <b>1</b><br />\n") ==
          "PHP Parse error:  syntax error, unexpected token \";\" in /x/index.php on line 1");
    CHECK(first_php_error_line("[Mon Nov 30 17:00:00 2026] [php:error] [pid 7] [client "
                               "127.0.0.1:5] PHP Fatal error:  Uncaught Error: boom\n") ==
          "PHP Fatal error:  Uncaught Error: boom");
    CHECK(first_php_error_line("{\"version\":\"fixture-1\"}").empty());
  }
  SECTION("verdicts") {
    const std::string ok_body = "{\"version\":\"fixture-2__2026-11-30__t__68\"}\n";
    CHECK(judge_release_answer({200, ok_body}, "", "/pydio", "fixture-2").ok);
    auto old = judge_release_answer({200, ok_body}, "", "/pydio", "fixture-3");
    CHECK_FALSE(old.ok);
    CHECK_FALSE(old.final);
    CHECK(old.reason == "GET /pydio/ serves version fixture-2, not fixture-3");
    auto broken = judge_release_answer(
        {500, ""}, "[php:error] PHP Parse error:  syntax error in /r/index.php on line 1\n",
        "/pydio", "fixture-3");
    CHECK(broken.final);
    CHECK(broken.reason == "PHP Parse error:  syntax error in /r/index.php on line 1");
    CHECK(judge_release_answer({502, ""}, "", "/pydio", "v").reason == "GET /pydio/: HTTP 502");
    CHECK(judge_release_answer({403, ""}, "", "/pydio", "v").final);
    CHECK_FALSE(judge_release_answer({0, "connect refused"}, "", "/pydio", "v").final);
  }
  SECTION("Apache's log directory as Debian's envvars sets it") {
    CHECK(apache_log_dir("/etc/apache2") == "/var/log/apache2");
    CHECK(apache_log_dir("/etc/apache2-n1/") == "/var/log/apache2-n1");
  }
  SECTION("the failure record round-trips") {
    ReleaseFailure failure{kShaB, "fixture-3", "PHP Parse error: x", ""};
    CHECK(parse_release_failure(release_failure_text(failure)) == failure);
    CHECK(release_failure_message(failure) ==
          "release fixture-3 failed its check on this node: PHP Parse error: x; no release to "
          "switch back to");
    CHECK_FALSE(parse_release_failure("{\"release\": 1}"));
  }
}

namespace {

// A compute node whose docroot, cache, state and config volume are in `tmp`.
struct NodeInTempDir {
  explicit NodeInTempDir(const pydio::test::TempDir& tmp) {
    desired = std::make_shared<pydio::common::DesiredState>();
    pydio::common::NodeSpec node;
    node.name = "n1";
    node.address = "198.18.0.1";
    node.roles = {pydio::common::Role::kCompute};
    desired->nodes = {node};
    pydio::common::VolumeSpec config;
    config.name = pydio::common::kConfigVolume;
    config.mountpoint = tmp / "config";
    pydio::common::VolumeSpec data;
    data.name = pydio::common::kDataVolume;
    data.mountpoint = tmp / "data";
    desired->volumes = {config, data};
    desired->web.docroot = tmp / "www";
    desired->web.local_cache_dir = tmp / "cache";
    // The web user must not be root (resolve_web_user): Debian's www-data, as in production.
    desired->web.user = "www-data";
    desired->web.group = "www-data";
    local.state_dir = tmp / "state";
    fs::create_directories(tmp / "www");
    fs::create_directories(tmp / "state");
  }
  void publish(const std::string& archive, const std::string& sha, const std::string& version,
               const pydio::test::TempDir& tmp) {
    fs::create_directories(tmp / "config/pydio-agent/releases");
    fs::copy_file(archive, tmp / ("config/pydio-agent/releases/" + release_hex(sha) + ".tar.gz"),
                  fs::copy_options::overwrite_existing);
    pydio::common::ReleaseSpec release;
    release.sha256 = sha;
    release.version = version;
    desired->web.release = release;
  }
  PassContext context() {
    PassContext ctx;
    ctx.desired = desired;
    ctx.self = &desired->nodes[0];
    ctx.local = &local;
    ctx.runner = &runner;
    ctx.release_report = &report;
    return ctx;
  }
  std::shared_ptr<pydio::common::DesiredState> desired;
  pydio::common::LocalConfig local;
  pydio::common::SystemRunner runner;
  ReleaseReportHolder report;
};

Status apply_all(PydioReleaseResource& resource, const PassContext& ctx, const Plan& plan) {
  for (const auto& action : plan.actions) {
    Status applied = resource.apply(ctx, action);
    UNSCOPED_INFO(action.description << ": " << (applied ? "ok" : applied.message()));
    if (!applied) return applied;
  }
  return Status::ok();
}

}  // namespace

TEST_CASE("pydio-release installs, switches, switches back and prunes on real files",
          "[pydio_release]") {
  pydio::test::TempDir tmp;
  NodeInTempDir node(tmp);
  const std::string v1 = pydio::test::make_release_archive(tmp.path(), "fixture-1");
  const std::string v2 = pydio::test::make_release_archive(tmp.path(), "fixture-2");
  const std::string v3 =
      pydio::test::make_release_archive(tmp.path(), "fixture-3", "<?php echo ;\n");
  const std::string sha1 = pydio::test::sha256sum_of(v1), sha2 = pydio::test::sha256sum_of(v2),
                    sha3 = pydio::test::sha256sum_of(v3);
  int reloads = 0;
  std::vector<std::string> checked;
  ReleaseSwitchHooks hooks;
  hooks.reload = [&](const PassContext&) {
    ++reloads;
    return Status::ok();
  };
  hooks.check = [&](const ReleaseCheckRequest& request) {
    checked.push_back(request.version);
    return request.version == "fixture-3" ? "PHP Parse error:  syntax error in index.php on line 1"
                                          : "";
  };
  PydioReleaseResource resource(hooks);
  const std::string docroot = tmp / "www";

  node.publish(v1, sha1, "fixture-1", tmp);
  auto plan = resource.observe_and_plan(node.context());
  REQUIRE(plan);
  REQUIRE(plan->actions.size() == 2);
  CHECK(plan->actions[1].description.find("serve release fixture-1 (nothing current yet)") == 0);
  REQUIRE(apply_all(resource, node.context(), *plan));
  CHECK(*read_release_link(docroot, kCurrentLink) == sha1.substr(7, 12));
  CHECK(reloads == 1);
  auto again = resource.observe_and_plan(node.context());
  REQUIRE(again);
  CHECK(again->actions.empty());  // paired execution
  REQUIRE(node.report.get());
  CHECK(node.report.get()->version == "fixture-1");

  node.publish(v2, sha2, "fixture-2", tmp);
  plan = resource.observe_and_plan(node.context());
  REQUIRE(plan);
  REQUIRE(apply_all(resource, node.context(), *plan));
  CHECK(*read_release_link(docroot, kCurrentLink) == sha2.substr(7, 12));
  CHECK(*read_release_link(docroot, kPreviousLink) == sha1.substr(7, 12));
  again = resource.observe_and_plan(node.context());
  REQUIRE(again);
  CHECK(again->actions.empty());

  SECTION("Apache not taking the reload is no failure of the release: links back, tried again") {
    bool refuse = true;
    ReleaseSwitchHooks refusing = hooks;
    refusing.reload = [&](const PassContext&) {
      return refuse ? Status::error("apache2ctl graceful: exit 1") : Status::ok();
    };
    PydioReleaseResource picky(refusing);
    node.publish(v3, sha3, "fixture-3", tmp);
    plan = picky.observe_and_plan(node.context());
    REQUIRE(plan);
    Status applied = apply_all(picky, node.context(), *plan);
    REQUIRE_FALSE(applied);
    CHECK(
        applied.message() ==
        "switch to release fixture-3: reload Apache: apache2ctl graceful: exit 1; links put back");
    CHECK(*read_release_link(docroot, kCurrentLink) == sha2.substr(7, 12));
    CHECK(*read_release_link(docroot, kPreviousLink) == sha1.substr(7, 12));
    CHECK_FALSE(fs::exists(tmp / "state/release-failed.json"));
    refuse = false;
    plan = picky.observe_and_plan(node.context());
    REQUIRE(plan);
    CHECK(plan->actions.front().kind == std::string("switch-release"));
  }
  SECTION("a broken release fails its check: switched back, recorded, not tried again") {
    node.publish(v3, sha3, "fixture-3", tmp);
    plan = resource.observe_and_plan(node.context());
    REQUIRE(plan);
    Status applied = apply_all(resource, node.context(), *plan);
    REQUIRE_FALSE(applied);
    const std::string message =
        "release fixture-3 failed its check on this node: PHP Parse error:  syntax error in "
        "index.php on line 1; switched back to fixture-2";
    CHECK(applied.message() == message);
    CHECK(*read_release_link(docroot, kCurrentLink) == sha2.substr(7, 12));
    CHECK(*read_release_link(docroot, kPreviousLink) == sha1.substr(7, 12));
    auto failed = resource.observe_and_plan(node.context());
    REQUIRE_FALSE(failed);
    CHECK(failed.status().message() == message);
    CHECK(node.report.get()->failed_release == sha3);

    node.publish(v1, sha1, "fixture-1", tmp);  // the operator publishes a good one again
    plan = resource.observe_and_plan(node.context());
    REQUIRE(plan);
    REQUIRE(apply_all(resource, node.context(), *plan));
    again = resource.observe_and_plan(node.context());
    REQUIRE(again);
    CHECK(again->actions.empty());
    CHECK_FALSE(fs::exists(tmp / "state/release-failed.json"));
    // current fixture-1, previous fixture-2: fixture-3 and its cache are gone.
    CHECK(directory_names(docroot + "/releases")->size() == 2);
    CHECK_FALSE(fs::exists(docroot + "/releases/" + sha3.substr(7, 12)));
    CHECK_FALSE(fs::exists(tmp / ("cache/" + sha3.substr(7, 12))));
  }
}
