// One story, checked step by step (no SECTIONs: Catch2 would rerun the setup for each).
// Story: node1 (storage, compute and database; it holds the leader lease) serves. A stranger
// on the network opens 2,000 connections to its unauthenticated health port and keeps them
// open, reopening whatever the agent closes. /health still answers 200, `agentctl status`
// answers, the peer API answers and the node keeps the lease (same term for 30 s). The same
// flood on the peer port, connections that never begin their TLS handshake, holds at most the
// peer API's cap of descriptors, and a real peer still gets an answer. A
// slowloris client dribbling a request header one byte a second is cut by the agent. Then
// the web application (www-data) plants FIFOs where the agent opens files on the shared
// volumes and the docroot (the health write probe, check.txt): /health keeps answering and
// names the problem, `agentctl status` answers, nothing hangs.
// Prints what it measures (latency of /health under the flood); asserts no speed.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "agent/cluster/http_client.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kIdleConnections = 2000;
constexpr std::uint16_t kHealthPort = 8480;
constexpr std::uint16_t kPeerPort = 8481;
// What the agent closes is reopened at up to this rate: enough to keep the flood at its size
// against the agent's evictions and header timeout, without the test itself eating the CPU.
constexpr int kReopensPerSecond = 1000;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// `count` TCP connections from the test process to address:port (the bridge reaches every
// node) that never send a byte. A thread reopens whatever the agent closes, as a determined
// attacker would. Destroying it closes every connection.
class ConnectionFlood {
 public:
  ConnectionFlood(std::string address, std::uint16_t port, int count)
      : address_(std::move(address)), port_(port), fds_(count, -1), connecting_(count, false) {
    for (int i = 0; i < count; ++i) open(i);
    thread_ = std::thread([this] { loop(); });
  }
  ~ConnectionFlood() {
    stop_ = true;
    thread_.join();
    for (int fd : fds_)
      if (fd >= 0) ::close(fd);
  }
  int connected() const { return connected_; }
  long reopened() const { return reopened_; }

 private:
  void open(std::size_t i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port_);
    ::inet_pton(AF_INET, address_.c_str(), &to.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS) {
      ::close(fd);
      return;
    }
    fds_[i] = fd;
    connecting_[i] = true;
  }
  void loop() {
    constexpr auto kTick = std::chrono::milliseconds(100);
    std::vector<pollfd> polled(fds_.size());
    while (!stop_) {
      const auto tick_end = Clock::now() + kTick;
      for (std::size_t i = 0; i < fds_.size(); ++i) {
        polled[i] = {fds_[i], static_cast<short>(connecting_[i] ? POLLOUT : POLLIN), 0};
      }
      ::poll(polled.data(), polled.size(), static_cast<int>(kTick.count()));
      int connected = 0;
      for (std::size_t i = 0; i < fds_.size(); ++i) {
        if (fds_[i] < 0) continue;
        bool closed = (polled[i].revents & (POLLERR | POLLHUP)) != 0;
        if (!closed && connecting_[i] && (polled[i].revents & POLLOUT) != 0) connecting_[i] = false;
        if (!closed && (polled[i].revents & POLLIN) != 0) {
          char byte = 0;
          closed = ::recv(fds_[i], &byte, 1, 0) <= 0;  // EOF or reset: the agent closed it
        }
        if (closed) {
          ::close(fds_[i]);
          fds_[i] = -1;
        } else if (!connecting_[i]) {
          ++connected;
        }
      }
      connected_ = connected;
      int budget = kReopensPerSecond / 10;
      for (std::size_t i = 0; i < fds_.size() && budget > 0; ++i) {
        if (fds_[i] >= 0) continue;
        open(i);
        ++reopened_;
        --budget;
      }
      std::this_thread::sleep_until(tick_end);
    }
  }

  std::string address_;
  std::uint16_t port_;
  std::vector<int> fds_;  // the flood thread only, after construction
  std::vector<bool> connecting_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connected_{0};
  std::atomic<long> reopened_{0};
  std::thread thread_;
};

pydio::agent::api::Exchange get(const std::string& address, std::uint16_t port,
                                const std::string& target) {
  pydio::agent::api::Request request{http::verb::get, target, 11};
  return pydio::agent::api::exchange_tcp(address, port, request, std::chrono::seconds(10));
}

// The test process holds the flood's descriptors: make room for them.
void raise_own_descriptor_limit() {
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  limit.rlim_cur = limit.rlim_max;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
  REQUIRE(limit.rlim_cur >= static_cast<rlim_t>(kIdleConnections + 256));
}

std::string percentile_text(std::vector<double> samples) {
  if (samples.empty()) return "no samples";
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double p) {
    return samples[std::min(samples.size() - 1, static_cast<std::size_t>(p * samples.size()))];
  };
  const auto ms = [](double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f ms", value);
    return std::string(text);
  };
  return "median " + ms(at(0.5)) + ", p90 " + ms(at(0.9)) + ", max " + ms(samples.back()) +
         " over " + std::to_string(samples.size()) + " requests";
}

// Open descriptors of a process (the nodes share the test's PID namespace); 0 when unknown.
int descriptors_of(int pid) {
  std::error_code ec;
  int count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++count;
  }
  return count;
}

// `agentctl status` answers (exit 0, JSON) within its own generous timeout.
bool status_answers(SimNode& node) { return node.status().is_object(); }

// The peer API answers 200 over TLS, to the node's own certificate, as another agent's would.
bool peer_answers(SimNode& node) {
  const std::string pki = "/etc/pydio-agent/pki/";
  const pydio::common::RunResult peer = node.exec(
      {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cacert",
       pki + "ca.crt", "--cert", pki + "node.crt", "--key", pki + "node.key",
       "https://" + node.address() + ":" + std::to_string(kPeerPort) + "/v1/peer/node"},
      30s);
  if (peer.out != "200") std::cout << "peer API answered '" << peer.out << "': " << peer.err;
  return peer.out == "200";
}

}  // namespace

TEST_CASE("hostile clients: a connection flood, a slowloris and planted FIFOs change nothing",
          "[integration]") {
  raise_own_descriptor_limit();
  SimCluster cluster;
  SimNode& node = bring_up_healthy_single_node(cluster);
  const std::string address = node.address();

  {  // the PID the harness gave is the daemon itself (its descriptors are counted below)
    std::ifstream comm("/proc/" + std::to_string(node.agent_pid()) + "/comm");
    std::string name;
    std::getline(comm, name);
    REQUIRE(name == "pydio-agentd");
  }

  nlohmann::json status = node.status();
  REQUIRE(status.is_object());
  REQUIRE(status["leader"]["isLeader"] == true);
  const auto term = status["leader"]["term"].get<long long>();

  std::vector<double> quiet;  // /health latency before the flood, for comparison
  for (int i = 0; i < 20; ++i) {
    const auto start = Clock::now();
    const auto health = get(address, kHealthPort, "/health");
    if (health.ok() && health.response.result() == http::status::ok)
      quiet.push_back(ms_since(start));
  }
  std::cout << "/health without flood: " << percentile_text(quiet) << "\n";

  {  // 2,000 idle connections to the health port, reopened as the agent closes them
    ConnectionFlood flood(address, kHealthPort, kIdleConnections);
    // The agent keeps at most its cap and closes the oldest idle ones: the flood reopens them.
    REQUIRE(eventually([&] { return flood.reopened() >= kIdleConnections; }, 60s));

    std::vector<double> flooded;
    int failed = 0;
    std::string last_failure;
    int most_descriptors = 0;
    const auto watch_until = Clock::now() + 30s;  // the lease is watched as long
    while (Clock::now() < watch_until) {
      const auto start = Clock::now();
      const auto health = get(address, kHealthPort, "/health");
      if (health.ok() && health.response.result() == http::status::ok) {
        flooded.push_back(ms_since(start));
      } else {
        ++failed;
        last_failure = health.ok() ? std::to_string(health.response.result_int()) : health.error;
      }
      most_descriptors = std::max(most_descriptors, descriptors_of(node.agent_pid()));
      std::this_thread::sleep_for(250ms);
    }
    std::cout << "/health under " << kIdleConnections
              << " idle connections (connected now: " << flood.connected()
              << ", reopened so far: " << flood.reopened() << "): " << percentile_text(flooded)
              << "; " << failed << " failed" << (failed ? " (last: " + last_failure + ")" : "")
              << "\n";
    std::cout << "agent descriptors under the flood: at most " << most_descriptors << "\n";
    // Under even the default soft limit: the pipes and MySQL connections of the agent have room.
    CHECK(most_descriptors > 0);
    CHECK(most_descriptors < 1024);
    CHECK(!flooded.empty());
    CHECK(failed <= static_cast<int>(flooded.size()) / 10);  // answering, not by luck

    {  // the admin socket answers
      const auto start = Clock::now();
      CHECK(status_answers(node));
      std::cout << "agentctl status under the flood: " << ms_since(start) << " ms\n";
    }
    {  // the peer API answers (TLS, with the node's own certificate, as another agent would)
      const auto start = Clock::now();
      CHECK(peer_answers(node));
      std::cout << "peer GET /v1/peer/node under the flood: " << ms_since(start) << " ms\n";
    }
    {  // the lease was kept all along: same holder, same term
      status = node.status();
      REQUIRE(status.is_object());
      CHECK(status["leader"]["isLeader"] == true);
      CHECK(status["leader"]["term"].get<long long>() == term);
    }
    CHECK(flood.reopened() >= 2 * kIdleConnections);  // the flood was still on
  }
  CHECK(eventually([&] { return health_of(node).first == 200; }, 60s));

  {  // 2,000 connections to the peer port that never begin their TLS handshake: each holds a
     // place in the peer API's cap from its first byte, so the oldest are closed at the cap
    ConnectionFlood flood(address, kPeerPort, kIdleConnections);
    REQUIRE(eventually([&] { return flood.reopened() >= kIdleConnections; }, 60s));
    int most_descriptors = 0;
    const auto watch_until = Clock::now() + 15s;
    while (Clock::now() < watch_until) {
      most_descriptors = std::max(most_descriptors, descriptors_of(node.agent_pid()));
      std::this_thread::sleep_for(250ms);
    }
    std::cout << "agent descriptors under " << kIdleConnections
              << " unfinished TLS handshakes: at most " << most_descriptors << "\n";
    CHECK(most_descriptors > 0);
    CHECK(most_descriptors < 1024);
    // A real peer competes with the flood for a place (the oldest idle one is closed for it).
    CHECK(eventually([&] { return peer_answers(node); }, 60s));
    CHECK(status_answers(node));
    CHECK(flood.reopened() >= 2 * kIdleConnections);  // the flood was still on
  }

  {  // slowloris: a request header dribbled one byte a second is cut by the agent
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(kHealthPort);
    ::inet_pton(AF_INET, address.c_str(), &to.sin_addr);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    const std::string header = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    const auto start = Clock::now();
    bool cut = false;
    for (std::size_t i = 0; !cut && Clock::now() - start < 120s; ++i) {
      if (::send(fd, &header[i % header.size()], 1, MSG_NOSIGNAL) != 1) cut = true;
      pollfd p{fd, POLLIN, 0};
      if (!cut && ::poll(&p, 1, 1000) == 1) {
        char byte = 0;
        cut = ::recv(fd, &byte, 1, 0) <= 0;
      }
    }
    ::close(fd);
    std::cout << "slowloris (1 byte/s) cut after " << static_cast<int>(ms_since(start) / 1000)
              << " s\n";
    CHECK(cut);
  }

  // --- FIFOs planted by the web application ------------------------------------------------
  const std::vector<std::string> planted = {"/mnt/pydio-config/.pydio-agent-health-node1",
                                            "/mnt/pydio-data/.pydio-agent-health-node1",
                                            "/var/www/pydio/check.txt"};
  for (const auto& path : planted) {
    // Made aside and renamed over the path: the agent rewrites its probe files every few
    // seconds, and an rm then mkfifo at the path itself lost that race under load.
    const auto plant = [&](const std::vector<std::string>& as_user) {
      const auto run = [&](std::vector<std::string> argv) {
        argv.insert(argv.begin(), as_user.begin(), as_user.end());
        return node.exec(argv);
      };
      const std::string aside = path + ".planted";
      run({"rm", "-f", aside});
      const auto made = run({"mkfifo", aside});
      return made.succeeded() ? run({"mv", "-f", "-T", aside, path}) : made;
    };
    const auto made = plant({"runuser", "-u", "www-data", "--"});
    if (!made.succeeded()) {
      // A tree the web user cannot write (root-owned volume roots) refuses the plant itself;
      // root plants it then, to show the agent's opens do not hang either way.
      std::cout << "www-data could not plant " << path << " (" << made.err
                << "): planting as root\n";
      const auto as_root = plant({});
      INFO(path << ": " << as_root.err);
      REQUIRE(as_root.succeeded());
    }
  }
  const auto type_of = [&](const std::string& path) {
    const auto stat = node.exec({"stat", "-c", "%F", path});
    return stat.succeeded() ? stat.out.substr(0, stat.out.find('\n')) : "(none)";
  };
  std::cout << "check.txt planted: " << type_of("/var/www/pydio/check.txt") << ", Apache answers "
            << node.http_get("http://" + address + "/pydio/check.txt").first << "\n";
  {
    // The write probe runs every 5 s and the health round every few seconds: watch 30 s.
    bool always_answered = true;
    bool problem_named = false;
    const auto until = Clock::now() + 30s;
    while (Clock::now() < until) {
      const auto [code, body] = health_of(node);
      always_answered = always_answered && (code == 200 || code == 503);
      problem_named = problem_named || body.find("not a regular file") != std::string::npos;
      std::this_thread::sleep_for(1s);
    }
    CHECK(always_answered);
    CHECK(problem_named);
    const auto start = Clock::now();
    CHECK(status_answers(node));
    std::cout << "30 s later check.txt is a " << type_of("/var/www/pydio/check.txt")
              << " (Apache answers "
              << node.http_get("http://" + address + "/pydio/check.txt").first
              << "), the write probe a " << type_of(planted[0]) << "\n";
    std::cout << "agentctl status with FIFOs planted: " << static_cast<int>(ms_since(start))
              << " ms; /health: " << health_of(node).second << "\n";
  }
  for (const auto& path : planted) {
    // The agent replaced check.txt by now; the write probes' FIFOs it only names. (An Apache
    // worker that opened check.txt while it was a FIFO waits until the node is destroyed.)
    if (type_of(path) == "fifo") node.must({"rm", "-f", path});
  }
  // Healthy again, and the write probes write again (their warnings are gone).
  CHECK(eventually(
      [&] {
        const auto [code, body] = health_of(node);
        return code == 200 && body.find("not a regular file") == std::string::npos;
      },
      120s));
}
