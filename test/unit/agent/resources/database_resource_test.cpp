#include <catch2/catch.hpp>

#include "agent/resources/database_resource.hpp"

using pydio::agent::DatabaseDesired;
using pydio::agent::DatabaseObservation;
using pydio::agent::plan_database;

namespace {

DatabaseDesired desired() {
  DatabaseDesired d;
  d.database = "pydio";
  d.user = {"pydio", {"198.18.0.%"}, "pydio", {"ALL PRIVILEGES"}};
  d.password_set = true;
  return d;
}

std::vector<std::string> kinds(const pydio::agent::Plan& plan) {
  std::vector<std::string> out;
  for (const auto& action : plan.actions) out.push_back(action.kind);
  return out;
}

}  // namespace

TEST_CASE("database plans: create database and user, privileges on that database only",
          "[database]") {
  SECTION("nothing there yet") {
    auto plan = plan_database(desired(), DatabaseObservation{});
    REQUIRE(kinds(plan) == std::vector<std::string>{"create-database", "create-user", "grant"});
    REQUIRE(plan.actions[0].description == "create database pydio");
    REQUIRE(plan.actions[2].description ==
            "grant ALL PRIVILEGES on pydio.* to 'pydio'@'198.18.0.%'");
    using pydio::agent::action_step;
    const auto* create =
        action_step<pydio::agent::DatabaseAction, pydio::agent::CreateDatabase>(plan.actions[0]);
    REQUIRE(create);
    CHECK(create->database == "pydio");
    const auto* grant =
        action_step<pydio::agent::AccountAction, pydio::agent::GrantPrivileges>(plan.actions[2]);
    REQUIRE(grant);
    CHECK(grant->user == "pydio");
    CHECK(grant->host == "198.18.0.%");
    CHECK(grant->database == "pydio");
    CHECK(grant->privileges == std::vector<std::string>{"ALL PRIVILEGES"});
  }
  SECTION("converged") {
    DatabaseObservation o;
    o.database_exists = true;
    o.user.hosts.push_back(
        {"198.18.0.%", true,
         {"GRANT USAGE ON *.* TO `pydio`@`198.18.0.%` IDENTIFIED BY PASSWORD '*D8'",
          "GRANT ALL PRIVILEGES ON `pydio`.* TO `pydio`@`198.18.0.%`"}});
    REQUIRE(plan_database(desired(), o).actions.empty());
  }
  SECTION("a user someone widened with GRANT OPTION is reset") {
    DatabaseObservation o;
    o.database_exists = true;
    o.user.hosts.push_back(
        {"198.18.0.%", true,
         {"GRANT USAGE ON *.* TO `pydio`@`198.18.0.%`",
          "GRANT ALL PRIVILEGES ON `pydio`.* TO `pydio`@`198.18.0.%` WITH GRANT OPTION"}});
    REQUIRE(kinds(plan_database(desired(), o)) == std::vector<std::string>{"reset-grants"});
  }
  SECTION("no password in the secrets: the database is created, the user waits") {
    DatabaseDesired d = desired();
    d.password_set = false;
    REQUIRE(kinds(plan_database(d, DatabaseObservation{})) ==
            std::vector<std::string>{"create-database"});
  }
}
