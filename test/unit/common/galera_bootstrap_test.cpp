#include "common/galera_bootstrap.hpp"

#include <catch2/catch.hpp>

using pydio::common::DbMemberReport;
using pydio::common::decide_galera_start;
using pydio::common::GaleraStartKind;

namespace {

DbMemberReport stopped(const std::string& node, const std::string& uuid, std::int64_t seqno) {
  DbMemberReport report;
  report.node = node;
  report.answered = true;
  report.uuid = uuid;
  report.seqno = seqno;
  report.position_known = uuid.empty() || seqno >= 0;
  return report;
}

DbMemberReport silent(const std::string& node) {
  DbMemberReport report;
  report.node = node;
  report.error = "connection refused";
  return report;
}

DbMemberReport primary(const std::string& node) {
  DbMemberReport report = stopped(node, "u1", 40);
  report.running = report.galera = report.primary = true;
  report.state = "Synced";
  report.cluster_size = 2;
  return report;
}

GaleraStartKind kind_for(const std::string& self, const std::vector<DbMemberReport>& members) {
  return decide_galera_start(self, members).kind;
}

}  // namespace

TEST_CASE("a new cluster is started by the first db node only", "[galera]") {
  const std::vector<DbMemberReport> members = {stopped("db1", "", -1), stopped("db2", "", -1),
                                               stopped("db3", "", -1)};
  CHECK(kind_for("db1", members) == GaleraStartKind::kBootstrap);
  CHECK(kind_for("db2", members) == GaleraStartKind::kWait);
  CHECK(kind_for("db3", members) == GaleraStartKind::kWait);
  CHECK(decide_galera_start("db2", members).reason.find("waiting for db1") != std::string::npos);
}

TEST_CASE("the one member holding data starts the new cluster; two wait for an operator",
          "[galera]") {
  std::vector<DbMemberReport> members = {stopped("db1", "", -1), stopped("db2", "", -1),
                                         stopped("db3", "", -1)};
  members[2].holds_data = true;  // db3 served alone before: it has Pydio's database
  members[2].running = true;     // (running or not: the data decides, not the process)
  CHECK(kind_for("db3", members) == GaleraStartKind::kBootstrap);
  CHECK(kind_for("db1", members) == GaleraStartKind::kWait);
  members[2].running = false;
  CHECK(kind_for("db3", members) == GaleraStartKind::kBootstrap);
  members[0].holds_data = true;
  for (const char* self : {"db1", "db2", "db3"})
    CHECK(kind_for(self, members) == GaleraStartKind::kWait);
  CHECK(decide_galera_start("db2", members).reason.find("db1, db3 each hold data") !=
        std::string::npos);
}

TEST_CASE("a member with data of its own never joins over it", "[galera]") {
  std::vector<DbMemberReport> members = {stopped("db1", "", -1), primary("db2"),
                                         stopped("db3", "u1", 12)};
  members[0].holds_data = true;
  const auto decision = decide_galera_start("db1", members);
  CHECK(decision.kind == GaleraStartKind::kWait);
  CHECK(decision.reason.find("replace its data") != std::string::npos);
}

TEST_CASE("a member that runs without telling its state holds every bootstrap back",
          "[galera]") {
  std::vector<DbMemberReport> members = {stopped("db1", "u1", 40), stopped("db2", "u1", 41),
                                         stopped("db3", "u1", 39)};
  members[1].running = true;  // starting (or its agent cannot reach it)
  members[1].position_known = false;
  for (const char* self : {"db1", "db2", "db3"})
    CHECK(kind_for(self, members) == GaleraStartKind::kWait);
  CHECK(decide_galera_start("db1", members).reason.find("db2, whose server runs") !=
        std::string::npos);
}

TEST_CASE("a report whose observation is old counts as silent", "[galera]") {
  DbMemberReport report = stopped("db3", "u1", 12);
  report.observed_at = 1000;
  const auto json = pydio::common::db_member_report_json(report);
  CHECK(pydio::common::db_member_report_from("db3", json, 1050, 60).answered);
  const auto stale = pydio::common::db_member_report_from("db3", json, 1100, 60);
  CHECK_FALSE(stale.answered);
  CHECK(stale.error == "its last observation is 100 s old");
}

TEST_CASE("a joiner waits while another member is in a state transfer", "[galera]") {
  DbMemberReport joiner = primary("db2");
  joiner.state = "Joiner";
  const std::vector<DbMemberReport> members = {primary("db1"), joiner, stopped("db3", "", -1)};
  const auto waiting = decide_galera_start("db3", members);
  CHECK(waiting.kind == GaleraStartKind::kWait);
  CHECK(waiting.reason == "waiting for db2 (Joiner) to finish its state transfer before joining");
  DbMemberReport donor = primary("db1");
  donor.state = "Donor/Desynced";
  CHECK(kind_for("db3", {donor, joiner, stopped("db3", "", -1)}) == GaleraStartKind::kWait);
  CHECK(kind_for("db3", {primary("db1"), primary("db2"), stopped("db3", "", -1)}) ==
        GaleraStartKind::kJoin);
  // A member desynced for a backup sends no state transfer: it holds no joiner back.
  donor.backup_running = true;
  CHECK(kind_for("db3", {donor, primary("db2"), stopped("db3", "", -1)}) ==
        GaleraStartKind::kJoin);
  // Its own state does not hold a member back (a running joiner finishes joining).
  CHECK(kind_for("db2", members) == GaleraStartKind::kJoin);
}

TEST_CASE("a member in a primary component is joined, never bootstrapped beside", "[galera]") {
  // db1's disk was replaced (no uuid): it must join, not start a second cluster.
  const std::vector<DbMemberReport> members = {stopped("db1", "", -1), primary("db2"),
                                               stopped("db3", "u1", 12)};
  CHECK(kind_for("db1", members) == GaleraStartKind::kJoin);
  CHECK(kind_for("db3", members) == GaleraStartKind::kJoin);
}

TEST_CASE("after a full outage the highest seqno bootstraps; ties go to document order",
          "[galera]") {
  const std::vector<DbMemberReport> members = {stopped("db1", "u1", 40), stopped("db2", "u1", 41),
                                               stopped("db3", "u1", 39)};
  CHECK(kind_for("db2", members) == GaleraStartKind::kBootstrap);
  CHECK(kind_for("db1", members) == GaleraStartKind::kWait);
  CHECK(kind_for("db3", members) == GaleraStartKind::kWait);
  CHECK(decide_galera_start("db2", members).reason.find("highest seqno, 41") != std::string::npos);

  const std::vector<DbMemberReport> tie = {stopped("db1", "u1", 41), stopped("db2", "u1", 41),
                                           stopped("db3", "u1", 39)};
  CHECK(kind_for("db1", tie) == GaleraStartKind::kBootstrap);
  CHECK(kind_for("db2", tie) == GaleraStartKind::kWait);
}

TEST_CASE("nothing bootstraps while a member is silent or has not recovered", "[galera]") {
  const std::vector<DbMemberReport> members = {stopped("db1", "u1", 40), stopped("db2", "u1", 41),
                                               silent("db3")};
  for (const char* self : {"db1", "db2"}) {
    const auto decision = decide_galera_start(self, members);
    CHECK(decision.kind == GaleraStartKind::kWait);
    CHECK(decision.reason.find("db3") != std::string::npos);
    CHECK(decision.reason.find("db1=40, db2=41, db3=silent") != std::string::npos);
    CHECK(decision.reason.find("agentctl db bootstrap --force") != std::string::npos);
  }
  const std::vector<DbMemberReport> unrecovered = {
      stopped("db1", "u1", 40), stopped("db2", "u1", -1), stopped("db3", "u1", 39)};
  CHECK(kind_for("db1", unrecovered) == GaleraStartKind::kWait);
  CHECK(decide_galera_start("db1", unrecovered).reason.find("db2 to recover") != std::string::npos);
}

TEST_CASE("an operator's forced member bootstraps, and only it", "[galera]") {
  std::vector<DbMemberReport> members = {stopped("db1", "u1", 40), stopped("db2", "u1", 38),
                                         silent("db3")};
  members[1].forced = true;
  CHECK(kind_for("db2", members) == GaleraStartKind::kBootstrap);
  CHECK(kind_for("db1", members) == GaleraStartKind::kWait);
  CHECK(decide_galera_start("db1", members).reason.find("db2, which an operator forced") !=
        std::string::npos);
}

TEST_CASE("members holding different clusters' data wait for an operator", "[galera]") {
  const std::vector<DbMemberReport> members = {stopped("db1", "u1", 40), stopped("db2", "u2", 90),
                                               stopped("db3", "u1", 39)};
  for (const char* self : {"db1", "db2", "db3"})
    CHECK(kind_for(self, members) == GaleraStartKind::kWait);
}

TEST_CASE("a member report survives its JSON form; a malformed one counts as silent", "[galera]") {
  DbMemberReport report = primary("db2");
  report.forced = true;
  const auto back =
      pydio::common::db_member_report_from("db2", pydio::common::db_member_report_json(report));
  CHECK(back.answered);
  CHECK(back.primary);
  CHECK(back.forced);
  CHECK(back.uuid == "u1");
  CHECK(back.seqno == 40);
  CHECK(back.cluster_size == 2);

  auto broken = pydio::common::db_member_report_json(report);
  broken["seqno"] = "40";
  CHECK_FALSE(pydio::common::db_member_report_from("db2", broken).answered);
  CHECK_FALSE(pydio::common::db_member_report_from("db2", nlohmann::json::object()).answered);
  CHECK_FALSE(pydio::common::db_member_report_from("db2", nullptr).answered);
}
