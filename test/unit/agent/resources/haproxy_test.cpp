// The haproxy resource's pure parts: the configuration rendered from the desired state, the
// plan, and the `show stat` parser on HAProxy 2.6's recorded output; and, on a temporary
// directory, when a node that lost role lb still has the agent's HAProxy to retire.

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "agent/resources/haproxy_config.hpp"
#include "agent/resources/haproxy_resource.hpp"
#include "agent/resources/haproxy_stat.hpp"
#include "common/desired_state.hpp"
#include "test/unit/support/temp_dir.hpp"
#include "test/unit/support/test_data.hpp"

using namespace pydio::agent;
using pydio::common::DesiredState;
using pydio::common::NodeSpec;
using pydio::common::Role;

namespace {

DesiredState lb_cluster() {
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
                   node("n2", "198.18.0.2", {Role::kStorage, Role::kCompute}),
                   node("db", "198.18.0.3", {Role::kDb}), node("n4", "198.18.0.4", {Role::kLb})};
  return desired;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("the HAProxy configuration follows the desired state", "[haproxy][lb]") {
  DesiredState desired = lb_cluster();
  const std::string text = haproxy_config_text(desired, desired.nodes[3], HaproxyPaths{});
  SECTION("every compute node is a server with its cookie; other nodes are not") {
    CHECK(has_line(text, "    server n1 198.18.0.1:80 cookie n1"));
    CHECK(has_line(text, "    server n2 198.18.0.2:80 cookie n2"));
    CHECK(text.find("server db") == std::string::npos);
    CHECK(text.find("server n4") == std::string::npos);
  }
  SECTION("stickiness on Pydio's session cookie, checks of the agent that ignore drain") {
    CHECK(has_line(text, "    cookie AjaXplorer prefix nocache"));
    CHECK(has_line(text, "    http-check send meth GET uri /health/serving"));
    CHECK(has_line(text,
                   "    default-server check port 8480 inter 2000 fall 2 rise 2 agent-check "
                   "agent-port 8482 agent-inter 2000"));
    CHECK(has_line(text, "    option forwardfor"));
    CHECK(has_line(text, "    http-request set-header X-Forwarded-Proto http unless { ssl_fc }"));
  }
  SECTION("stats on the lb node's private address only; state kept across reloads") {
    CHECK(has_line(text, "    bind 198.18.0.4:8404"));
    CHECK(text.find("0.0.0.0:8404") == std::string::npos);
    CHECK(text.find("expose-fd listeners") != std::string::npos);
    CHECK(has_line(text, "    server-state-file /var/lib/haproxy/server-state"));
    CHECK(has_line(text, "    load-server-state-from-file global"));
  }
  SECTION("no TLS unless a certificate is given") {
    CHECK(text.find("ssl crt") == std::string::npos);
    CHECK(text.find("redirect") == std::string::npos);
    desired.load_balancer.tls_certificate = "/etc/haproxy/site.pem";
    desired.load_balancer.session_cookie = "PHPSESSID";
    desired.load_balancer.check_interval_ms = 1000;
    desired.load_balancer.timeout_seconds = 600;
    const std::string tls = haproxy_config_text(desired, desired.nodes[3], HaproxyPaths{});
    CHECK(has_line(tls, "    bind 0.0.0.0:443 ssl crt /etc/haproxy/site.pem"));
    CHECK(has_line(tls, "    http-request redirect scheme https unless { ssl_fc }"));
    CHECK(has_line(tls, "    cookie PHPSESSID prefix nocache"));
    CHECK(tls.find("inter 1000 ") != std::string::npos);
    CHECK(has_line(tls, "    timeout client 600s"));
  }
}

TEST_CASE("haproxy plan: validated write, start or reload only on change", "[haproxy][lb]") {
  HaproxyObservation observed;
  SECTION("nothing there: write then start") {
    Plan plan = plan_haproxy("cfg", "/etc/haproxy/haproxy.cfg", observed);
    REQUIRE(plan.actions.size() == 2);
    CHECK(plan.actions[0].kind == "write-haproxy-config");
    CHECK(plan.actions[0].description ==
          "write /etc/haproxy/haproxy.cfg (new), validated by haproxy -c");
    CHECK(plan.actions[1].kind == "start-haproxy");
  }
  SECTION("running with a changed file: write then reload") {
    observed.current_text = "old";
    observed.running = true;
    Plan plan = plan_haproxy("cfg", "/etc/haproxy/haproxy.cfg", observed);
    REQUIRE(plan.actions.size() == 2);
    CHECK(plan.actions[1].kind == "reload-haproxy");
  }
  SECTION("in sync (paired execution: after apply nothing is planned); the note is the servers") {
    observed.current_text = "cfg";
    observed.running = true;
    observed.servers = "n1 UP ready scur 0";
    Plan plan = plan_haproxy("cfg", "/etc/haproxy/haproxy.cfg", observed);
    CHECK(plan.actions.empty());
    CHECK(plan.note == "n1 UP ready scur 0");
  }
  SECTION("a reload owed (a write whose reload failed) is planned again") {
    observed.current_text = "cfg";
    observed.running = true;
    observed.reload_pending = true;
    Plan plan = plan_haproxy("cfg", "/etc/haproxy/haproxy.cfg", observed);
    REQUIRE(plan.actions.size() == 1);
    CHECK(plan.actions[0].kind == "reload-haproxy");
  }
  SECTION("a renewed certificate under an unchanged configuration: a checked reload") {
    observed.current_text = "cfg";
    observed.running = true;
    observed.certificate_changed = "/etc/haproxy/site.pem";
    Plan plan = plan_haproxy("cfg", "/etc/haproxy/haproxy.cfg", observed);
    REQUIRE(plan.actions.size() == 1);
    CHECK(plan.actions[0].kind == "reload-haproxy");
    CHECK(plan.actions[0].description.find("certificate /etc/haproxy/site.pem changed") !=
          std::string::npos);
  }
  SECTION("stopped with the right file: start only") {
    observed.current_text = "cfg";
    Plan plan = plan_haproxy("cfg", "/etc/haproxy/haproxy.cfg", observed);
    REQUIRE(plan.actions.size() == 1);
    CHECK(plan.actions[0].kind == "start-haproxy");
  }
}

TEST_CASE("show stat is parsed from HAProxy 2.6's real CSV", "[haproxy][lb]") {
  SECTION("servers drained by their agents") {
    auto servers = parse_show_stat(pydio::test::recorded_output("haproxy/show-stat-drain.csv"));
    REQUIRE(servers.has_value());
    REQUIRE(servers->size() == 2);
    CHECK((*servers)[0].name == "n1");
    CHECK((*servers)[0].status == "DRAIN (agent)");
    CHECK((*servers)[0].check_status == "L7OK");
    CHECK(describe_servers(*servers) == "n1 UP DRAIN scur 0; n2 UP DRAIN scur 0");
  }
  SECTION("servers whose checks are refused") {
    auto servers = parse_show_stat(pydio::test::recorded_output("haproxy/show-stat-down.csv"));
    REQUIRE(servers.has_value());
    CHECK(describe_servers(*servers) ==
          "n1 DOWN (Connection refused) scur 0; n2 DOWN (Connection refused) scur 0");
  }
  SECTION("up, with sessions, and the agent's own reason") {
    std::vector<ServerStat> servers(2);
    servers[0] = {"n1", "UP", 2, "L7OK", "", ""};
    servers[1] = {"n2", "DOWN", 0, "L7OK", "", "down#apache: refused"};
    CHECK(describe_servers(servers) ==
          "n1 UP ready scur 2; n2 DOWN (agent: down#apache: refused) scur 0");
    CHECK(describe_servers({}) == "no servers (no compute node)");
  }
  SECTION("garbage is an error, not an empty list") {
    CHECK_FALSE(parse_show_stat("Unknown command\n").has_value());
    CHECK_FALSE(parse_show_stat("# pxname,svname\npydio,n1\n").has_value());
  }
}

TEST_CASE("a missing haproxy binary is an error naming the package", "[haproxy][lb]") {
  const char* saved = std::getenv("PATH");
  const std::string path = saved != nullptr ? saved : "";
  ::setenv("PATH", "/nonexistent-pydio-test-dir", 1);
  const std::string missing = HaproxyControl::missing_binary();
  ::setenv("PATH", path.c_str(), 1);
  CHECK(missing ==
        "haproxy is not installed (no haproxy on PATH): install the Debian package haproxy");
}

TEST_CASE("an agent start owes HAProxy one reload", "[haproxy][lb]") {
  // An agent that died between writing the configuration and reloading left HAProxy on the old
  // one; nothing on disk says so. A fresh resource (a fresh agent) reloads once.
  HaproxyResource fresh;
  CHECK(fresh.reload_owed());
  HaproxyResource next;
  next.carry_over(fresh);
  CHECK(next.reload_owed());
}

TEST_CASE("a node that loses role lb stops the agent's HAProxy and keeps its configuration",
          "[haproxy][lb]") {
  HaproxyLeftover leftover;
  leftover.config_path = "/etc/haproxy/haproxy.cfg";
  leftover.aside_path = haproxy_aside_path(leftover.config_path, "2026-12-01T08:30:00Z");
  CHECK(leftover.aside_path == "/etc/haproxy/haproxy.cfg.pydio-agent-removed-20261201T083000Z");
  SECTION("running with the agent's file: stop, then move the file aside") {
    leftover.running = true;
    leftover.agent_config = true;
    Plan plan = plan_haproxy_retirement(leftover);
    REQUIRE(plan.actions.size() == 2);
    CHECK(plan.actions[0].kind == "stop-haproxy");
    CHECK(plan.actions[1].kind == "set-haproxy-config-aside");
    CHECK(plan.actions[1].description ==
          "move /etc/haproxy/haproxy.cfg aside to "
          "/etc/haproxy/haproxy.cfg.pydio-agent-removed-20261201T083000Z (kept, not deleted; "
          "this node no longer has role lb)");
  }
  SECTION("already stopped (an agent died after the stop): only the move") {
    leftover.agent_config = true;
    Plan plan = plan_haproxy_retirement(leftover);
    REQUIRE(plan.actions.size() == 1);
    CHECK(plan.actions[0].kind == "set-haproxy-config-aside");
  }
  SECTION("nothing left: nothing to do") {
    CHECK(plan_haproxy_retirement(leftover).actions.empty());
  }
}

TEST_CASE("the haproxy resource applies to a non-lb node only while the agent's file is there",
          "[haproxy][lb]") {
  pydio::test::TempDir dir;
  HaproxyPaths paths;
  paths.config = dir / "haproxy.cfg";
  paths.pid_file = dir / "haproxy.pid";
  HaproxyResource resource(paths);
  auto desired = std::make_shared<DesiredState>(lb_cluster());
  PassContext ctx;
  ctx.desired = desired;
  ctx.self = &desired->nodes[0];  // n1: storage and compute, no lb
  const auto write = [&](const std::string& text) { std::ofstream(paths.config) << text; };
  SECTION("an lb node: always") {
    ctx.self = &desired->nodes[3];
    CHECK(resource.applies_to(ctx));
  }
  SECTION("no file, or the operator's own HAProxy configuration: never touched") {
    CHECK_FALSE(resource.applies_to(ctx));
    write("global\n    daemon\n");
    CHECK_FALSE(resource.applies_to(ctx));
  }
  SECTION("a node not in the desired state decides nothing") {
    write(haproxy_config_text(*desired, desired->nodes[3], paths));
    ctx.self = nullptr;
    CHECK_FALSE(resource.applies_to(ctx));
  }
  SECTION("the agent's file: applies until it is moved aside, which keeps it whole") {
    const std::string text = haproxy_config_text(*desired, desired->nodes[3], paths);
    write(text);
    CHECK(resource.applies_to(ctx));
    const std::string aside = haproxy_aside_path(paths.config, "2026-12-01T08:30:00Z");
    const auto move =
        make_action<HaproxyAction>("move", SetHaproxyConfigAside{paths.config, aside});
    REQUIRE(resource.apply(ctx, move));
    CHECK_FALSE(resource.applies_to(ctx));
    std::ifstream kept(aside);
    CHECK(std::string(std::istreambuf_iterator<char>(kept), {}) == text);
    // An earlier copy is never replaced.
    write(text);
    CHECK_FALSE(resource.apply(ctx, move));
  }
}
