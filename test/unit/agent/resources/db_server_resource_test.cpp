#include <catch2/catch.hpp>

#include "agent/resources/db_server_resource.hpp"

using pydio::agent::action_step;
using pydio::agent::DbServerAction;
using pydio::agent::DbServerDesired;
using pydio::agent::DbServerObservation;
using pydio::agent::plan_db_server;
using pydio::agent::render_direct_mariadb_config;
using pydio::agent::WriteMariadbConfig;

namespace {

pydio::common::LocalConfig node_config() {
  pydio::common::LocalConfig local;
  local.state_dir = "/var/lib/pydio-agent";
  local.mysql_datadir = "/var/lib/mysql";
  local.mysql_socket = "/run/mysqld/mysqld.sock";
  return local;
}

DbServerDesired desired() {
  DbServerDesired d;
  d.config_path = "/var/lib/pydio-agent/mariadb.cnf";
  d.config = render_direct_mariadb_config(node_config(), "198.18.0.1", 3306);
  d.datadir = "/var/lib/mysql";
  d.bind_address = "198.18.0.1";
  d.port = 3306;
  d.lease_user = {"pydio_agent", {"198.18.0.%"}, "pydio_agent", {"SELECT", "INSERT", "UPDATE"}};
  d.lease_password_set = true;
  return d;
}

// A converged server as observe() reports it.
DbServerObservation converged() {
  DbServerObservation o;
  o.config = desired().config;
  o.datadir_initialized = true;
  o.datadir_empty = false;
  o.running = true;
  o.accepting = true;
  o.bind_address = "198.18.0.1";
  o.port = 3306;
  o.lease_table_present = true;
  o.lease_user.hosts.push_back(
      {"198.18.0.%", true,
       {"GRANT USAGE ON *.* TO `pydio_agent`@`198.18.0.%` IDENTIFIED BY PASSWORD '*D8'",
        "GRANT SELECT, INSERT, UPDATE ON `pydio\\_agent`.* TO `pydio_agent`@`198.18.0.%`"}});
  return o;
}

std::vector<std::string> kinds(const pydio::agent::Plan& plan) {
  std::vector<std::string> out;
  for (const auto& action : plan.actions) out.push_back(action.kind);
  return out;
}

}  // namespace

TEST_CASE("the direct-mode option file binds the private address only", "[db-server]") {
  const std::string config = render_direct_mariadb_config(node_config(), "198.18.0.1", 3306);
  REQUIRE(config.find("bind-address = 198.18.0.1\n") != std::string::npos);
  REQUIRE(config.find("pid-file = /run/mysqld/mysqld.pid\n") != std::string::npos);
  REQUIRE(config.find("user = mysql\n") != std::string::npos);
  REQUIRE(config.find("log-error = /var/lib/mysql/pydio-mariadb.err\n") !=
          std::string::npos);
  REQUIRE(config.find("skip-name-resolve\n") != std::string::npos);
}

TEST_CASE("db-server plans from bare node to converged", "[db-server]") {
  SECTION("bare node: config, datadir, start, lease schema and user, in that order") {
    DbServerObservation bare;
    auto plan = plan_db_server(desired(), bare);
    REQUIRE(plan);
    REQUIRE(kinds(*plan) == std::vector<std::string>{"write-config", "init-datadir",
                                                    "start-server", "ensure-lease-schema",
                                                    "create-user", "grant"});
  }
  SECTION("converged: empty plan") {
    auto plan = plan_db_server(desired(), converged());
    REQUIRE(plan);
    REQUIRE(plan->actions.empty());
  }
  SECTION("listening everywhere: rewrite the file and restart") {
    DbServerObservation o = converged();
    o.config = "[mysqld]\nbind-address = 0.0.0.0\n";
    o.bind_address = "0.0.0.0";
    auto plan = plan_db_server(desired(), o);
    REQUIRE(plan);
    REQUIRE(kinds(*plan) == std::vector<std::string>{"write-config", "restart-server"});
    const auto* write = action_step<DbServerAction, WriteMariadbConfig>(plan->actions[0]);
    REQUIRE(write);
    CHECK(write->path == desired().config_path);
    CHECK(write->content == desired().config);
    REQUIRE(plan->actions[1].description ==
            "restart mariadb (listening on 0.0.0.0:3306, want 198.18.0.1:3306)");
  }
  SECTION("stopped server with everything else in place: start it only (and re-ensure)") {
    DbServerObservation o = converged();
    o.running = false;
    o.accepting = false;
    auto plan = plan_db_server(desired(), o);
    REQUIRE(plan);
    REQUIRE(plan->actions.front().kind == "start-server");
  }
  SECTION("a non-empty datadir without system tables is refused, never initialized") {
    DbServerObservation o;
    o.datadir_empty = false;
    auto plan = plan_db_server(desired(), o);
    REQUIRE_FALSE(plan);
    REQUIRE(plan.status().message().find("refusing") != std::string::npos);
  }
  SECTION("no lease password yet: the lease user waits, the server does not") {
    DbServerDesired d = desired();
    d.lease_password_set = false;
    DbServerObservation o = converged();
    o.lease_user.hosts.clear();
    auto plan = plan_db_server(d, o);
    REQUIRE(plan);
    REQUIRE(plan->actions.empty());
    REQUIRE(plan->waiting_for == "lease_password in the secrets file");
  }
}
