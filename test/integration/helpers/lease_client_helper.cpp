// One contender of the election scenario (test/integration/election_lease.cpp), run as its own
// process so the test can SIGKILL it. Runs a LeaderElector against the given endpoint and,
// every 10 ms, prints one line per sample in which it is leader:
//   L <holder> <term> <steady-clock ns>
// (CLOCK_MONOTONIC is the same clock in every process of the machine, so the test can merge
// the lines of all contenders into one timeline), and one line whenever the database member
// it talks to changes (test/integration/election_galera.cpp):
//   M <holder> <member, "-" without a session> <steady-clock ns>
// Exits by itself when its parent test dies.
//
// usage: lease_client_helper HOLDER SERVERS PASSWORD DURATION_MS PARENT_PID [LATER_SERVERS]
// SERVERS: a port on 127.0.0.1, or members in order of preference "HOST:PORT,HOST:PORT,...".
// LATER_SERVERS: handed to LeaseClient::set_members() on SIGUSR1 (the desired state's database
// servers changed, e.g. one db node grew to three).

#include <signal.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/election/lease.hpp"

namespace {

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_switch = 0;
void on_term(int) { g_stop = 1; }
void on_usr1(int) { g_switch = 1; }

long long now_ns() {
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                    .count());
}

std::vector<pydio::agent::MysqlEndpoint> parse_servers(const std::string& servers,
                                                       const std::string& password) {
  std::vector<pydio::agent::MysqlEndpoint> members;
  std::istringstream list(servers);
  std::string item;
  while (std::getline(list, item, ',')) {
    pydio::agent::MysqlEndpoint endpoint;
    const auto colon = item.rfind(':');
    endpoint.host = colon == std::string::npos ? "127.0.0.1" : item.substr(0, colon);
    endpoint.port = std::stoi(colon == std::string::npos ? item : item.substr(colon + 1));
    endpoint.user = pydio::agent::kLeaseUser;
    endpoint.password = password;
    members.push_back(endpoint);
  }
  return members;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(stderr,
                 "usage: %s HOLDER SERVERS PASSWORD DURATION_MS PARENT_PID [LATER_SERVERS]\n",
                 argv[0]);
    return 2;
  }
  const std::string holder = argv[1];
  const auto members = parse_servers(argv[2], argv[3]);
  const std::chrono::milliseconds duration(std::stoi(argv[4]));
  const int parent = std::stoi(argv[5]);
  std::signal(SIGTERM, on_term);
  std::signal(SIGUSR1, on_usr1);

  pydio::agent::LeaderElector elector(
      std::make_unique<pydio::agent::LeaseClient>(holder, members, duration));
  elector.start();
  std::string last_error;
  std::string last_member = "-";
  while (g_stop == 0 && ::kill(parent, 0) == 0) {
    if (g_switch != 0 && argc == 7) {
      g_switch = 0;
      elector.client().set_members(parse_servers(argv[6], argv[3]));
      std::printf("S %s %s\n", holder.c_str(), argv[6]);
    }
    const auto status = elector.status();
    const auto now = std::chrono::steady_clock::now();
    if (status.leader && now < status.valid_until) {
      std::printf("L %s %lld %lld\n", holder.c_str(), static_cast<long long>(status.term),
                  static_cast<long long>(
                      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch())
                          .count()));
    }
    if (status.last_error != last_error) {
      last_error = status.last_error;
      std::printf("E %s %s\n", holder.c_str(), last_error.c_str());
    }
    const std::string member = status.member.empty() ? "-" : status.member;
    if (member != last_member) {
      last_member = member;
      std::printf("M %s %s %lld\n", holder.c_str(), member.c_str(), now_ns());
    }
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  elector.stop(true);
  return 0;
}
