// The process watch on real processes: a `sleep` spawned for the test stands in for a service
// (its pid file in a temporary directory); the test kills it by PID and removes what it made.

#include "agent/host/process_watch.hpp"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <fstream>
#include <mutex>
#include <thread>

#include "agent/host/pid_file.hpp"
#include "common/runner.hpp"

using namespace pydio;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A temporary directory, removed with everything in it when the test ends.
struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "process-watch-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
    REQUIRE(!path.empty());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::string path;
};

// A `sleep` started for the test, killed by PID when the test ends.
struct Sleeper {
  explicit Sleeper(const std::string& dir) {
    common::SystemRunner runner;
    auto spawned = runner.spawn_detached({"sleep", "120"}, dir + "/sleep.out");
    REQUIRE(spawned);
    pid = *spawned;
    // The PID comes back before the exec: wait until the process is `sleep`.
    const std::string comm_path = "/proc/" + std::to_string(pid) + "/comm";
    for (int i = 0; i < 600; ++i) {
      std::ifstream comm(comm_path);
      std::string name;
      if (comm >> name && name == "sleep") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL("the spawned process never became `sleep`");
  }
  ~Sleeper() { ::kill(pid, SIGKILL); }
  int pid = 0;
};

void write_pid_file(const std::string& path, int pid) {
  std::ofstream out(path);
  out << pid << "\n";
}

// Collects what the watch reports.
struct Reports {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<agent::ProcessExit> exits;

  void add(const agent::ProcessExit& exit) {
    std::lock_guard<std::mutex> lock(mutex);
    exits.push_back(exit);
    changed.notify_all();
  }
  bool wait_for_count(std::size_t count, std::chrono::seconds deadline) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, deadline, [&] { return exits.size() >= count; });
  }
  std::size_t count() {
    std::lock_guard<std::mutex> lock(mutex);
    return exits.size();
  }
};

bool eventually_true(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

}  // namespace

TEST_CASE("the process watch reports a watched process's exit once, and follows a restart",
          "[process_watch]") {
  TempDir dir;
  const std::string pid_file = dir.path + "/sleeper.pid";
  auto first = std::make_unique<Sleeper>(dir.path);
  write_pid_file(pid_file, first->pid);
  Reports reports;
  agent::ProcessWatch watch(
      [&] {
        return std::vector<agent::WatchTarget>{{"sleeper", pid_file, {"sleep"}, ""}};
      },
      [&](const agent::ProcessExit& exit) { reports.add(exit); });
  watch.start();
  std::this_thread::sleep_for(300ms);  // the first scan runs at start

  SECTION("a SIGKILL is reported with the PID, once") {
    const int pid = first->pid;
    REQUIRE(::kill(pid, SIGKILL) == 0);
    REQUIRE(reports.wait_for_count(1, 30s));
    std::this_thread::sleep_for(agent::ProcessWatch::kRescanInterval * 2);
    CHECK(reports.count() == 1);
    CHECK(reports.exits[0].pid == pid);
    CHECK(reports.exits[0].target.label == "sleeper");
    CHECK_FALSE(reports.exits[0].is_brick());
    CHECK(reports.exits[0].describe() == "sleeper (pid " + std::to_string(pid) + ") exited");
  }
  SECTION("the process that replaces it (a new PID in the pid file) is watched too") {
    REQUIRE(::kill(first->pid, SIGKILL) == 0);
    REQUIRE(reports.wait_for_count(1, 30s));
    Sleeper second(dir.path);
    write_pid_file(pid_file, second.pid);
    std::this_thread::sleep_for(agent::ProcessWatch::kRescanInterval * 2);
    REQUIRE(::kill(second.pid, SIGKILL) == 0);
    REQUIRE(reports.wait_for_count(2, 30s));
    CHECK(reports.exits[1].pid == second.pid);
  }
  watch.stop();
}

TEST_CASE("the process watch ignores a pid file naming another program", "[process_watch]") {
  TempDir dir;
  const std::string pid_file = dir.path + "/other.pid";
  Sleeper sleeper(dir.path);
  write_pid_file(pid_file, sleeper.pid);
  Reports reports;
  // A stale pid file whose PID now belongs to something else: its exit is not the service's.
  agent::ProcessWatch watch(
      [&] {
        return std::vector<agent::WatchTarget>{{"glusterd", pid_file, {"glusterd"}, ""}};
      },
      [&](const agent::ProcessExit& exit) { reports.add(exit); });
  watch.start();
  std::this_thread::sleep_for(300ms);
  REQUIRE(::kill(sleeper.pid, SIGKILL) == 0);
  CHECK_FALSE(reports.wait_for_count(1, 3s));
  watch.stop();
}

TEST_CASE("stopping the watch does not wait for the next rescan", "[process_watch]") {
  agent::ProcessWatch watch([] { return std::vector<agent::WatchTarget>{}; },
                            [](const agent::ProcessExit&) {});
  watch.start();
  std::this_thread::sleep_for(100ms);
  const auto started = std::chrono::steady_clock::now();
  watch.stop();
  // Generous: the point is that stop() wakes the poll instead of sleeping it out.
  CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("the watch targets are the services' pid files and every brick pid file",
          "[process_watch]") {
  TempDir dir;
  fs::create_directories(dir.path + "/pydio-data");
  fs::create_directories(dir.path + "/pydio-config");
  std::ofstream(dir.path + "/pydio-data/198.18.0.1-srv-pydio-brick.pid") << "1\n";
  std::ofstream(dir.path + "/pydio-config/198.18.0.1-srv-pydio-config.pid") << "2\n";
  std::ofstream(dir.path + "/pydio-data/notes.txt") << "not a pid file\n";
  common::LocalConfig local;
  local.apache_config_dir = "/etc/apache2";
  local.mysql_socket = "/run/mysqld/mysqld.sock";

  const auto targets = agent::service_and_brick_targets(local, dir.path);
  REQUIRE(targets.size() == 7);
  CHECK(targets[0].pid_file == "/run/glusterd.pid");
  CHECK(targets[1].pid_file == "/run/apache2/apache2.pid");
  CHECK(targets[2].pid_file == "/run/mysqld/mysqld.pid");
  CHECK(targets[3].pid_file == "/run/haproxy.pid");
  CHECK(targets[4].pid_file == "/run/pydio-db-proxy.pid");  // a compute node's database proxy
  CHECK(targets[4].comms == std::vector<std::string>{"haproxy"});
  CHECK(targets[5].volume == "pydio-config");
  CHECK(targets[5].label == "brick 198.18.0.1-srv-pydio-config");
  CHECK(targets[5].comms == std::vector<std::string>{"glusterfsd"});
  CHECK(targets[6].pid_file == dir.path + "/pydio-data/198.18.0.1-srv-pydio-brick.pid");
  agent::ProcessExit exit{targets[6], 42};
  CHECK(exit.describe() == "brick 198.18.0.1-srv-pydio-brick of volume pydio-data (pid 42) exited");
}

TEST_CASE("a killed process counts as gone even before anyone reaps it", "[process_watch]") {
  TempDir dir;
  const std::string pid_file = dir.path + "/sleeper.pid";
  Sleeper sleeper(dir.path);
  write_pid_file(pid_file, sleeper.pid);
  CHECK_FALSE(agent::is_zombie_or_gone(sleeper.pid));
  CHECK(agent::live_pid(pid_file, {"sleep"}) == sleeper.pid);
  REQUIRE(::kill(sleeper.pid, SIGKILL) == 0);
  // Reaped (gone) or a zombie, depending on the init of the machine: either way not alive.
  CHECK(eventually_true([&] { return agent::is_zombie_or_gone(sleeper.pid); }));
  CHECK_FALSE(agent::live_pid(pid_file, {"sleep"}));
  CHECK(agent::pid_in_file(pid_file) == sleeper.pid);
}

namespace {

// A child process whose main thread exits when told to (a byte on `go`) while a second thread
// lives on: what a killed multi-threaded service (mariadbd) looks like while its other threads
// are still being torn down. /proc shows its main thread as a zombie, but its pidfd is not
// readable until the last thread is gone. Killed and reaped by PID when the test ends.
struct HalfGone {
  HalfGone() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[1]);
      ::prctl(PR_SET_NAME, "halfgone");
      pthread_t lingering;
      ::pthread_create(
          &lingering, nullptr,
          [](void*) -> void* {
            for (;;) ::pause();
          },
          nullptr);
      char byte = 0;
      (void)!::read(fds[0], &byte, 1);
      // The raw exit of this thread only: pthread_exit would unwind through the test framework.
      ::syscall(SYS_exit, 0);
    }
    ::close(fds[0]);
    go = fds[1];
  }
  ~HalfGone() {
    ::close(go);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  void exit_main_thread() const { REQUIRE(::write(go, "x", 1) == 1); }
  int pid = 0;
  int go = -1;
};

}  // namespace

TEST_CASE("a process that looks exited in /proc before its pidfd says so is reported",
          "[process_watch]") {
  TempDir dir;
  const std::string pid_file = dir.path + "/halfgone.pid";
  HalfGone process;  // forked before the watch's thread exists
  write_pid_file(pid_file, process.pid);
  REQUIRE(eventually_true([&] { return agent::live_pid(pid_file, {"halfgone"}).has_value(); }));
  Reports reports;
  agent::ProcessWatch watch(
      [&] {
        return std::vector<agent::WatchTarget>{{"halfgone", pid_file, {"halfgone"}, ""}};
      },
      [&](const agent::ProcessExit& exit) { reports.add(exit); });
  watch.start();
  std::this_thread::sleep_for(agent::ProcessWatch::kRescanInterval * 2);  // watched by now
  REQUIRE(reports.count() == 0);
  process.exit_main_thread();
  REQUIRE(eventually_true([&] { return agent::is_zombie_or_gone(process.pid); }));
  // The rescan sees it gone; the pidfd alone would wait for the lingering thread forever.
  REQUIRE(reports.wait_for_count(1, 30s));
  CHECK(reports.exits[0].pid == process.pid);
  std::this_thread::sleep_for(agent::ProcessWatch::kRescanInterval * 2);
  CHECK(reports.count() == 1);
  watch.stop();
}
