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
  observed.exists = true;
  observed.is_regular = true;
  observed.content = kCheckFileContent;
  observed.mode = 0644;
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
  SECTION("healthy, wrong mode and owner: rewrite, naming what differs") {
    auto observed = with_good_file(healthy_node());
    observed.mode = 0600;
    observed.uid = 33;
    auto plan = plan_check_file(kPath, observed);
    REQUIRE(plan.has_value());
    REQUIRE(plan->actions.size() == 1);
    CHECK(plan->actions[0].description ==
          "rewrite /var/www/pydio/check.txt (node healthy; mode; owner differs)");
  }
  SECTION("healthy, a symlink in its place: rewrite (replaced, never followed)") {
    auto observed = healthy_node();
    observed.exists = true;
    auto plan = plan_check_file(kPath, observed);
    REQUIRE(plan.has_value());
    REQUIRE(plan->actions.size() == 1);
    CHECK(plan->actions[0].kind == "write-check-file");
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
  SECTION("a directory in its place is an error, whatever the verdict") {
    auto observed = healthy_node();
    observed.exists = true;
    observed.is_directory = true;
    CHECK_FALSE(plan_check_file(kPath, observed).has_value());
    observed.verdict.healthy = false;
    CHECK_FALSE(plan_check_file(kPath, observed).has_value());
  }
}
