// The db-proxy resource's pure parts: the configuration of a compute node's local database
// proxy rendered from the desired state, the plan, the member in use from `show stat`, the
// packages and Pydio's database address with Galera.

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/resources/db_proxy_config.hpp"
#include "agent/resources/db_proxy_resource.hpp"
#include "agent/resources/php_settings.hpp"
#include "agent/resources/pydio_bootstrap.hpp"
#include "common/desired_state.hpp"

using namespace pydio::agent;
using pydio::common::DesiredState;
using pydio::common::NodeSpec;
using pydio::common::Role;

namespace {

DesiredState galera_cluster() {
  DesiredState desired;
  const auto node = [](const std::string& name, const std::string& address,
                       std::vector<Role> roles) {
    NodeSpec spec;
    spec.name = name;
    spec.address = address;
    spec.roles = std::move(roles);
    return spec;
  };
  desired.nodes = {node("n1", "198.18.0.1", {Role::kStorage, Role::kCompute}),
                   node("db1", "198.18.0.11", {Role::kDb}), node("db2", "198.18.0.12", {Role::kDb}),
                   node("db3", "198.18.0.13", {Role::kDb})};
  // Document order, which is not the order of the addresses.
  desired.database.members = {"198.18.0.12", "198.18.0.11", "198.18.0.13"};
  desired.database.proxy_port = 3317;
  return desired;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("the database proxy's configuration follows database.members", "[db_proxy]") {
  const DesiredState desired = galera_cluster();
  const std::string text = db_proxy_config_text(desired, db_proxy_paths());

  SECTION("loopback only, on database.proxyPort, plain TCP") {
    CHECK(has_line(text, "    bind 127.0.0.1:3317"));
    CHECK(text.find("bind 0.0.0.0") == std::string::npos);
    CHECK(text.find("bind *") == std::string::npos);
    CHECK(has_line(text, "    mode tcp"));
  }
  SECTION("the members in document order: the first active, the others backups") {
    const auto first = text.find("    server db2 198.18.0.12:3306\n");
    const auto second = text.find("    server db1 198.18.0.11:3306 backup\n");
    const auto third = text.find("    server db3 198.18.0.13:3306 backup\n");
    REQUIRE(first != std::string::npos);
    REQUIRE(second != std::string::npos);
    REQUIRE(third != std::string::npos);
    CHECK(first < second);
    CHECK(second < third);
  }
  SECTION("each member is checked through its agent's GET /health/db every second") {
    CHECK(has_line(text, "    option httpchk GET /health/db"));
    CHECK(has_line(text, "    http-check expect status 200"));
    CHECK(text.find("default-server check port 8480 inter 1s fall 2 rise 2 "
                    "on-marked-down shutdown-sessions") != std::string::npos);
  }
  SECTION("its own files, not the lb's") {
    CHECK(text.find("stats socket /run/pydio-db-proxy/admin.sock mode 600") != std::string::npos);
    CHECK(has_line(text, "    server-state-file /var/lib/haproxy/pydio-db-proxy-state"));
    CHECK(text.find("/run/haproxy/admin.sock") == std::string::npos);
    CHECK(db_proxy_paths().config != HaproxyPaths{}.config);
    CHECK(db_proxy_paths().pid_file != HaproxyPaths{}.pid_file);
    CHECK(db_proxy_paths().unit == "pydio-db-proxy");
  }
  SECTION("a member no node has keeps its address as its name; the port follows database.port") {
    DesiredState other = desired;
    other.database.members.push_back("198.18.0.99");
    other.database.port = 3406;
    const std::string changed = db_proxy_config_text(other, db_proxy_paths());
    CHECK(changed.find("    server 198.18.0.99 198.18.0.99:3406 backup\n") != std::string::npos);
    CHECK(changed.find("    server db2 198.18.0.12:3406\n") != std::string::npos);
  }
  SECTION("rendering is deterministic (no spurious reloads)") {
    CHECK(db_proxy_config_text(desired, db_proxy_paths()) == text);
  }
}

TEST_CASE("db-proxy plan: validated write, start or reload only on change", "[db_proxy]") {
  DbProxyObservation observed;
  const std::string path = "/etc/haproxy/pydio-db-proxy.cfg";
  SECTION("nothing there: write then start") {
    Plan plan = plan_db_proxy("cfg", path, observed);
    REQUIRE(plan.actions.size() == 2);
    CHECK(plan.actions[0].kind == "write-db-proxy-config");
    CHECK(plan.actions[0].description == "write " + path + " (new), validated by haproxy -c");
    CHECK(plan.actions[1].kind == "start-db-proxy");
    CHECK(plan.actions[1].description == "start the database proxy (HAProxy)");
  }
  SECTION("running with a changed file: write then a graceful reload") {
    observed.current_text = "old";
    observed.running = true;
    Plan plan = plan_db_proxy("cfg", path, observed);
    REQUIRE(plan.actions.size() == 2);
    CHECK(plan.actions[1].kind == "reload-db-proxy");
  }
  SECTION("in sync (paired execution: nothing is planned); the note is the member in use") {
    observed.current_text = "cfg";
    observed.running = true;
    observed.members = "uses db1; db1 UP scur 1";
    Plan plan = plan_db_proxy("cfg", path, observed);
    CHECK(plan.actions.empty());
    CHECK(plan.waiting_for.empty());
    CHECK(plan.note == "uses db1; db1 UP scur 1");
  }
  SECTION("a reload owed (a write whose reload failed) is planned again") {
    observed.current_text = "cfg";
    observed.running = true;
    observed.reload_pending = true;
    Plan plan = plan_db_proxy("cfg", path, observed);
    REQUIRE(plan.actions.size() == 1);
    CHECK(plan.actions[0].kind == "reload-db-proxy");
  }
  SECTION("dead with the right file: started again, numbered") {
    observed.current_text = "cfg";
    observed.start_number = 3;
    Plan plan = plan_db_proxy("cfg", path, observed);
    REQUIRE(plan.actions.size() == 1);
    CHECK(plan.actions[0].kind == "start-db-proxy");
    CHECK(plan.actions[0].description ==
          "start the database proxy (HAProxy) (start 3 by this agent)");
  }
  SECTION("dying right after each start: the restart backoff holds the next start back") {
    observed.current_text = "cfg";
    observed.start_held_back = "the database proxy stopped within 1 s of start 2; next in 2 s";
    Plan plan = plan_db_proxy("cfg", path, observed);
    CHECK(plan.actions.empty());
    CHECK(plan.waiting_for == observed.start_held_back);
  }
}

TEST_CASE("status names the member the database proxy uses", "[db_proxy]") {
  std::vector<ServerStat> servers(3);
  servers[0] = {"db1", "UP", 4, "L7OK", "", ""};
  servers[1] = {"db2", "UP", 0, "L7OK", "", ""};
  servers[2] = {"db3", "DOWN", 0, "L7STS", "HTTP status check returned code <503>", ""};
  CHECK(describe_db_proxy(servers) ==
        "uses db1; db1 UP scur 4, db2 UP scur 0, "
        "db3 DOWN (HTTP status check returned code <503>) scur 0");
  SECTION("the first is down: the first backup that is up") {
    servers[0].status = "DOWN";
    servers[0].last_check = "Connection refused";
    servers[0].sessions = 0;
    CHECK(describe_db_proxy(servers).rfind("uses db2; db1 DOWN (Connection refused) scur 0", 0) ==
          0);
  }
  SECTION("none is up") {
    servers[0].status = "DOWN";
    servers[1].status = "DOWN 1/2";
    CHECK(describe_db_proxy(servers).rfind("uses none: no member is up; ", 0) == 0);
  }
  SECTION("going down but still up (UP 1/2) is still used") {
    servers[0].status = "UP 1/2";
    CHECK(describe_db_proxy(servers).rfind("uses db1; ", 0) == 0);
  }
}

TEST_CASE("db-proxy applies to compute nodes of a Galera cluster only", "[db_proxy]") {
  auto desired = std::make_shared<DesiredState>(galera_cluster());
  DbProxyResource resource;
  PassContext ctx;
  ctx.desired = desired;
  ctx.self = desired->find_node("n1");
  CHECK(resource.applies_to(ctx));
  ctx.self = desired->find_node("db1");
  CHECK_FALSE(resource.applies_to(ctx));
  auto single = std::make_shared<DesiredState>(galera_cluster());
  single->database.members.clear();
  single->database.host = "198.18.0.11";
  ctx.desired = single;
  ctx.self = single->find_node("n1");
  CHECK_FALSE(resource.applies_to(ctx));
}

TEST_CASE("compute nodes of a Galera cluster get haproxy for their database proxy",
          "[db_proxy][packages]") {
  NodeSpec node;
  node.roles = {Role::kCompute};
  const auto without = packages_for_roles(node, "8.2");
  CHECK(std::find(without.begin(), without.end(), "haproxy") == without.end());
  const auto with = packages_for_roles(node, "8.2", true);
  CHECK(std::count(with.begin(), with.end(), "haproxy") == 1);
  node.roles = {Role::kCompute, Role::kLb};
  const auto both = packages_for_roles(node, "8.2", true);
  CHECK(std::count(both.begin(), both.end(), "haproxy") == 1);
  node.roles = {Role::kDb};
  CHECK(packages_for_roles(node, "8.2", true).empty());
}

TEST_CASE("with Galera, Pydio's configuration names the local database proxy", "[db_proxy]") {
  const DesiredState desired = galera_cluster();
  auto text = bootstrap_json(desired.database, "s3cret", std::nullopt);
  REQUIRE(text);
  REQUIRE(text->has_value());
  const auto dibi = nlohmann::json::parse(**text)["core.conf"]["DIBI_PRECONFIGURATION"];
  CHECK(dibi["mysql_host"] == "127.0.0.1");
  CHECK(dibi["mysql_port"] == 3317);
}
