// pydio-release: the pure plan and report on recorded observations, the check's verdicts, and
// the whole resource on real files in a temporary directory (real tar, fake reload and check):
// after apply, observe and plan again give an empty plan.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/host/release_fetch.hpp"
#include "agent/host/release_links.hpp"
#include "agent/resources/php_settings.hpp"
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

TEST_CASE("pydio-release checks a switch the agent did not finish", "[pydio_release]") {
  // The agent was killed after it pointed current at fixture-2 and before the check ended.
  PydioReleaseObservation observed = serving_a();
  observed.target = {kShaB, ""};
  observed.installed.push_back({"bbbbbbbbbbbb", kShaB, "fixture-2"});
  observed.release_names = {"aaaaaaaaaaaa", "bbbbbbbbbbbb"};
  observed.current_id = "bbbbbbbbbbbb";
  observed.previous_id = "aaaaaaaaaaaa";
  observed.switch_record =
      ReleaseSwitchRecord{kShaB, "bbbbbbbbbbbb", "fixture-2", "aaaaaaaaaaaa", ""};
  SECTION("current is the recorded release: the check is owed, nothing is pruned") {
    CHECK(switch_check_owed(observed));
    auto plan = plan_pydio_release(observed);
    REQUIRE(plan);
    CHECK(kinds(*plan) == std::vector<std::string>{"check-switched-release"});
    CHECK(plan->actions[0].description ==
          "check release fixture-2: the agent stopped between switching current to it and "
          "checking it; reload Apache gracefully, check the start page (switch back to "
          "fixture-1 if it fails)");
    // Until the check passes the node vouches for the release it switched from: the leader's
    // rollout waits instead of moving on to the next node.
    NodeReleaseReport report = release_report_of(observed);
    CHECK(report.current == kShaA);
    CHECK(report.version == "fixture-1");
    CHECK(report.staged == std::vector<std::string>{kShaB});
  }
  SECTION("after the check passed (the record is gone): nothing to do, fixture-2 reported") {
    observed.switch_record.reset();
    auto plan = plan_pydio_release(observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(release_report_of(observed).current == kShaB);
  }
  SECTION("the agent died before current moved (or after switching back): the record goes") {
    observed.current_id = "aaaaaaaaaaaa";
    observed.previous_id = "";
    CHECK_FALSE(switch_check_owed(observed));
    auto plan = plan_pydio_release(observed);
    REQUIRE(plan);
    CHECK(kinds(*plan) == std::vector<std::string>{"forget-release-switch", "switch-release"});
    CHECK(release_report_of(observed).current == kShaA);
  }
  SECTION("the target moved on meanwhile: the record goes, the switch goes to the target") {
    const std::string sha_c = "sha256:" + std::string(64, 'c');
    observed.target = {sha_c, ""};
    observed.installed.push_back({"cccccccccccc", sha_c, "fixture-3"});
    CHECK_FALSE(switch_check_owed(observed));
    auto plan = plan_pydio_release(observed);
    REQUIRE(plan);
    CHECK(kinds(*plan).front() == "forget-release-switch");
  }
  SECTION("the record round-trips; a malformed one is refused") {
    CHECK(parse_release_switch(release_switch_text(*observed.switch_record)) ==
          observed.switch_record);
    CHECK_FALSE(parse_release_switch("{\"release\": \"x\"}"));
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
  SECTION("the version PHP reads under current, from the agent's probe") {
    const std::string target = "/.pydio-agent/probe.php?release=1";
    const auto probed = [&](int status, const std::string& body) {
      return judge_probed_release({status, body}, target, "fixture-2");
    };
    CHECK(
        probed(200, R"({"probe":"pydio-agent/1","current":"fixture-2__2026-11-30__t__68\n"})").ok);
    // Pydio 8's own file: "8.2.3__2019-05-13__1e30e0b5f" (conf/VERSION).
    CHECK(judge_probed_release({200, R"({"current":"8.2.3__2019-05-13__1e30e0b5f\n"})"}, target,
                               "8.2.3")
              .ok);
    auto old = probed(200, R"({"current":"fixture-1__2026-11-30__t__68"})");
    CHECK_FALSE(old.ok);
    CHECK_FALSE(old.final);  // an old worker may answer right after the reload: asked again
    CHECK(old.reason == "PHP reads version fixture-1 under current, not fixture-2");
    CHECK(probed(200, R"({"current":null})").reason ==
          "GET /.pydio-agent/probe.php?release=1: PHP cannot read conf/VERSION under current");
    CHECK_FALSE(probed(200, R"({"probe":"pydio-agent/1","php":"8.2.1"})").ok);
    CHECK(probed(404, "").reason == "GET /.pydio-agent/probe.php?release=1: HTTP 404");
    CHECK_FALSE(probed(0, "refused").ok);
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

TEST_CASE("the probe page reports the release under current as PHP reads it", "[pydio_release]") {
  // The real page, run by PHP's command line as Apache's PHP would run it with ?release=1.
  pydio::test::TempDir tmp;
  fs::create_directories(tmp / "releases/bbbbbbbbbbbb/conf");
  std::ofstream(tmp / "releases/bbbbbbbbbbbb/conf/VERSION") << "fixture-2__2026-11-30__t__68\n";
  fs::create_directory_symlink("releases/bbbbbbbbbbbb", tmp / "current");
  ProbePageSettings settings{"n1", {tmp / "no-volume"}, tmp / "lock", tmp / "current/conf/VERSION"};
  std::ofstream(tmp / "probe.php") << php_probe_page(settings);
  pydio::common::SystemRunner runner;
  const auto run = [&] {
    return runner.run(pydio::common::Command(
        {"php", "-r", "$_GET['release'] = '1'; include '" + (tmp / "probe.php") + "';"},
        std::chrono::seconds(30)));
  };
  auto answer = run();
  INFO(answer.out << answer.err);
  REQUIRE(answer.succeeded());
  CHECK(judge_probed_release({200, answer.out}, "probe", "fixture-2").ok);
  CHECK_FALSE(fs::exists(tmp / "lock"));  // no lock, no volume touched
  fs::remove(tmp / "current");
  answer = run();
  REQUIRE(answer.succeeded());
  CHECK(judge_probed_release({200, answer.out}, "probe", "fixture-2").reason ==
        "GET probe: PHP cannot read conf/VERSION under current");
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
  const std::string record_file = tmp / "state/release-switch.json";
  bool record_during_check = true;
  ReleaseSwitchHooks hooks;
  hooks.reload = [&](const PassContext&) {
    ++reloads;
    return Status::ok();
  };
  hooks.check = [&](const ReleaseCheckRequest& request) {
    checked.push_back(request.version);
    record_during_check = record_during_check && fs::exists(record_file);
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
  // Each switch was recorded before its check and forgotten after it.
  CHECK(record_during_check);
  CHECK_FALSE(fs::exists(record_file));

  SECTION("an agent killed between switching and checking checks at its next start") {
    node.publish(v3, sha3, "fixture-3", tmp);
    plan = resource.observe_and_plan(node.context());
    REQUIRE(plan);
    REQUIRE(kinds(*plan).size() >= 2);
    REQUIRE(kinds(*plan)[1] == "switch-release");
    REQUIRE(resource.apply(node.context(), plan->actions[0]));  // staged; the switch is below
    // What the switch does before its check, then the agent dies: a record, then the links.
    const std::string id3 = sha3.substr(7, 12), id2 = sha2.substr(7, 12), id1 = sha1.substr(7, 12);
    REQUIRE(save_release_switch(tmp / "state", {sha3, id3, "fixture-3", id2, id1}));
    REQUIRE(point_release_link(docroot, kPreviousLink, id2));
    REQUIRE(point_release_link(docroot, kCurrentLink, id3));

    PydioReleaseResource restarted(hooks);
    const int reloads_before = reloads;
    plan = restarted.observe_and_plan(node.context());
    REQUIRE(plan);
    REQUIRE(kinds(*plan) == std::vector<std::string>{"check-switched-release"});
    CHECK(node.report.get()->version == "fixture-2");  // not the unchecked fixture-3
    Status applied = apply_all(restarted, node.context(), *plan);
    REQUIRE_FALSE(applied);
    CHECK(applied.message() ==
          "release fixture-3 failed its check on this node: PHP Parse error:  syntax error in "
          "index.php on line 1; switched back to fixture-2");
    CHECK(reloads == reloads_before + 2);  // before the check, and after switching back
    CHECK(*read_release_link(docroot, kCurrentLink) == id2);
    CHECK(*read_release_link(docroot, kPreviousLink) == id1);
    CHECK_FALSE(fs::exists(record_file));
    auto failed = restarted.observe_and_plan(node.context());
    REQUIRE_FALSE(failed);  // recorded: not tried again
  }
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
