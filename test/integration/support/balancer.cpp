#include "balancer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <sstream>

namespace pydio::test {

namespace {

constexpr const char* kSessionPage = R"(<?php
session_name("AjaXplorer");
session_start();
header("Content-Type: text/plain");
echo gethostname(), " ", $_SERVER["REMOTE_ADDR"], " ",
     isset($_SERVER["HTTPS"]) ? $_SERVER["HTTPS"] : "-", "\n";
)";

}  // namespace

BalancedCluster bring_up_balanced_cluster(SimCluster& cluster, int disk_mb) {
  BalancedCluster web;
  web.n1 = &cluster.add_node("n1", 1);
  web.n2 = &cluster.add_node("n2", 2);
  web.lb = &cluster.add_node("n4", 4);
  const std::string disk1 = web.n1->create_loop_device(disk_mb);
  const std::string disk2 = web.n2->create_loop_device(disk_mb);
  for (SimNode* node : {web.n1, web.n2, web.lb}) {
    node->start_agent();
    REQUIRE(node->wait_agent_ready());
  }
  web.spec = cluster_spec({{web.n1, {"storage", "compute", "db"}, disk1},
                           {web.n2, {"storage", "compute"}, disk2},
                           {web.lb, {"lb"}, ""}},
                          2);
  const std::string token = init_cluster(cluster, *web.n1, web.spec);
  join_cluster(*web.n2, *web.n1, token);
  join_cluster(*web.lb, *web.n1, token);
  REQUIRE(wait_healthy(*web.n1));
  REQUIRE(wait_healthy(*web.n2));
  for (SimNode* node : {web.n1, web.n2})
    node->write_file("/var/www/pydio/session.php", kSessionPage);
  const bool both_up = eventually(
      [&] {
        auto states = server_states(web);
        return states["n1"] == "UP" && states["n2"] == "UP";
      },
      240s);
  INFO("n4 status: " << web.lb->agentctl({"status"}).out);
  REQUIRE(both_up);
  return web;
}

std::string session_url(const BalancedCluster& web) {
  return "http://" + web.lb->address() + "/pydio/session.php";
}

PageAnswer get_page(const std::string& url, const std::string& cookie,
                    const std::vector<std::string>& headers) {
  // -k: the TLS step uses a self-signed certificate.
  std::vector<std::string> argv = {"curl", "-s", "-k", "--noproxy", "*",
                                   "-m",   "10", "-D", "-",         url};
  if (!cookie.empty()) argv.insert(argv.end(), {"-H", "Cookie: AjaXplorer=" + cookie});
  for (const auto& header : headers) argv.insert(argv.end(), {"-H", header});
  common::SystemRunner runner;
  const common::RunResult result = runner.run(common::Command(argv, 20s));
  PageAnswer answer;
  if (!result.succeeded()) return answer;
  const auto end_of_headers = result.out.find("\r\n\r\n");
  if (end_of_headers == std::string::npos) return answer;
  const std::string head = result.out.substr(0, end_of_headers);
  std::istringstream status_line(head);
  std::string version;
  status_line >> version >> answer.code;
  // HAProxy 2.x writes HTTP/1 header names in lower case: compare without case.
  std::string lower = head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string marker = "\r\nset-cookie: ajaxplorer=";
  const auto at = lower.find(marker);
  if (at != std::string::npos) {
    const auto start = at + marker.size();
    answer.set_cookie = head.substr(start, head.find_first_of(";\r", start) - start);
  }
  std::istringstream body(result.out.substr(end_of_headers + 4));
  body >> answer.node >> answer.client >> answer.https;
  return answer;
}

std::map<std::string, std::string> server_states(const BalancedCluster& web) {
  common::SystemRunner runner;
  const common::RunResult result = runner.run(common::Command(
      {"curl", "-s", "--noproxy", "*", "-m", "10", "http://" + web.lb->address() + ":8404/;csv"},
      20s));
  std::map<std::string, std::string> states;
  if (!result.succeeded()) return states;
  std::istringstream lines(result.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("pydio,", 0) != 0) continue;
    std::vector<std::string> fields;
    std::istringstream cells(line);
    std::string cell;
    while (std::getline(cells, cell, ',')) fields.push_back(cell);
    // management.txt: 1 svname, 17 status.
    if (fields.size() > 17 && fields[1] != "FRONTEND" && fields[1] != "BACKEND")
      states[fields[1]] = fields[17];
  }
  return states;
}

std::string haproxy_status(const BalancedCluster& web) {
  nlohmann::json status = web.lb->status();
  if (!status.is_object() || !status.contains("resources")) return "";
  for (const auto& resource : status["resources"])
    if (resource.value("name", "") == "haproxy" && resource.value("state", "") == "in-sync")
      return resource.value("waitingFor", "");
  return "";
}

std::string agent_check_line(const std::string& address, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, address.c_str(), &to.sin_addr);
  std::string line;
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
    char buffer[256];
    ssize_t got;
    while ((got = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
      line.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return line;
}

common::RunResult apply_spec(SimCluster& cluster, SimNode& node, nlohmann::json spec) {
  spec["generation"] = generation_of(node);  // based on the one in force
  const std::string path =
      cluster.run_dir() + "/spec-" + std::to_string(spec["generation"].get<long long>()) + ".json";
  std::ofstream(path) << spec.dump(2);
  return node.agentctl({"apply", "--spec", path}, 60s);
}

}  // namespace pydio::test
