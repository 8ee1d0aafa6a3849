#include "agent/host/haproxy_control.hpp"

#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "agent/host/pid_file.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Command;
using common::Status;

namespace {

constexpr std::chrono::seconds kCheckTimeout{30};
constexpr std::chrono::seconds kStartTimeout{60};
constexpr std::chrono::seconds kQueryTimeout{10};
// How long a stopped master may take to exit (its workers close their connections) before the
// next signal.
constexpr std::chrono::seconds kStopWait{10};

Status checked(common::ProcessRunner& runner, const Command& command, const std::string& what) {
  common::RunResult result = runner.run(command);
  if (result.succeeded()) return Status::ok();
  return Status::error(what + ": " + result.describe_failure(command.argv));
}

bool executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

std::string directory_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

// Waits for `events` on fd until `deadline`; true when ready.
bool wait_fd(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, static_cast<int>(left.count())) == 1;
}

}  // namespace

HaproxyControl::HaproxyControl(common::ProcessRunner& runner, bool use_systemd, HaproxyPaths paths)
    : runner_(runner), use_systemd_(use_systemd), paths_(std::move(paths)) {}

std::string HaproxyControl::missing_binary() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && executable(dir + "/haproxy")) return "";
  return std::string("haproxy is not installed (no haproxy on PATH): install the Debian package ") +
         kHaproxyPackage;
}

bool HaproxyControl::is_running() {
  if (use_systemd_)
    return runner_.run(Command({"systemctl", "is-active", "--quiet", paths_.unit}, kQueryTimeout))
        .succeeded();
  return live_pid(paths_.pid_file, {"haproxy"}).has_value();
}

Status HaproxyControl::check_config(const std::string& path) {
  return checked(runner_, Command({"haproxy", "-c", "-f", path}, kCheckTimeout),
                 "haproxy -c rejected " + path);
}

Status HaproxyControl::start() {
  if (is_running()) return Status::ok();
  // The admin socket's directory (Debian's unit makes it as RuntimeDirectory).
  const std::string socket_dir = directory_of(paths_.admin_socket);
  if (::mkdir(socket_dir.c_str(), 0750) != 0 && errno != EEXIST)
    return Status::error("start haproxy: mkdir " + socket_dir + ": " + common::errno_text(errno));
  if (use_systemd_)
    return checked(runner_, Command({"systemctl", "start", paths_.unit}, kStartTimeout),
                   "start haproxy");
  // -D: HAProxy daemonizes (setsid) and writes the master's PID to the pid file.
  return checked(runner_,
                 Command({"haproxy", "-W", "-D", "-f", paths_.config, "-p", paths_.pid_file, "-S",
                          paths_.master_socket},
                         kStartTimeout),
                 "start haproxy");
}

Status HaproxyControl::stop() {
  if (use_systemd_) {
    Status stopped = checked(runner_, Command({"systemctl", "stop", paths_.unit}, kStartTimeout),
                             "stop haproxy");
    if (!stopped) return stopped;
    return checked(runner_,
                   Command({"systemctl", "disable", "--quiet", paths_.unit}, kStartTimeout),
                   "disable haproxy");
  }
  auto master = live_pid(paths_.pid_file, {"haproxy"});
  if (!master) return Status::ok();
  for (int signal_number : {SIGTERM, SIGKILL}) {
    if (::kill(*master, signal_number) != 0 && errno != ESRCH)
      return Status::error("stop haproxy: kill " + std::to_string(*master) + ": " +
                           common::errno_text(errno));
    const auto deadline = std::chrono::steady_clock::now() + kStopWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (is_zombie_or_gone(*master)) return Status::ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return Status::error("stop haproxy: master " + std::to_string(*master) +
                       " did not exit after SIGKILL");
}

Status HaproxyControl::reload() {
  // Best effort: without the file the agent-check says "drain" again within agentIntervalMs.
  if (auto state = admin_command("show servers state")) {
    Status saved = common::write_file_atomically(paths_.server_state, *state, 0600);
    if (!saved) spdlog::warn("haproxy: save server states: {}", saved.message());
  }
  if (use_systemd_)
    return checked(runner_, Command({"systemctl", "reload", paths_.unit}, kStartTimeout),
                   "reload haproxy");
  auto master = live_pid(paths_.pid_file, {"haproxy"});
  if (!master) return Status::error("reload haproxy: no live master process in " + paths_.pid_file);
  if (::kill(*master, SIGUSR2) != 0)
    return Status::error("reload haproxy: SIGUSR2 to " + std::to_string(*master) + ": " +
                         common::errno_text(errno));
  return Status::ok();
}

common::Expected<std::string> HaproxyControl::admin_command(
    const std::string& command, std::chrono::milliseconds timeout) const {
  const std::string what = "haproxy admin socket " + paths_.admin_socket;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (paths_.admin_socket.size() >= sizeof address.sun_path)
    return Status::error(what + ": path too long");
  std::memcpy(address.sun_path, paths_.admin_socket.c_str(), paths_.admin_socket.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Status::error(what + ": socket: " + common::errno_text(errno));
  std::string answer;
  Status status = Status::ok();
  const std::string line = command + "\n";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    status = Status::error(what + ": connect: " + common::errno_text(errno));
  } else if (!wait_fd(fd, POLLOUT, deadline) ||
             ::send(fd, line.data(), line.size(), MSG_NOSIGNAL) !=
                 static_cast<ssize_t>(line.size())) {
    status = Status::error(what + ": could not send \"" + command + "\"");
  } else {
    // HAProxy answers and closes (non-interactive mode): read until EOF.
    char buffer[16384];
    while (true) {
      if (!wait_fd(fd, POLLIN, deadline)) {
        status = Status::error(what + ": no complete answer to \"" + command + "\"");
        break;
      }
      const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got == 0) break;
      if (got < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        status = Status::error(what + ": read: " + common::errno_text(errno));
        break;
      }
      answer.append(buffer, static_cast<std::size_t>(got));
      if (answer.size() > 4 * 1024 * 1024) {
        status = Status::error(what + ": answer over 4 MiB");
        break;
      }
    }
  }
  ::close(fd);
  if (!status) return status;
  return answer;
}

Status HaproxyControl::install_config(const std::string& path, const std::string& text) {
  const std::string directory = path.substr(0, path.rfind('/'));
  if (::mkdir(directory.c_str(), 0755) != 0 && errno != EEXIST)
    return Status::error("mkdir " + directory + ": " + common::errno_text(errno));
  const std::string candidate = path + ".new";
  Status written = common::write_file_atomically(candidate, text, 0644);
  if (!written) return written.with_context("write " + candidate);
  Status accepted = check_config(candidate);
  if (!accepted) {
    ::unlink(candidate.c_str());
    return Status::error(accepted.message() + "; previous configuration kept");
  }
  if (::rename(candidate.c_str(), path.c_str()) != 0)
    return Status::error("rename " + candidate + " to " + path + ": " + common::errno_text(errno));
  return Status::ok();
}

}  // namespace pydio::agent
