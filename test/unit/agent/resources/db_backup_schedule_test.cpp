#include "agent/resources/db_backup_schedule.hpp"

#include <catch2/catch.hpp>

namespace {

using pydio::agent::backup_member_view;
using pydio::agent::backup_status_lines;
using pydio::agent::BackupMemberView;
using pydio::agent::decide_db_backup;
using pydio::agent::kBackupRetrySeconds;
using nlohmann::json;

constexpr std::int64_t kNow = 1'800'000'000;

BackupMemberView member(const std::string& name, bool serving, std::int64_t newest = -1) {
  BackupMemberView m;
  m.name = name;
  m.address = "198.18.0." + std::to_string(name.back() - '0');
  m.answered = true;
  m.serving = serving;
  m.mounted = true;
  m.newest_finished_at = newest;
  if (newest >= 0) m.newest_name = "backup-at-" + std::to_string(newest);
  return m;
}

json report(bool primary, const json& backup) {
  return {{"database",
           {{"running", true}, {"galera", true}, {"primary", primary}, {"state", "Synced"},
            {"clusterSize", 3}, {"uuid", "u"}, {"seqno", 5}, {"positionKnown", true},
            {"holdsData", true}, {"forced", false}, {"observedAt", kNow - 2}}},
          {"dbBackup", backup}};
}

}  // namespace

TEST_CASE("a backup is due after the interval and goes to the last serving member",
          "[db_backup]") {
  pydio::common::BackupSpec spec;
  spec.interval_seconds = 3600;
  std::vector<BackupMemberView> members = {member("db1", true), member("db2", true),
                                           member("db3", false)};
  SECTION("none yet: due now, on db2 (db3 does not serve; db1 is where the writes go)") {
    const auto decision = decide_db_backup(spec, members, kNow, 0);
    REQUIRE(decision.start_on);
    CHECK(decision.start_on->name == "db2");
  }
  SECTION("the newest is younger than the interval: nothing, a note") {
    members[0].newest_finished_at = kNow - 600;
    members[0].newest_name = "b1";
    const auto decision = decide_db_backup(spec, members, kNow, 0);
    CHECK_FALSE(decision.start_on);
    CHECK_THAT(decision.note, Catch::Contains("b1") && Catch::Contains("due in 50 min"));
  }
  SECTION("a backup dated in the future (a wrong clock) does not put the next one off") {
    members[0].newest_finished_at = kNow + 86400;
    CHECK(decide_db_backup(spec, members, kNow, 0).start_on);
    const auto lines = backup_status_lines(spec, members, kNow);
    CHECK_THAT(lines.warning, Catch::Contains("clock"));
  }
  SECTION("one is running somewhere: never a second") {
    members[2].backup_running = "x";
    CHECK_FALSE(decide_db_backup(spec, members, kNow, 0).start_on);
  }
  SECTION("asked recently: wait, then ask again") {
    members[1].last_error = "disk full";
    auto decision = decide_db_backup(spec, members, kNow, kNow - 10);
    CHECK_FALSE(decision.start_on);
    CHECK_THAT(decision.waiting_for, Catch::Contains("disk full"));
    CHECK(decide_db_backup(spec, members, kNow, kNow - kBackupRetrySeconds).start_on);
  }
  SECTION("a member without the backup volume mounted is not asked") {
    members[2].serving = true;
    members[2].mounted = false;
    auto decision = decide_db_backup(spec, members, kNow, 0);
    REQUIRE(decision.start_on);
    CHECK(decision.start_on->name == "db2");
    SECTION("nor the member the writes go to, while another serves: the backup waits") {
      members[1].mounted = false;
      decision = decide_db_backup(spec, members, kNow, 0);
      CHECK_FALSE(decision.start_on);
      CHECK_THAT(decision.waiting_for,
                 Catch::Contains("db2 or db3 to mount") && Catch::Contains("db1 takes the writes"));
    }
  }
  SECTION("the member the writes go to is asked when no other serves") {
    members[1].serving = false;
    auto decision = decide_db_backup(spec, members, kNow, 0);
    REQUIRE(decision.start_on);
    CHECK(decision.start_on->name == "db1");
    members[0].mounted = false;
    decision = decide_db_backup(spec, members, kNow, 0);
    CHECK_FALSE(decision.start_on);
    CHECK_THAT(decision.waiting_for, Catch::Contains("db1 (the only db member that serves)"));
  }
  SECTION("the first member that serves takes the writes, wherever it is listed") {
    members[0].serving = false;  // db1 down: db2 takes the writes, db3 does not serve
    const auto decision = decide_db_backup(spec, members, kNow, 0);
    REQUIRE(decision.start_on);
    CHECK(decision.start_on->name == "db2");
  }
  SECTION("no member serves: waits") {
    members[0].serving = members[1].serving = false;
    const auto decision = decide_db_backup(spec, members, kNow, 0);
    CHECK_FALSE(decision.start_on);
    CHECK_THAT(decision.waiting_for, Catch::Contains("serves"));
  }
}

TEST_CASE("status warns when the newest backup is older than twice the interval",
          "[db_backup]") {
  pydio::common::BackupSpec spec;
  spec.interval_seconds = 3600;
  auto lines = backup_status_lines(spec, {member("db1", true)}, kNow);
  CHECK_THAT(lines.warning, Catch::Contains("no good database backup yet"));
  lines = backup_status_lines(spec, {member("db1", true, kNow - 7300)}, kNow);
  CHECK_THAT(lines.warning, Catch::Contains("more than twice the interval"));
  CHECK(lines.summary["stale"] == true);
  lines = backup_status_lines(spec, {member("db1", true, kNow - 7100), member("db2", true)}, kNow);
  CHECK(lines.warning.empty());
  CHECK_THAT(lines.note, Catch::Contains("backup-at-"));
  CHECK(lines.summary["stale"] == false);
}

TEST_CASE("a member's view is read from its node report", "[db_backup]") {
  const json backup = {
      {"mounted", true},
      {"running", nullptr},
      {"last", {{"name", "n"}, {"ok", false}, {"error", "no space"}}},
      {"catalog", {{"newest", {{"name", "b"}, {"finishedAtSeconds", kNow - 5}}}}}};
  const json r = report(true, backup);
  auto view = backup_member_view("db1", "198.18.0.1", &r, kNow);
  CHECK(view.answered);
  CHECK(view.serving);
  CHECK(view.mounted);
  CHECK(view.backup_running.empty());
  CHECK(view.last_error == "no space");
  CHECK(view.newest_finished_at == kNow - 5);
  CHECK(view.newest_name == "b");
  const json not_primary = report(false, {{"running", {{"name", "r"}}}});
  view = backup_member_view("db2", "198.18.0.2", &not_primary, kNow);
  CHECK_FALSE(view.serving);
  CHECK(view.backup_running == "r");
  CHECK_FALSE(backup_member_view("db3", "198.18.0.3", nullptr, kNow).answered);
}
