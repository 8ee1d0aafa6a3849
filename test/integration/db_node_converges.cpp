// Scenario: a bare db node (direct mode, no systemd) is converged by the db-server resource
// and then the database resource, against the real mariadb-install-db and mariadbd.
// Everything lives in a temporary directory; the server listens on 127.0.0.1 (the node's
// "private address") on a free port and is stopped by the PID of its pid file at the end.

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "agent/resources/database_resource.hpp"
#include "agent/resources/db_server_resource.hpp"
#include "agent/host/service_paths.hpp"
#include "agent/host/services.hpp"
#include "test/integration/support/private_mariadb.hpp"

using namespace std::chrono_literals;
using pydio::agent::Plan;
using pydio::agent::Resource;

namespace {

// Removes the node directory and stops the server it ran, by the PID of its pid file.
struct NodeDir {
  std::string path;
  pydio::common::LocalConfig local;
  ~NodeDir() {
    std::ifstream pid_file(pydio::agent::mariadb_pid_file(local));
    int pid = 0;
    if (pid_file >> pid) pydio::test::stop_pid(pid, 30s);
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

// Applies every action of one plan; returns the plan it applied.
Plan converge(Resource& resource, const pydio::agent::PassContext& ctx) {
  auto plan = resource.observe_and_plan(ctx);
  INFO((plan ? "" : plan.status().message()));
  REQUIRE(plan);
  for (const auto& action : plan->actions) {
    auto applied = resource.apply(ctx, action);
    INFO(action.description << ": " << (applied.is_ok() ? "" : applied.message()));
    REQUIRE(applied);
  }
  return *plan;
}

}  // namespace

SCENARIO("a bare db node gets its server, lease schema, database and user", "[database]") {
  NodeDir node;
  char pattern[] = "/tmp/pydio-it-dbnode.XXXXXX";
  REQUIRE(::mkdtemp(pattern) != nullptr);
  node.path = pattern;
  // mysql must traverse it to reach its datadir and socket, as it would /var/lib and /run.
  REQUIRE(::chmod(pattern, 0755) == 0);
  node.local.state_dir = node.path + "/state";
  node.local.mysql_datadir = node.path + "/mysql";
  node.local.mysql_socket = node.path + "/run/mysqld.sock";
  node.local.services = pydio::common::ServiceManager::kDirect;
  std::filesystem::create_directories(node.local.state_dir);

  auto desired = std::make_shared<pydio::common::DesiredState>();
  desired->nodes.push_back({"db1", "127.0.0.1", {pydio::common::Role::kDb}, {}});
  desired->database.host = "127.0.0.1";
  desired->database.port = pydio::test::free_local_port();
  desired->database.allowed_hosts = {"127.0.0.1", "198.18.0.%"};
  auto secrets = std::make_shared<pydio::common::Secrets>();
  secrets->db_password = "db-secret";
  secrets->lease_password = "lease-secret";

  pydio::common::SystemRunner runner;
  pydio::agent::Services services(runner, node.local);
  pydio::agent::PassContext ctx;
  ctx.desired = desired;
  ctx.self = &desired->nodes.front();
  ctx.local = &node.local;
  ctx.secrets = secrets;
  ctx.runner = &runner;
  ctx.services = &services;
  ctx.is_leader = true;
  ctx.leader_term = 1;

  pydio::agent::DbServerResource server;
  pydio::agent::DatabaseResource database;
  REQUIRE(server.applies_to(ctx));

  WHEN("the db-server resource applies its plan on the bare node") {
    Plan first = converge(server, ctx);
    REQUIRE(first.actions.size() >= 5);
    THEN("observe+plan again is empty, and the server listens on the private address only") {
      auto again = server.observe_and_plan(ctx);
      INFO((again ? "" : again.status().message()));
      REQUIRE(again);
      for (const auto& action : again->actions) UNSCOPED_INFO("left: " << action.description);
      REQUIRE(again->actions.empty());

      AND_THEN("the database resource creates the database and the user, then has nothing to do") {
        Plan created = converge(database, ctx);
        REQUIRE(created.actions.size() == 5);  // database + (create, grant) x 2 hosts
        auto settled = database.observe_and_plan(ctx);
        REQUIRE(settled);
        REQUIRE(settled->actions.empty());

        AND_THEN("a widened grant and a foreign host are repaired in one pass") {
          pydio::agent::MysqlEndpoint admin;
          admin.socket_path = node.local.mysql_socket;
          admin.user = "root";
          auto session = pydio::agent::MysqlSession::connect(admin);
          REQUIRE(session);
          REQUIRE((*session)->execute(
              "GRANT ALL PRIVILEGES ON `pydio`.* TO 'pydio'@'127.0.0.1' WITH GRANT OPTION"));
          REQUIRE((*session)->execute("CREATE USER 'pydio'@'%' IDENTIFIED BY 'x'"));
          Plan repair = converge(database, ctx);
          REQUIRE(repair.actions.size() == 2);
          auto fixed = database.observe_and_plan(ctx);
          REQUIRE(fixed);
          REQUIRE(fixed->actions.empty());
        }
      }
    }
  }
}
