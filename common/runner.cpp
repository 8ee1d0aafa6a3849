#include "common/runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include "common/command_metrics.hpp"
#include "common/runner_stdin_file.hpp"
#include "common/runner_terminal.hpp"

extern char** environ;

namespace pydio::common {
namespace {

constexpr std::size_t kMaxCapture = 4 * 1024 * 1024;
// After the child exits, descendants that kept our pipes open (daemons) get this long to
// finish writing before we stop reading; we never wait for them to close the pipes.
constexpr std::chrono::milliseconds kDrainAfterExit{50};
constexpr std::chrono::milliseconds kKillGrace{2000};

using Clock = std::chrono::steady_clock;

std::atomic<std::uint64_t> started_processes{0};

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r'))
    text.pop_back();
  return text;
}

std::vector<std::string> build_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos && extra.count(entry.substr(0, eq)) != 0) continue;
    env.push_back(std::move(entry));
  }
  for (const auto& [key, value] : extra) env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> as_c_array(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  bool open() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    read_end = fds[0];
    write_end = fds[1];
    return true;
  }
  void close_read() { if (read_end >= 0) { close(read_end); read_end = -1; } }
  void close_write() { if (write_end >= 0) { close(write_end); write_end = -1; } }
  ~Pipe() { close_read(); close_write(); }
};

// Reads what is available from fd into out (bounded). Returns false on EOF or error.
bool read_available(int fd, std::string& out) {
  char buffer[8192];
  ssize_t n = read(fd, buffer, sizeof buffer);
  if (n > 0) {
    std::size_t room = kMaxCapture > out.size() ? kMaxCapture - out.size() : 0;
    out.append(buffer, std::min<std::size_t>(room, static_cast<std::size_t>(n)));
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
  return false;
}

// Reads until the non-blocking fd has nothing more right now (or EOF), bounded like the rest.
void drain_available(int fd, std::string& out) {
  char buffer[8192];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) {
    std::size_t room = kMaxCapture > out.size() ? kMaxCapture - out.size() : 0;
    out.append(buffer, std::min<std::size_t>(room, static_cast<std::size_t>(n)));
  }
}

// Child side: closes every descriptor above stderr, so services we start (Apache, mariadbd,
// the glusterfs FUSE client) never inherit the agent's listening sockets or files — a
// restarted agent could not bind its health port otherwise. Async-signal-safe.
void close_inherited_descriptors() {
  if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
  long max_fd = sysconf(_SC_OPEN_MAX);
  if (max_fd < 0 || max_fd > 65536) max_fd = 65536;
  for (int fd = 3; fd < max_fd; ++fd) close(fd);
}

// Child side after fork: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(char* const* argv, char* const* envp, int in_fd, int out_fd,
                             int err_fd) {
  setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  dup2(in_fd, STDIN_FILENO);
  dup2(out_fd, STDOUT_FILENO);
  dup2(err_fd, STDERR_FILENO);
  close_inherited_descriptors();
  execvpe(argv[0], argv, envp);
  const char* reason = strerror(errno);
  (void)!write(STDERR_FILENO, "exec failed: ", 13);
  (void)!write(STDERR_FILENO, reason, strlen(reason));
  _exit(127);
}

}  // namespace

std::string RunResult::describe_failure(const std::vector<std::string>& argv) const {
  std::string name = argv.empty() ? "(empty command)" : argv[0];
  if (argv.size() > 1) name += " " + argv[1];
  if (timed_out) return name + ": timed out after " + std::to_string(duration.count()) + "ms";
  std::string detail = trim(err.empty() ? out : err);
  if (detail.size() > 2000) detail = detail.substr(0, 2000) + "...";
  std::string how = exit_code >= 0 ? "exit " + std::to_string(exit_code) : "killed by a signal";
  return detail.empty() ? name + ": " + how : name + ": " + how + ": " + detail;
}

namespace {

// stdin_path "": the child's stdin is a pipe carrying command.stdin_data.
RunResult run_process(const Command& command, const std::string& stdin_path) {
  RunResult result;
  auto started = Clock::now();
  if (command.argv.empty()) {
    result.exit_code = 127;
    result.err = "empty argv";
    return result;
  }
  Pipe in, out, err;
  if (!in.open() || !out.open() || !err.open()) {
    result.exit_code = 127;
    result.err = std::string("pipe: ") + strerror(errno);
    return result;
  }
  int stdin_file = -1;
  if (!stdin_path.empty()) {
    stdin_file = open(stdin_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (stdin_file < 0) {
      result.exit_code = 127;
      result.err = "open " + stdin_path + ": " + strerror(errno);
      return result;
    }
  }
  std::vector<std::string> argv_strings = command.argv;
  std::vector<std::string> env_strings = build_environment(command.extra_env);
  std::vector<char*> argv = as_c_array(argv_strings);
  std::vector<char*> envp = as_c_array(env_strings);

  started_processes.fetch_add(1, std::memory_order_relaxed);
  count_process_started(command.argv[0]);
  pid_t pid = fork();
  if (pid < 0) {
    if (stdin_file >= 0) close(stdin_file);
    result.exit_code = 127;
    result.err = std::string("fork: ") + strerror(errno);
    return result;
  }
  if (pid == 0) {
    exec_child(argv.data(), envp.data(), stdin_file >= 0 ? stdin_file : in.read_end, out.write_end,
               err.write_end);
  }
  if (stdin_file >= 0) close(stdin_file);
  setpgid(pid, pid);  // also in the child; whichever runs first wins the race harmlessly
  in.close_read();
  out.close_write();
  err.close_write();

  // stdin is small (SQL, documents): write it all, then close so the child sees EOF.
  signal(SIGPIPE, SIG_IGN);
  std::size_t written = 0;
  while (written < command.stdin_data.size()) {
    ssize_t n = write(in.write_end, command.stdin_data.data() + written,
                      command.stdin_data.size() - written);
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  in.close_write();
  fcntl(out.read_end, F_SETFL, O_NONBLOCK);
  fcntl(err.read_end, F_SETFL, O_NONBLOCK);

  const auto deadline = started + command.timeout;
  int status = 0;
  bool exited = false;
  bool out_open = true, err_open = true;
  std::optional<Clock::time_point> exited_at;
  std::optional<Clock::time_point> killed_at;
  while (true) {
    if (!exited) {
      pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        exited = true;
        exited_at = Clock::now();
      }
    }
    auto now = Clock::now();
    if (exited && ((!out_open && !err_open) || now - *exited_at >= kDrainAfterExit)) break;
    if (!exited && now >= deadline && !killed_at) {
      result.timed_out = true;
      kill(-pid, SIGTERM);
      killed_at = now;
    }
    if (!exited && killed_at && now - *killed_at >= kKillGrace) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      exited = true;
      exited_at = Clock::now();
      break;
    }
    pollfd fds[2] = {{out_open ? out.read_end : -1, POLLIN, 0},
                     {err_open ? err.read_end : -1, POLLIN, 0}};
    int wait_ms = exited ? 10 : 20;
    if (!out_open && !err_open && !exited) {
      // Both pipes closed but the child lives on: just wait for it.
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
      continue;
    }
    poll(fds, 2, wait_ms);
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
      out_open = read_available(out.read_end, result.out);
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
      err_open = read_available(err.read_end, result.err);
  }
  // What the child wrote before it exited is in the pipe buffers: take it without waiting
  // (the descriptors are non-blocking; a daemon that keeps them open is not waited for).
  if (out_open) drain_available(out.read_end, result.out);
  if (err_open) drain_available(err.read_end, result.err);
  if (!result.timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  const auto took = Clock::now() - started;
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(took);
  observe_command_duration(command.argv[0], took);
  return result;
}

}  // namespace

RunResult SystemRunner::run(const Command& command) { return run_process(command, ""); }

RunResult run_with_stdin_file(const Command& command, const std::string& stdin_path) {
  return run_process(command, stdin_path);
}

Expected<int> SystemRunner::spawn_detached(const std::vector<std::string>& argv_in,
                                           const std::string& log_path,
                                           const std::map<std::string, std::string>& extra_env) {
  if (argv_in.empty()) return Status::error("spawn: empty argv");
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0)
    return Status::error("spawn " + argv_in[0] + ": open " + log_path + ": " + strerror(errno));
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  Pipe report;  // the grandchild's PID, or exec failure, comes back through this pipe
  if (null_fd < 0 || !report.open()) {
    close(log_fd);
    if (null_fd >= 0) close(null_fd);
    return Status::error("spawn " + argv_in[0] + ": " + strerror(errno));
  }
  std::vector<std::string> argv_strings = argv_in;
  std::vector<std::string> env_strings = build_environment(extra_env);
  std::vector<char*> argv = as_c_array(argv_strings);
  std::vector<char*> envp = as_c_array(env_strings);

  started_processes.fetch_add(1, std::memory_order_relaxed);
  count_process_started(argv_in[0]);
  pid_t child = fork();
  if (child < 0) {
    close(log_fd);
    close(null_fd);
    return Status::error("spawn " + argv_in[0] + ": fork: " + strerror(errno));
  }
  if (child == 0) {
    // Double fork: the service is re-parented to init and never becomes our zombie.
    setsid();
    pid_t grandchild = fork();
    if (grandchild != 0) {
      pid_t value = grandchild;
      (void)!write(report.write_end, &value, sizeof value);
      _exit(grandchild < 0 ? 1 : 0);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    close_inherited_descriptors();
    execvpe(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  close(null_fd);
  report.close_write();
  int status = 0;
  waitpid(child, &status, 0);
  pid_t grandchild = -1;
  if (read(report.read_end, &grandchild, sizeof grandchild) != sizeof grandchild || grandchild <= 0)
    return Status::error("spawn " + argv_in[0] + ": fork failed");
  return static_cast<int>(grandchild);
}

Expected<int> run_in_terminal(const std::vector<std::string>& argv_in) {
  if (argv_in.empty()) return Status::error("run: empty argv");
  std::vector<std::string> argv_strings = argv_in;
  std::vector<char*> argv = as_c_array(argv_strings);
  started_processes.fetch_add(1, std::memory_order_relaxed);
  // As system(3) does: Ctrl-C or Ctrl-\ typed in the editor goes to the whole foreground group;
  // it is the editor's to handle, and agentctl waits for it instead of dying under it.
  struct sigaction ignore {}, old_int {}, old_quit {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGQUIT, &ignore, &old_quit);
  const auto restore = [&] {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGQUIT, &old_quit, nullptr);
  };
  pid_t child = fork();
  if (child < 0) {
    const std::string reason = strerror(errno);
    restore();
    return Status::error("run " + argv_in[0] + ": fork: " + reason);
  }
  if (child == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) {
      const std::string reason = strerror(errno);
      restore();
      return Status::error("run " + argv_in[0] + ": wait: " + reason);
    }
  }
  restore();
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

std::uint64_t processes_started() { return started_processes.load(std::memory_order_relaxed); }

Status run_checked(ProcessRunner& runner, const Command& command) {
  RunResult result = runner.run(command);
  if (result.succeeded()) return Status::ok();
  return Status::error(result.describe_failure(command.argv));
}

}  // namespace pydio::common
