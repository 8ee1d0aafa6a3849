#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "agent/host/mysql_account.hpp"

using pydio::agent::AccountAction;
using pydio::agent::AccountHostObservation;
using pydio::agent::AccountObservation;
using pydio::agent::AccountSpec;
using pydio::agent::action_step;
using pydio::agent::grant_object;
using pydio::agent::grants_problem;
using pydio::agent::parse_grant;
using pydio::agent::plan_account;

namespace {

// SHOW GRANTS output recorded from MariaDB 10.11 (mariadb --raw -N -B).
std::vector<std::string> recorded(const std::string& name) {
  std::ifstream in(std::string(PYDIO_TEST_DATA_DIR) + "/mariadb/" + name);
  REQUIRE(in);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

AccountSpec pydio_user() {
  return AccountSpec{"pydio", {"10.0.0.%"}, "pydio", {"ALL PRIVILEGES"}};
}

std::vector<std::string> kinds(const std::vector<pydio::agent::Action>& actions) {
  std::vector<std::string> out;
  for (const auto& action : actions) out.push_back(action.kind);
  return out;
}

}  // namespace

TEST_CASE("SHOW GRANTS lines are parsed into privileges, object and grant option", "[mysql]") {
  SECTION("usage with a password hash") {
    auto grant = parse_grant(
        "GRANT USAGE ON *.* TO `pydio`@`10.0.0.%` IDENTIFIED BY PASSWORD '*D8218'");
    REQUIRE(grant.is_privilege_grant);
    REQUIRE(grant.privileges == std::vector<std::string>{"USAGE"});
    REQUIRE(grant.object == "*.*");
    REQUIRE_FALSE(grant.with_grant_option);
  }
  SECTION("a privilege list with a column list") {
    auto grant = parse_grant("GRANT SELECT, INSERT (`a`, `b`) ON `db`.`t` TO `u`@`h`");
    REQUIRE(grant.privileges == std::vector<std::string>{"SELECT", "INSERT (`A`, `B`)"});
    REQUIRE(grant.object == "`db`.`t`");
  }
  SECTION("a role grant is not a privilege grant") {
    REQUIRE_FALSE(parse_grant("GRANT `r1` TO `pydio`@`198.18.0.%`").is_privilege_grant);
  }
  SECTION("grant option") {
    REQUIRE(parse_grant("GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION")
                .with_grant_option);
  }
}

TEST_CASE("the grant object escapes the LIKE wildcard '_' so it names one database",
          "[mysql]") {
  REQUIRE(grant_object("pydio_agent") == "`pydio\\_agent`.*");
  REQUIRE(grant_object("pydio") == "`pydio`.*");
}

TEST_CASE("grants are judged against exactly what the account should hold", "[mysql]") {
  SECTION("recorded: ALL PRIVILEGES on the database only is right") {
    REQUIRE(grants_problem(pydio_user(), recorded("show_grants_ok.txt")).empty());
  }
  SECTION("recorded: the lease user's SELECT, INSERT, UPDATE on pydio_agent.* is right") {
    AccountSpec lease{"pydio_agent", {"10.0.0.%"}, "pydio_agent", {"SELECT", "INSERT", "UPDATE"}};
    REQUIRE(grants_problem(lease, recorded("show_grants_lease_ok.txt")).empty());
  }
  SECTION("recorded: a role, GRANT OPTION and another database are all reported") {
    const std::string problem = grants_problem(pydio_user(), recorded("show_grants_extra.txt"));
    REQUIRE(problem.find("a role") != std::string::npos);
    REQUIRE(problem.find("GRANT OPTION on *.*") != std::string::npos);
    REQUIRE(problem.find("`pydio\\_x`.*") != std::string::npos);
  }
  SECTION("only USAGE: the database privileges are lacking") {
    const std::string problem =
        grants_problem(pydio_user(), {"GRANT USAGE ON *.* TO `pydio`@`10.0.0.%`"});
    REQUIRE(problem.rfind("lacks ", 0) == 0);
  }
  SECTION("anything on *.* is too much") {
    REQUIRE_FALSE(grants_problem(pydio_user(),
                                 {"GRANT SELECT ON *.* TO `pydio`@`10.0.0.%`",
                                  "GRANT ALL PRIVILEGES ON `pydio`.* TO `pydio`@`10.0.0.%`"})
                      .empty());
  }
}

TEST_CASE("an account is planned host by host; passwords never appear in actions", "[mysql]") {
  SECTION("missing user: create it, then grant") {
    auto actions = plan_account(pydio_user(), AccountObservation{});
    REQUIRE(kinds(actions) == std::vector<std::string>{"create-user", "grant"});
    REQUIRE(actions[0].description == "create MySQL user 'pydio'@'10.0.0.%'");
    // The steps are typed: CreateUser has no password member at all; apply is given it.
    const auto* create = action_step<AccountAction, pydio::agent::CreateUser>(actions[0]);
    REQUIRE(create);
    CHECK(create->user == "pydio");
    CHECK(create->host == "10.0.0.%");
    const auto* grant = action_step<AccountAction, pydio::agent::GrantPrivileges>(actions[1]);
    REQUIRE(grant);
    CHECK(grant->database == "pydio");
    CHECK(grant->privileges == std::vector<std::string>{"ALL PRIVILEGES"});
  }
  SECTION("converged (recorded grants, password matches): nothing to do") {
    AccountObservation observed{{AccountHostObservation{"10.0.0.%", true,
                                                        recorded("show_grants_ok.txt")}}};
    REQUIRE(plan_account(pydio_user(), observed).empty());
  }
  SECTION("wrong password and extra grants: set the password and reset the grants") {
    AccountObservation observed{{AccountHostObservation{"10.0.0.%", false,
                                                        recorded("show_grants_extra.txt")}}};
    REQUIRE(kinds(plan_account(pydio_user(), observed)) ==
            std::vector<std::string>{"set-password", "reset-grants"});
  }
  SECTION("the user on a host no longer allowed is dropped") {
    AccountObservation observed{
        {AccountHostObservation{"%", true, {}},
         AccountHostObservation{"10.0.0.%", true, recorded("show_grants_ok.txt")}}};
    auto actions = plan_account(pydio_user(), observed);
    REQUIRE(kinds(actions) == std::vector<std::string>{"drop-user"});
    const auto* drop = action_step<AccountAction, pydio::agent::DropUser>(actions[0]);
    REQUIRE(drop);
    CHECK(drop->user == "pydio");
    CHECK(drop->host == "%");
  }
}
