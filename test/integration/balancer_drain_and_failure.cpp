// Story: the operator drains a node behind HAProxy. HAProxy hears it from the node agent's
// agent-check ("drain"), not from its HTTP check (which ignores drain): users already on the
// node stay there while every new user goes to the other node. Undrain brings new users back.
// Then Apache on the node dies: HAProxy marks the node DOWN, its users move to the other node,
// and once the agent has restarted Apache the node is UP again. Last, PHP's user squats the
// agent-check port while the agent restarts: the node fails HAProxy's HTTP check instead of
// letting the squatter speak for it.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <thread>

#include "support/balancer.hpp"

using namespace pydio::test;

TEST_CASE("drain goes through agent-check; a dead Apache takes the node out", "[integration]") {
  SimCluster cluster;
  BalancedCluster web = bring_up_balanced_cluster(cluster);
  const std::string url = session_url(web);

  // Client A, stuck to whichever node answered first; the drain is on that node.
  const PageAnswer a = get_page(url);
  REQUIRE(a.code == 200);
  REQUIRE((a.node == "n1" || a.node == "n2"));
  SimNode& stuck = a.node == "n1" ? *web.n1 : *web.n2;
  const std::string other = a.node == "n1" ? "n2" : "n1";
  CHECK(agent_check_line(stuck.address()) == "ready up\n");

  REQUIRE(stuck.agentctl({"drain", "--reason", "maintenance"}).succeeded());
  CHECK(eventually([&] { return agent_check_line(stuck.address()) == "drain\n"; }));
  CHECK(eventually([&] { return server_states(web)[stuck.name()] == "DRAIN (agent)"; }));
  CHECK(eventually([&] {
    return haproxy_status(web).find(stuck.name() + " UP DRAIN scur ") != std::string::npos;
  }));
  // Drain is not a failed check: /health/serving still answers 200 (so not DOWN).
  CHECK(stuck.http_get("http://" + stuck.address() + ":8480/health/serving").first == 200);
  CHECK(stuck.http_get("http://" + stuck.address() + ":8480/health").first == 503);

  // A stays (persistence), every new client goes to the other node.
  int a_stayed = 0;
  for (int i = 0; i < 10; ++i) a_stayed += get_page(url, a.set_cookie).node == stuck.name();
  CHECK(a_stayed == 10);
  int new_on_other = 0;
  for (int i = 0; i < 10; ++i) new_on_other += get_page(url).node == other;
  CHECK(new_on_other == 10);

  REQUIRE(stuck.agentctl({"undrain"}).succeeded());
  CHECK(eventually([&] { return agent_check_line(stuck.address()) == "ready up\n"; }));
  CHECK(eventually([&] { return server_states(web)[stuck.name()] == "UP"; }));
  bool new_reached_stuck = false;
  for (int i = 0; i < 20 && !new_reached_stuck; ++i)
    new_reached_stuck = get_page(url).node == stuck.name();
  CHECK(new_reached_stuck);

  // Apache on that node dies: its main process and workers, killed by the main PID's process
  // group (killing the main process alone leaves prefork workers that go on serving port 80),
  // again whenever the agent has restarted it, until HAProxy has noticed (the agent restarts
  // it within a second or so; its restart backoff then holds it down longer each time).
  bool marked_down = eventually(
      [&] {
        if (int pid = apache_pid(stuck); pid > 0) ::kill(-pid, SIGKILL);
        return server_states(web)[stuck.name()].rfind("DOWN", 0) == 0;
      },
      180s);
  INFO("stats: " << nlohmann::json(server_states(web)).dump());
  CHECK(marked_down);
  // A's requests now go to the other node. (PHP there accepts A's session id as a new, empty
  // session without a new Set-Cookie, unless session.use_strict_mode is on.)
  const PageAnswer moved = get_page(url, a.set_cookie);
  CHECK(moved.code == 200);
  CHECK(moved.node == other);

  // The agent restarts Apache (the restart backoff may make it wait): the node is UP again.
  CHECK(eventually([&] { return apache_pid(stuck) > 0; }, 240s));
  CHECK(eventually([&] { return server_states(web)[stuck.name()] == "UP"; }, 240s));
  CHECK(eventually([&] { return agent_check_line(stuck.address()) == "ready up\n"; }));

  // HAProxy itself dies (its master killed by PID): the agent starts it again at once (the
  // process watch) and both servers are UP behind it.
  const int master = std::atoi(web.lb->read_file("/run/haproxy.pid").c_str());
  REQUIRE(master > 0);
  REQUIRE(::kill(master, SIGKILL) == 0);
  CHECK(eventually([&] {
    const int now = std::atoi(web.lb->read_file("/run/haproxy.pid").c_str());
    return now > 0 && now != master;
  }));
  CHECK(eventually([&] {
    auto states = server_states(web);
    return states["n1"] == "UP" && states["n2"] == "UP";
  }));
  CHECK(get_page(url).code == 200);

  {  // www-data holds n2's agent-check port while n2's agent is down, answering "ready up"
    SimNode& n2 = *web.n2;
    n2.stop_agent(SIGTERM);
    const std::string stop_file = "/var/www/squatter-stop";
    pydio::common::RunResult squatted;
    std::thread squatter([&] {
      squatted = n2.exec({"runuser", "-u", "www-data", "--", "python3", "-c",
               "import os, socket, sys\n"
               "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
               "s.bind(('198.18.0.2', 8482)); s.listen(8); s.settimeout(0.5)\n"
               "while not os.path.exists(sys.argv[1]):\n"
               "    try:\n"
               "        c, _ = s.accept(); c.sendall(b'ready up\\n'); c.close()\n"
               "    except socket.timeout:\n"
               "        pass\n",
               stop_file},
              300s);
    });
    // Stops and joins the squatter however this block is left (a REQUIRE throws).
    struct StopSquatter {
      std::function<void()> stop;
      ~StopSquatter() { stop(); }
    } stop_squatter{[&] {
      if (!squatter.joinable()) return;
      n2.write_file(stop_file, "");
      squatter.join();
    }};
    const bool squatting = eventually([&] { return agent_check_line(n2.address()) == "ready up\n"; });
    n2.start_agent();
    CHECK(n2.wait_agent_ready());
    // The agent cannot bind the port: its HTTP check fails, so HAProxy takes n2 out whatever
    // the squatter says.
    CHECK(eventually([&] {
      auto serving = n2.http_get("http://198.18.0.2:8480/health/serving");
      return serving.first == 503 && serving.second.find("agent-check") != std::string::npos;
    }));
    CHECK(eventually([&] { return server_states(web)["n2"].rfind("DOWN", 0) == 0; }));
    stop_squatter.stop();
    INFO("squatter: " << squatted.describe_failure({"python3"}));
    REQUIRE(squatting);
    // The squatter gone, the agent binds the port and n2 is back.
    CHECK(eventually([&] {
      return n2.http_get("http://198.18.0.2:8480/health/serving").first == 200;
    }));
    CHECK(eventually([&] { return server_states(web)["n2"] == "UP"; }));
  }
}
