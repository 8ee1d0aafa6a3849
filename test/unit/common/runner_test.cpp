#include "common/runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/runner_stdin_file.hpp"

using namespace pydio::common;
using namespace std::chrono_literals;

TEST_CASE("runner captures output and exit status without a shell", "[runner]") {
  SystemRunner runner;

  SECTION("stdout, stderr and exit code") {
    RunResult r = runner.run({{"sh", "-c", "echo out; echo err >&2; exit 3"}, 5s});
    CHECK(r.exit_code == 3);
    CHECK(r.out == "out\n");
    CHECK(r.err == "err\n");
    CHECK_FALSE(r.succeeded());
    CHECK(r.describe_failure({"sh", "-c"}) == "sh -c: exit 3: err");
  }
  SECTION("arguments are passed verbatim, metacharacters are not interpreted") {
    RunResult r = runner.run({{"echo", "$(id); rm -rf /tmp/nothing"}, 5s});
    CHECK(r.succeeded());
    CHECK(r.out == "$(id); rm -rf /tmp/nothing\n");
  }
  SECTION("stdin is delivered and closed") {
    Command c{{"cat"}, 5s};
    c.stdin_data = "hello";
    CHECK(runner.run(c).out == "hello");
  }
  SECTION("stdin from a file, never through memory; a link is not followed") {
    char dir_template[] = "/tmp/pydio-runner-XXXXXX";
    const std::string dir = ::mkdtemp(dir_template);
    { std::ofstream(dir + "/input") << "from a file"; }
    Command c{{"cat"}, 5s};
    CHECK(run_with_stdin_file(c, dir + "/input").out == "from a file");
    REQUIRE(::symlink((dir + "/input").c_str(), (dir + "/link").c_str()) == 0);
    RunResult linked = run_with_stdin_file(c, dir + "/link");
    CHECK(linked.exit_code == 127);
    CHECK_THAT(linked.err, Catch::Contains("open " + dir + "/link"));
    std::filesystem::remove_all(dir);
  }
  SECTION("a missing program is exit 127 with the reason") {
    RunResult r = runner.run({{"/nonexistent/program"}, 5s});
    CHECK(r.exit_code == 127);
    CHECK_THAT(r.err, Catch::Contains("exec failed"));
  }
  SECTION("extra environment reaches the child") {
    Command c{{"sh", "-c", "echo $PYDIO_TEST_VALUE"}, 5s};
    c.extra_env["PYDIO_TEST_VALUE"] = "42";
    CHECK(runner.run(c).out == "42\n");
  }
}

TEST_CASE("runner kills a command that outlives its timeout", "[runner]") {
  SystemRunner runner;
  RunResult r = runner.run({{"sleep", "30"}, 300ms});
  CHECK(r.timed_out);
  CHECK(r.exit_code == -1);
  CHECK(r.duration < 10s);
  CHECK_THAT(r.describe_failure({"sleep", "30"}), Catch::Contains("timed out"));
}

TEST_CASE("runner returns when the child exits even if a daemon keeps the pipe open",
          "[runner]") {
  SystemRunner runner;
  char dir_template[] = "/tmp/pydio-runner-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  std::string pid_file = std::string(dir_template) + "/daemon.pid";
  // The grandchild leaves the process group (setsid) like the glusterfs FUSE client does.
  RunResult r = runner.run(
      {{"sh", "-c", "setsid sleep 30 & echo $! > " + pid_file + "; echo started"}, 10s});
  CHECK(r.succeeded());
  CHECK(r.duration < 5s);
  std::ifstream in(pid_file);
  int daemon_pid = 0;
  in >> daemon_pid;
  REQUIRE(daemon_pid > 0);
  CHECK(kill(daemon_pid, 0) == 0);  // not killed by the runner
  kill(daemon_pid, SIGKILL);
  unlink(pid_file.c_str());
  rmdir(dir_template);
}

TEST_CASE("spawn_detached starts a service that outlives the call", "[runner]") {
  SystemRunner runner;
  char dir_template[] = "/tmp/pydio-runner-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  std::string log = std::string(dir_template) + "/service.log";
  Expected<int> pid = runner.spawn_detached({"sh", "-c", "echo running; exec sleep 30"}, log);
  REQUIRE(pid.has_value());
  CHECK(kill(*pid, 0) == 0);
  std::this_thread::sleep_for(200ms);
  std::ifstream in(log);
  std::string line;
  std::getline(in, line);
  CHECK(line == "running");
  kill(*pid, SIGKILL);
  unlink(log.c_str());
  rmdir(dir_template);
}

TEST_CASE("started processes inherit no descriptor of the agent beyond stdio", "[runner]") {
  SystemRunner runner;
  // Like a listening socket asio opened without O_CLOEXEC.
  int leaked = ::open("/dev/null", O_RDONLY);
  REQUIRE(leaked > 2);
  RunResult r = runner.run({{"test", "-e", "/proc/self/fd/" + std::to_string(leaked)}, 5s});
  CHECK(r.exit_code == 1);
  ::close(leaked);
}
