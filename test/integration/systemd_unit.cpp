// Scenario: an operator installs pydio-agentd as a systemd service.
// The unit file passes `systemd-analyze verify` and says what the operator relies on: the
// service is ready only when the daemon says so, a wedged daemon is restarted by the watchdog,
// a crash is restarted, the agent starts after the network is online, and stopping or
// restarting it kills only the agent (the glusterfs FUSE clients it mounted keep serving).
// The daemon, started as systemd would start it (NOTIFY_SOCKET, WATCHDOG_USEC), says READY=1
// on a real notify socket once its endpoints listen, pings the watchdog while it runs, says
// STOPPING=1 on SIGTERM and exits 0.
// It runs with a temporary local config and no desired state, so it changes nothing on the
// machine; everything it made is removed and its process killed by PID, pass or fail.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/cluster/http_client.hpp"
#include "common/runner.hpp"
#include "test/integration/support/private_mariadb.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kUnitName = "pydio-agentd.service";
constexpr auto kWatchdog = 2s;  // WATCHDOG_USEC given to the daemon
// Generous deadlines: the machine has two cores shared with other builds and tests.
constexpr auto kReadyDeadline = 30s;
constexpr auto kTwoPingsDeadline = 10 * kWatchdog;
constexpr auto kStopDeadline = 60s;  // the unit's TimeoutStopSec

// A fresh directory under /tmp, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/pydio-it-systemd.XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// "[Section] Key" -> every value it was given, in order (a unit may repeat a key).
std::map<std::string, std::vector<std::string>> unit_settings(const std::string& text) {
  std::map<std::string, std::vector<std::string>> settings;
  std::string section;
  for (const auto& line : lines_of(text)) {
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = line;
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    settings[section + " " + line.substr(0, eq)].push_back(line.substr(eq + 1));
  }
  return settings;
}

// Space-separated words of every value of the key.
std::vector<std::string> words_of(const std::vector<std::string>& values) {
  std::vector<std::string> words;
  for (const auto& value : values) {
    std::istringstream in(value);
    for (std::string word; in >> word;) words.push_back(word);
  }
  return words;
}

bool contains(const std::vector<std::string>& words, const std::string& word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// The AF_UNIX datagram socket systemd would listen on. SO_PASSCRED makes the kernel attach the
// sender's PID to every message, so the test can check what NotifyAccess=main requires.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof address.sun_path);
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    const int on = 1;
    REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0);
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  struct Message {
    std::vector<std::string> assignments;  // "READY=1", "STATUS=..." (one per line)
    int sender_pid = -1;
    Clock::time_point received;
  };

  // The next datagram, or nothing when none arrived before the deadline.
  std::optional<Message> receive(Clock::time_point deadline) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      REQUIRE(ready >= 0);
      if (ready == 0) return std::nullopt;

      char buffer[4096];
      iovec io{buffer, sizeof buffer};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
      msghdr header{};
      header.msg_iov = &io;
      header.msg_iovlen = 1;
      header.msg_control = control;
      header.msg_controllen = sizeof control;
      const ssize_t got = ::recvmsg(fd_, &header, MSG_CMSG_CLOEXEC);
      if (got < 0 && errno == EINTR) continue;
      REQUIRE(got >= 0);
      Message message;
      message.received = Clock::now();
      message.assignments = lines_of(std::string(buffer, static_cast<std::size_t>(got)));
      for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
          ucred credentials{};
          std::memcpy(&credentials, CMSG_DATA(c), sizeof credentials);
          message.sender_pid = credentials.pid;
        }
      }
      return message;
    }
  }

  // Messages until one carries `assignment`; that one, or nothing by the deadline.
  std::optional<Message> wait_for(const std::string& assignment, Clock::time_point deadline) {
    while (auto message = receive(deadline)) {
      UNSCOPED_INFO("notify: " << join(message->assignments));
      if (contains(message->assignments, assignment)) return message;
    }
    return std::nullopt;
  }

  static std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += (out.empty() ? "" : " ") + line;
    return out;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// The daemon's process. spawn_detached double-forks; as a child subreaper this test process
// inherits the daemon and can wait for its exit status. Killed by PID if still running.
class DaemonProcess {
 public:
  DaemonProcess() { REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0); }
  ~DaemonProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  void start(const std::vector<std::string>& argv, const std::string& log,
             const std::map<std::string, std::string>& env) {
    auto pid = runner_.spawn_detached(argv, log, env);
    REQUIRE(pid);
    pid_ = *pid;
  }
  int pid() const { return pid_; }

  // Its exit status (as waitpid reports it), or nothing if it still runs at the deadline.
  std::optional<int> wait_exit(Clock::time_point deadline) {
    while (Clock::now() < deadline) {
      int status = 0;
      const pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
      if (reaped == pid_) {
        exited_ = true;
        return status;
      }
      REQUIRE(reaped == 0);
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }

 private:
  pydio::common::SystemRunner runner_;
  int pid_ = -1;
  bool exited_ = false;
};

}  // namespace

TEST_CASE("systemd runs pydio-agentd: a verified unit and a daemon that speaks sd_notify",
          "[integration][systemd]") {
  const std::string unit_source = std::string(PYDIO_SOURCE_DIR) + "/systemd/" + kUnitName;
  const std::string unit_text = read_text(unit_source);
  REQUIRE_FALSE(unit_text.empty());
  TempDir temp;

  SECTION("the unit passes systemd-analyze verify and says what the operator relies on") {
    // The installed unit runs /usr/sbin/pydio-agentd; systemd-analyze insists that the
    // executable exists, so the copy under test runs the binary just built.
    std::string copy;
    for (const auto& line : lines_of(unit_text)) {
      if (line.rfind("ExecStart=", 0) == 0) {
        const auto space = line.find(' ');
        REQUIRE(space != std::string::npos);
        copy += std::string("ExecStart=") + PYDIO_AGENTD + line.substr(space) + "\n";
      } else {
        copy += line + "\n";
      }
    }
    const std::string unit_copy = temp.path() + "/" + kUnitName;
    write_text(unit_copy, copy);

    pydio::common::SystemRunner runner;
    const pydio::common::Command verify({"systemd-analyze", "verify", unit_copy}, 60s);
    const auto result = runner.run(verify);
    INFO("systemd-analyze verify exit " << result.exit_code << "\nstdout:\n"
                                        << result.out << "\nstderr:\n" << result.err);
    CHECK(result.exit_code == 0);
    // It may warn about other units it loads (the dependencies of ours); only lines about our
    // unit fail the test. All of them are printed.
    for (const auto& line : lines_of(result.err)) {
      WARN("systemd-analyze: " << line);
      CHECK(line.find("pydio-agentd") == std::string::npos);
      CHECK(line.find(temp.path()) == std::string::npos);
    }

    const auto settings = unit_settings(unit_text);
    const auto value = [&](const std::string& key) {
      const auto found = settings.find(key);
      return found == settings.end() ? std::string() : found->second.back();
    };
    const auto all_words = [&](const std::string& key) {
      const auto found = settings.find(key);
      return found == settings.end() ? std::vector<std::string>() : words_of(found->second);
    };
    // Ready only when the daemon says so (READY=1 after its endpoints listen).
    CHECK(value("[Service] Type") == "notify");
    // A wedged reconcile scheduler stops the pings and systemd restarts the agent.
    CHECK_FALSE(value("[Service] WatchdogSec").empty());
    CHECK(value("[Service] WatchdogSec") != "0");
    CHECK(value("[Service] Restart") == "on-failure");
    // Peers, the database and the gluster volfile servers are all across the network.
    CHECK(contains(all_words("[Unit] After"), "network-online.target"));
    CHECK(contains(all_words("[Unit] Wants"), "network-online.target"));
    // Stop and restart signal only the agent: the FUSE clients in its cgroup keep serving.
    CHECK(value("[Service] KillMode") == "process");
    // Connections, pipes and MySQL connections are descriptors: not systemd's default 1,024.
    CHECK(std::atoi(value("[Service] LimitNOFILE").c_str()) >= 65536);
    CHECK(value("[Service] ExecStart").rfind("/usr/sbin/pydio-agentd ", 0) == 0);
  }

  SECTION("the daemon says READY, pings the watchdog, says STOPPING on SIGTERM and exits 0") {
    const std::string dir = temp.path();
    const int health_port = pydio::test::free_local_port();
    // Every path the daemon may touch is inside the temporary directory, and there is no
    // desired state: it reconciles nothing and changes nothing on this machine.
    const std::string config = dir + "/agent.json";
    write_text(config, R"({
  "nodeName": "systemd-test",
  "address": "127.0.0.1",
  "healthListen": "127.0.0.1:)" + std::to_string(health_port) + R"(",
  "adminSocket": ")" + dir + R"(/run/admin.sock",
  "stateDir": ")" + dir + R"(/state",
  "secretsPath": ")" + dir + R"(/secrets.json",
  "services": "direct",
  "apacheConfigDir": ")" + dir + R"(/apache2",
  "mysqlDatadir": ")" + dir + R"(/mysql",
  "mysqlSocket": ")" + dir + R"(/mysqld.sock"
}
)");
    const std::string log = dir + "/agentd.log";
    // Destroyed in reverse: the daemon is stopped first, then its log printed.
    struct PrintLogAtEnd {
      std::string path;
      ~PrintLogAtEnd() { std::cerr << "--- pydio-agentd log:\n" << read_text(path) << "---\n"; }
    } print_log{log};
    NotifySocket notify(dir + "/notify.sock");
    DaemonProcess daemon;

    // Started as systemd starts a Type=notify service with WatchdogSec=2s.
    daemon.start({PYDIO_AGENTD, "--config", config, "--log-level", "debug"}, log,
                 {{"NOTIFY_SOCKET", dir + "/notify.sock"},
                  {"WATCHDOG_USEC", std::to_string(std::chrono::microseconds(kWatchdog).count())}});
    INFO("pydio-agentd pid " << daemon.pid() << ", health port " << health_port);

    // READY=1, sent by the daemon's own process (NotifyAccess=main) ...
    auto ready = notify.wait_for("READY=1", Clock::now() + kReadyDeadline);
    REQUIRE(ready);
    CHECK(ready->sender_pid == daemon.pid());

    // ... and only once its endpoints listen: the health endpoint answers at once, and the
    // admin socket is there, 0600 in a 0700 directory.
    pydio::agent::api::Request request{boost::beast::http::verb::get, "/health", 11};
    const auto health = pydio::agent::api::exchange_tcp("127.0.0.1",
                                                        static_cast<std::uint16_t>(health_port),
                                                        request, 5s);
    INFO("GET /health: " << health.error);
    REQUIRE(health.ok());
    const auto code = health.response.result_int();
    CHECK((code == 200 || code == 503));
    struct stat socket_stat {};
    struct stat dir_stat {};
    REQUIRE(::stat((dir + "/run/admin.sock").c_str(), &socket_stat) == 0);
    REQUIRE(::stat((dir + "/run").c_str(), &dir_stat) == 0);
    CHECK(S_ISSOCK(socket_stat.st_mode));
    CHECK((socket_stat.st_mode & 07777) == 0600);
    CHECK((dir_stat.st_mode & 07777) == 0700);

    // At least two watchdog pings while it runs. Intervals are printed, not asserted: the
    // daemon should ping every WATCHDOG_USEC/2, but the machine is shared.
    const auto pings_deadline = Clock::now() + kTwoPingsDeadline;
    auto last = ready->received;
    for (int ping = 1; ping <= 2; ++ping) {
      auto watchdog = notify.wait_for("WATCHDOG=1", pings_deadline);
      REQUIRE(watchdog);
      CHECK(watchdog->sender_pid == daemon.pid());
      WARN("watchdog ping " << ping << " after "
                            << std::chrono::duration_cast<std::chrono::milliseconds>(
                                   watchdog->received - last)
                                   .count()
                            << " ms (WATCHDOG_USEC/2 = "
                            << std::chrono::milliseconds(kWatchdog / 2).count() << " ms)");
      last = watchdog->received;
    }

    // systemctl stop: SIGTERM to the main process only (KillMode=process).
    REQUIRE(::kill(daemon.pid(), SIGTERM) == 0);
    const auto stop_deadline = Clock::now() + kStopDeadline;
    auto stopping = notify.wait_for("STOPPING=1", stop_deadline);
    REQUIRE(stopping);
    CHECK(stopping->sender_pid == daemon.pid());
    const auto status = daemon.wait_exit(stop_deadline);
    REQUIRE(status);
    REQUIRE(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 0);

    // With no desired state it generated no secrets and reconciled nothing.
    CHECK_FALSE(fs::exists(dir + "/secrets.json"));
  }
}
