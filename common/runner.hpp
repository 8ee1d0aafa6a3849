#pragma once
// The one way the project starts processes: an argv (never a shell), a timeout, captured
// output and the exit status. This is the only code that forks.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/status.hpp"

namespace pydio::common {

struct Command {
  Command() = default;
  Command(std::vector<std::string> argv_in,
          std::chrono::milliseconds timeout_in = std::chrono::seconds(30))
      : argv(std::move(argv_in)), timeout(timeout_in) {}

  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  std::string stdin_data;              // written to the child's stdin, then closed
  std::map<std::string, std::string> extra_env;  // added to the agent's environment
};

struct RunResult {
  int exit_code = -1;        // -1 when killed by a signal or timed out
  bool timed_out = false;
  std::string out;           // stdout, truncated at 4 MiB
  std::string err;           // stderr, truncated at 4 MiB
  std::chrono::milliseconds duration{0};

  bool succeeded() const { return !timed_out && exit_code == 0; }
  // "gluster volume info: exit 1: <stderr or stdout, trimmed>" or "... timed out after 30s".
  std::string describe_failure(const std::vector<std::string>& argv) const;
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Runs the command to completion or until its timeout, then kills its process group.
  // Processes that daemonize (setsid) out of the group, like the glusterfs FUSE client,
  // are left running: they are not ours to kill. Output is collected until the child
  // exits (not until every inherited descriptor closes).
  // Thread-safe. Never throws. A failure to start gives exit_code 127 and the reason in err.
  virtual RunResult run(const Command& command) = 0;

  // Starts a long-running service in its own session with stdin from /dev/null and
  // stdout/stderr appended to log_path, and does not wait for it. Returns its PID.
  // extra_env is added to the agent's environment, as Command::extra_env is.
  virtual Expected<int> spawn_detached(const std::vector<std::string>& argv,
                                       const std::string& log_path,
                                       const std::map<std::string, std::string>& extra_env = {}) = 0;
};

// The real implementation (fork/exec).
class SystemRunner : public ProcessRunner {
 public:
  RunResult run(const Command& command) override;
  Expected<int> spawn_detached(const std::vector<std::string>& argv, const std::string& log_path,
                               const std::map<std::string, std::string>& extra_env = {}) override;
};

// Processes this agent process has started through any SystemRunner (run + spawn_detached),
// for the idle-cost figures in status and the benchmarks.
std::uint64_t processes_started();

// Convenience: runs the command and turns a failure into a Status naming the command.
Status run_checked(ProcessRunner& runner, const Command& command);

}  // namespace pydio::common
