// check-file: the health file follows the health verdict.
#include <catch2/catch.hpp>

#include "agent/resources/check_file_resource.hpp"

using namespace pydio::agent;

namespace {

const std::string kPath = "/var/www/pydio/check.txt";

CheckFileObservation healthy_node() {
  CheckFileObservation observed;
  observed.docroot_exists = true;
  observed.verdict.healthy = true;
  return observed;
}

CheckFileObservation with_good_file(CheckFileObservation observed) {
  observed.entry.kind = EntryKind::kRegular;
  observed.entry.content = kCheckFileContent;
  observed.entry.mode = 0644;
  return observed;
}

}  // namespace

TEST_CASE("the health file path is <docroot>/<healthFile>", "[check_file]") {
  pydio::common::WebSpec web;
  CHECK(check_file_path(web) == kPath);
  web.docroot = "/srv/www/";
  web.health_file = "alive.txt";
  CHECK(check_file_path(web) == "/srv/www/alive.txt");
}

TEST_CASE("check.txt exists exactly while the node is healthy", "[check_file]") {
  SECTION("healthy, missing: create") {
    auto plan = plan_check_file(kPath, healthy_node());
    REQUIRE(plan.has_value());
    REQUIRE(plan->actions.size() == 1);
    CHECK(plan->actions[0].kind == "write-check-file");
    CHECK(plan->actions[0].description == "create /var/www/pydio/check.txt (node healthy)");
    const auto* write = action_step<CheckFileAction, WriteCheckFile>(plan->actions[0]);
    REQUIRE(write);
    CHECK(write->path == kPath);
  }
  SECTION("healthy, present and right: nothing") {
    auto plan = plan_check_file(kPath, with_good_file(healthy_node()));
    REQUIRE(plan.has_value());
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
  }
  SECTION("healthy, root's file with wrong mode and group: rewrite, naming what differs") {
    auto observed = with_good_file(healthy_node());
    observed.entry.mode = 0600;
    observed.entry.gid = 33;
    auto plan = plan_check_file(kPath, observed);
    REQUIRE(plan.has_value());
    REQUIRE(plan->actions.size() == 1);
    CHECK(plan->actions[0].description ==
          "rewrite /var/www/pydio/check.txt (node healthy; mode; group differs)");
    const auto* write = action_step<CheckFileAction, WriteCheckFile>(plan->actions[0]);
    REQUIRE(write);
    CHECK(write->existing == Existing::kMayBeRootFile);
  }
  SECTION("healthy, missing: created only where nothing is") {
    auto plan = plan_check_file(kPath, healthy_node());
    REQUIRE(plan.has_value());
    REQUIRE(plan->actions.size() == 1);
    const auto* write = action_step<CheckFileAction, WriteCheckFile>(plan->actions[0]);
    REQUIRE(write);
    CHECK(write->existing == Existing::kMustBeAbsent);
  }
  SECTION("healthy but no docroot yet: wait") {
    auto observed = healthy_node();
    observed.docroot_exists = false;
    auto plan = plan_check_file(kPath, observed);
    REQUIRE(plan.has_value());
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == "docroot /var/www/pydio to exist");
  }
  SECTION("unhealthy, present: remove with the reasons") {
    auto observed = with_good_file(healthy_node());
    observed.verdict.healthy = false;
    observed.verdict.reasons = {"draining", "mount /mnt/pydio-data: hung"};
    auto plan = plan_check_file(kPath, observed);
    REQUIRE(plan.has_value());
    REQUIRE(plan->actions.size() == 1);
    CHECK(plan->actions[0].kind == "remove-check-file");
    const auto* remove = action_step<CheckFileAction, RemoveCheckFile>(plan->actions[0]);
    REQUIRE(remove);
    CHECK(remove->path == kPath);
    CHECK(plan->actions[0].description ==
          "remove /var/www/pydio/check.txt: draining; mount /mnt/pydio-data: hung");
  }
  SECTION("unhealthy, absent: nothing") {
    CheckFileObservation observed;
    auto plan = plan_check_file(kPath, observed);
    REQUIRE(plan.has_value());
    CHECK(plan->actions.empty());
  }
  SECTION("anything but root's regular file is an error naming it, whatever the verdict") {
    struct Case {
      EntryKind kind;
      uid_t uid;
      const char* found;
    };
    for (const Case& c :
         {Case{EntryKind::kDirectory, 0, "a directory"},
          Case{EntryKind::kSymlink, 0, "a symbolic link"},
          Case{EntryKind::kSymlink, 33, "a symbolic link"}, Case{EntryKind::kFifo, 33, "a FIFO"},
          Case{EntryKind::kSocket, 33, "a socket"}, Case{EntryKind::kDevice, 0, "a device node"},
          Case{EntryKind::kRegular, 33, "a regular file owned by uid 33"}}) {
      for (bool healthy : {true, false}) {
        auto observed = healthy_node();
        observed.verdict.healthy = healthy;
        observed.entry.kind = c.kind;
        observed.entry.uid = c.uid;
        observed.entry.content = kCheckFileContent;
        observed.entry.mode = 0644;
        auto plan = plan_check_file(kPath, observed);
        INFO(c.found << (healthy ? ", healthy" : ", unhealthy"));
        REQUIRE_FALSE(plan.has_value());
        CHECK(plan.status().message() ==
              std::string("/var/www/pydio/check.txt: ") + c.found +
                  " is in the way of the health file; the agent neither follows nor removes it "
                  "(remove it by hand)");
      }
    }
  }
}
