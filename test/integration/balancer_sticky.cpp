// Story: the operator puts HAProxy in front of the web tier by giving a node role lb. Users who
// reach the balancer stay on the node that holds their PHP session (Pydio's cookie AjaXplorer,
// prefixed by HAProxy with the server's name), new users are spread over the nodes, Apache logs
// the user's address (not the balancer's), and only a trusted proxy can tell PHP the request
// came over HTTPS. The stats page is on the private address only. A configuration HAProxy
// refuses never replaces the working one, and a reload keeps every connection. An agent restart
// reloads HAProxy once (a reload the dead agent owed is not lost). Last, the operator takes role
// lb away from n4 (it becomes a web node): the agent stops the HAProxy it started, its ports
// close, its configuration is kept aside, and n4 serves as a compute node.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <iostream>
#include <thread>

#include "agent/host/pid_file.hpp"
#include "support/balancer.hpp"

using namespace pydio::test;

TEST_CASE("HAProxy keeps a user on one node and spreads new users", "[integration]") {
  SimCluster cluster;
  BalancedCluster web = bring_up_balanced_cluster(cluster);
  const std::string url = session_url(web);

  // A new user: the session cookie comes back prefixed with the serving node's name.
  const PageAnswer first = get_page(url);
  REQUIRE(first.code == 200);
  INFO("first answer from " << first.node << ", cookie " << first.set_cookie);
  REQUIRE((first.node == "n1" || first.node == "n2"));
  REQUIRE(first.set_cookie.rfind(first.node + "~", 0) == 0);
  const std::string other = first.node == "n1" ? "n2" : "n1";

  // 20 requests with that cookie all land on the same node.
  int same = 0;
  for (int i = 0; i < 20; ++i) same += get_page(url, first.set_cookie).node == first.node;
  CHECK(same == 20);

  // New users reach the other node too (round robin; at most 20 tries).
  bool reached_other = false;
  for (int i = 0; i < 20 && !reached_other; ++i) reached_other = get_page(url).node == other;
  CHECK(reached_other);

  // PHP and Apache's log see the user's address (the bridge, .254), not the balancer's.
  CHECK(first.client == "198.18.0.254");
  SimNode& serving = first.node == "n1" ? *web.n1 : *web.n2;
  const std::string log = serving.read_file("/var/log/apache2/pydio-access.log");
  CHECK(log.find("198.18.0.254 - - [") != std::string::npos);
  CHECK(log.find("198.18.0.4 - - [") == std::string::npos);

  // X-Forwarded-Proto: https is believed from the balancer only. Through HAProxy without TLS it
  // says http; the balancer's own address saying https gives HTTPS=on; anyone else is ignored.
  CHECK(first.https == "-");
  {
    auto via_lb = web.lb->exec({"curl", "-s", "--noproxy", "*", "-m", "10", "-H",
                                "X-Forwarded-Proto: https", "http://198.18.0.1/pydio/session.php"});
    CHECK(via_lb.out.find(" on") != std::string::npos);
    const PageAnswer forged = get_page("http://198.18.0.1/pydio/session.php", "",
                                       {"X-Forwarded-Proto: https", "X-Forwarded-For: 10.9.9.9"});
    CHECK(forged.code == 200);
    CHECK(forged.https == "-");
    CHECK(forged.client == "198.18.0.254");
  }

  // The stats page answers on n4's private address, and nowhere else (not on loopback).
  {
    pydio::common::SystemRunner runner;
    CHECK(
        runner
            .run(pydio::common::Command(
                {"curl", "-s", "-f", "--noproxy", "*", "-m", "10", "http://198.18.0.4:8404/"}, 20s))
            .succeeded());
    auto loopback =
        web.lb->exec({"curl", "-s", "--noproxy", "*", "-m", "5", "http://127.0.0.1:8404/"});
    CHECK(loopback.exit_code == 7);  // connection refused
  }

  // A certificate HAProxy cannot load: `haproxy -c` refuses, the old file and HAProxy stay.
  const std::string config_before = web.lb->read_file("/etc/haproxy/haproxy.cfg");
  REQUIRE_FALSE(config_before.empty());
  web.lb->must({"mkdir", "-p", "/etc/haproxy"});
  web.lb->write_file("/etc/haproxy/not-a-pem.pem", "this is not a certificate\n");
  {
    nlohmann::json spec = web.spec;
    spec["loadBalancer"] = {{"tlsCertificate", "/etc/haproxy/not-a-pem.pem"}};
    auto applied = apply_spec(cluster, *web.n1, spec);
    INFO(applied.out << applied.err);
    REQUIRE(applied.succeeded());
    bool refused = eventually([&] {
      nlohmann::json status = web.lb->status();
      if (!status.is_object()) return false;
      for (const auto& r : status["resources"])
        if (r["name"] == "haproxy" && r["state"] == "error" &&
            r["lastError"].dump().find("haproxy -c rejected") != std::string::npos)
          return true;
      return false;
    });
    INFO("n4 status: " << web.lb->agentctl({"status"}).out);
    CHECK(refused);
    CHECK(web.lb->read_file("/etc/haproxy/haproxy.cfg") == config_before);
    CHECK(web.lb->file_absent("/etc/haproxy/haproxy.cfg.new"));
    CHECK(get_page(url, first.set_cookie).node == first.node);  // still serving
  }

  // A change HAProxy accepts is a reload, and a reload drops no request of a running client.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<int> requests{0};
  std::thread client([&] {
    while (!stop) {
      failures += get_page(url, first.set_cookie).code != 200;
      ++requests;
    }
  });
  const int reloads_before = count_events(*web.lb, "haproxy", "reload HAProxy");
  {
    nlohmann::json spec = web.spec;
    spec["loadBalancer"] = {{"checkIntervalMs", 1000}};
    auto applied = apply_spec(cluster, *web.n1, spec);
    INFO(applied.out << applied.err);
    CHECK(applied.succeeded());
    CHECK(eventually(
        [&] { return count_events(*web.lb, "haproxy", "reload HAProxy") > reloads_before; }));
    CHECK(web.lb->read_file("/etc/haproxy/haproxy.cfg").find(" inter 1000 ") != std::string::npos);
    std::this_thread::sleep_for(3s);  // requests after the reload too
  }
  stop = true;
  client.join();
  std::cout << "requests during the reload: " << requests << ", failed: " << failures << "\n";
  CHECK(requests > 0);
  CHECK(failures == 0);
  auto states = server_states(web);
  CHECK(states["n1"] == "UP");
  CHECK(states["n2"] == "UP");
  // agentctl status on n4 shows each server as HAProxy sees it.
  CHECK(eventually([&] {
    return haproxy_status(web).find("n1 UP ready scur ") != std::string::npos &&
           haproxy_status(web).find("n2 UP ready scur ") != std::string::npos;
  }));

  // TLS ends at the balancer (loadBalancer.tlsCertificate): HTTPS answers, PHP sees HTTPS=on
  // (X-Forwarded-Proto from a trusted proxy) and the user's address; plain HTTP is redirected.
  web.lb->must({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                "/CN=files.example.test", "-keyout", "/etc/haproxy/test.key", "-out",
                "/etc/haproxy/test.crt"});
  web.lb->write_file("/etc/haproxy/test.pem", web.lb->read_file("/etc/haproxy/test.crt") +
                                                  web.lb->read_file("/etc/haproxy/test.key"));
  {
    nlohmann::json spec = web.spec;
    spec["loadBalancer"] = {{"checkIntervalMs", 1000}, {"tlsCertificate", "/etc/haproxy/test.pem"}};
    auto applied = apply_spec(cluster, *web.n1, spec);
    INFO(applied.out << applied.err);
    REQUIRE(applied.succeeded());
    const std::string https_url = "https://" + web.lb->address() + "/pydio/session.php";
    CHECK(eventually([&] { return get_page(https_url).code == 200; }));
    const PageAnswer secure = get_page(https_url);
    CHECK(secure.https == "on");
    CHECK(secure.client == "198.18.0.254");
    CHECK(secure.set_cookie.rfind(secure.node + "~", 0) == 0);
    CHECK(get_page(url).code == 302);
  }

  // The certificate is renewed in place (a new file renamed over the old, as certbot's deploy
  // hooks do) with the configuration unchanged: HAProxy is reloaded and serves the new one.
  const auto served_subject = [&] {
    pydio::common::SystemRunner runner;
    auto hello = runner.run(
        pydio::common::Command({"openssl", "s_client", "-connect", web.lb->address() + ":443",
                                "-servername", "files.example.test"},
                               20s));
    const auto at = hello.out.find("subject=");
    return at == std::string::npos ? std::string()
                                   : hello.out.substr(at, hello.out.find('\n', at) - at);
  };
  CHECK(served_subject().find("files.example.test") != std::string::npos);
  web.lb->must({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                "/CN=renewed.example.test", "-keyout", "/etc/haproxy/test.key", "-out",
                "/etc/haproxy/test.crt"});
  web.lb->write_file("/etc/haproxy/test.pem.new", web.lb->read_file("/etc/haproxy/test.crt") +
                                                      web.lb->read_file("/etc/haproxy/test.key"));
  web.lb->must({"mv", "/etc/haproxy/test.pem.new", "/etc/haproxy/test.pem"});
  CHECK(eventually(
      [&] { return has_event(*web.lb, "haproxy", "certificate /etc/haproxy/test.pem changed"); }));
  CHECK(eventually(
      [&] { return served_subject().find("renewed.example.test") != std::string::npos; }));
  CHECK(get_page("https://" + web.lb->address() + "/pydio/session.php").code == 200);

  // An agent that dies between writing HAProxy's configuration and reloading it leaves HAProxy
  // on the old one, with nothing on disk to say so: every agent start reloads it once.
  web.lb->stop_agent(SIGTERM);
  web.lb->start_agent();
  REQUIRE(web.lb->wait_agent_ready());
  CHECK(eventually(
      [&] { return has_event(*web.lb, "haproxy", "reload HAProxy (a reload is owed"); }));
  // (Plain HTTP is redirected to HTTPS since the TLS step.)
  CHECK(get_page("https://" + web.lb->address() + "/pydio/session.php", first.set_cookie).node ==
        first.node);

  // Role lb taken away from n4, which becomes a compute node. The HAProxy the agent started is
  // stopped by its PID, its listeners (80, 443) and stats port (8404) close, and its
  // configuration is moved aside, not deleted.
  const int master = std::atoi(web.lb->read_file("/run/haproxy.pid").c_str());
  REQUIRE(master > 0);
  {
    nlohmann::json spec = web.spec;  // no loadBalancer section: no node has role lb
    for (auto& node : spec["nodes"])
      if (node["name"] == "n4") node["roles"] = {"compute"};
    auto applied = apply_spec(cluster, *web.n1, spec);
    INFO(applied.out << applied.err);
    REQUIRE(applied.succeeded());
  }
  CHECK(eventually([&] {
    return has_event(*web.lb, "haproxy", "stop HAProxy: this node no longer has role lb");
  }));
  CHECK(eventually([&] { return pydio::agent::is_zombie_or_gone(master); }));
  const auto port_open = [&](int port) {
    pydio::common::SystemRunner runner;
    return runner
               .run(pydio::common::Command(
                   {"curl", "-s", "-k", "--noproxy", "*", "-m", "5", "-o", "/dev/null",
                    "https://198.18.0.4:" + std::to_string(port) + "/"},
                   20s))
               .exit_code != 7;  // 7: connection refused
  };
  CHECK(eventually([&] { return !port_open(8404) && !port_open(443); }));
  CHECK(eventually([&] { return web.lb->file_absent("/etc/haproxy/haproxy.cfg"); }));
  const std::string kept = web.lb->must(
      {"find", "/etc/haproxy", "-maxdepth", "1", "-name", "haproxy.cfg.pydio-agent-removed-*"});
  INFO("kept: " << kept);
  CHECK(has_event(*web.lb, "haproxy", "aside to /etc/haproxy/haproxy.cfg.pydio-agent-removed-"));
  REQUIRE_FALSE(kept.empty());
  CHECK(web.lb->read_file(kept.substr(0, kept.find('\n'))).find("listen stats") !=
        std::string::npos);
  // n4 is otherwise well: a healthy compute node (Apache has port 80 now), HAProxy not restarted.
  CHECK(wait_healthy(*web.lb, 240s));
  CHECK(web.lb->file_absent("/etc/haproxy/haproxy.cfg"));
  CHECK_FALSE(port_open(8404));
}
