#include "agent/host/process_watch.hpp"

#include <dirent.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "agent/host/haproxy_control.hpp"
#include "agent/host/pid_file.hpp"
#include "agent/host/service_paths.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {
namespace {

// Entry names of `directory` (no "." or ".."), sorted; empty when it cannot be read.
std::vector<std::string> entries_of(const std::string& directory) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

// The raw system call: glibc 2.36's <sys/pidfd.h> declares pidfd_open without C linkage.
int open_pidfd(int pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string ProcessExit::describe() const {
  std::string text = target.label;
  if (is_brick()) text += " of volume " + target.volume;
  return text + " (pid " + std::to_string(pid) + ") exited";
}

std::vector<WatchTarget> service_and_brick_targets(const common::LocalConfig& local,
                                                   const std::string& brick_pid_root) {
  std::vector<WatchTarget> targets = {
      {"glusterd", kGlusterdPidFile, {"glusterd"}, ""},
      {"apache2", apache_pid_file(local.apache_config_dir), {"apache2"}, ""},
      {"mariadbd", mariadb_pid_file(local), {"mariadbd", "mysqld"}, ""},
      // The master process of HAProxy on an lb node (its workers exit with it).
      {"haproxy", HaproxyPaths{}.pid_file, {"haproxy"}, ""},
      // The master process of a compute node's database proxy (Galera).
      {"db-proxy", db_proxy_paths().pid_file, {"haproxy"}, ""},
  };
  for (const auto& volume : entries_of(brick_pid_root)) {
    const std::string directory = brick_pid_root + "/" + volume;
    for (const auto& name : entries_of(directory)) {
      if (!ends_with(name, ".pid")) continue;
      const std::string stem = name.substr(0, name.size() - 4);
      targets.push_back({"brick " + stem, directory + "/" + name, {"glusterfsd"}, volume});
    }
  }
  return targets;
}

ProcessWatch::ProcessWatch(Targets targets, OnExit on_exit)
    : targets_(std::move(targets)), on_exit_(std::move(on_exit)) {}

ProcessWatch::~ProcessWatch() { stop(); }

void ProcessWatch::start() {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    spdlog::warn("process watch: eventfd: {}; faults are noticed at the next timer pass",
                 common::errno_text(errno));
    return;
  }
  thread_ = std::thread([this] { loop(); });
}

void ProcessWatch::stop() {
  if (thread_.joinable()) {
    const std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  for (auto& [path, watched] : watched_) forget(watched);
  watched_.clear();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  wake_fd_ = -1;
}

void ProcessWatch::forget(Watched& w) {
  if (w.pidfd >= 0) ::close(w.pidfd);
  w.pidfd = -1;
}

std::vector<ProcessExit> ProcessWatch::rescan() {
  std::vector<ProcessExit> exits;
  std::set<std::string> present;
  for (WatchTarget& target : targets_()) {
    present.insert(target.pid_file);
    std::optional<int> pid = live_pid(target.pid_file, target.comms);
    auto found = watched_.find(target.pid_file);
    if (found != watched_.end() && pid && found->second.pid == *pid) continue;
    if (found != watched_.end()) {
      if (has_exited(found->second)) {
        exits.push_back(take_exit(found));
      } else {  // the pid file names another process, the old one still runs: not an exit
        forget(found->second);
        watched_.erase(found);
      }
    }
    // An exited process can linger as a zombie that still looks alive: never report it twice.
    if (!pid || exited_[target.pid_file] == *pid) continue;
    int fd = open_pidfd(*pid);
    if (fd < 0) continue;  // exited between the check and the open: nothing to watch
    // The pidfd pins this very process; checking the name again after opening it closes the
    // window in which the PID could have been reused.
    if (live_pid(target.pid_file, target.comms) != pid) {
      ::close(fd);
      continue;
    }
    // Said once per process: when a fault went unnoticed, the log shows whether it was watched.
    spdlog::debug("process watch: watching {} (pid {})", target.label, *pid);
    const std::string key = target.pid_file;  // not from `target` after it is moved
    watched_[key] = Watched{std::move(target), *pid, fd};
  }
  // Pid files that disappeared (a volume deleted): stop watching their processes.
  for (auto it = watched_.begin(); it != watched_.end();) {
    if (present.count(it->first) != 0) {
      ++it;
      continue;
    }
    forget(it->second);
    it = watched_.erase(it);
  }
  return exits;
}

bool ProcessWatch::has_exited(const Watched& w) {
  // The pidfd first: once it is readable the PID may already belong to another process. While
  // it is not, the process is not reaped and its PID is still its own, so /proc tells the truth.
  pollfd exited{w.pidfd, POLLIN, 0};
  return ::poll(&exited, 1, 0) > 0 || is_zombie_or_gone(w.pid);
}

ProcessExit ProcessWatch::take_exit(std::map<std::string, Watched>::iterator entry) {
  ProcessExit exit{entry->second.target, entry->second.pid};
  exited_[entry->first] = exit.pid;
  forget(entry->second);
  watched_.erase(entry);
  return exit;
}

void ProcessWatch::report(const ProcessExit& exit) {
  try {
    on_exit_(exit);
  } catch (const std::exception& error) {
    spdlog::error("process watch: handling '{}' failed: {}", exit.describe(), error.what());
  }
}

void ProcessWatch::loop() {
  auto next_rescan = std::chrono::steady_clock::now();
  while (true) {
    if (std::chrono::steady_clock::now() >= next_rescan) {
      for (const ProcessExit& exit : rescan()) report(exit);
      next_rescan = std::chrono::steady_clock::now() + kRescanInterval;
    }
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}};
    std::vector<std::string> keys;
    for (const auto& [path, watched] : watched_) {
      fds.push_back({watched.pidfd, POLLIN, 0});
      keys.push_back(path);
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        next_rescan - std::chrono::steady_clock::now());
    const int ready =
        ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long>(0, wait.count())));
    if (ready < 0 && errno != EINTR) {
      spdlog::warn("process watch: poll: {}; stopped", common::errno_text(errno));
      return;
    }
    if (ready <= 0) continue;
    if (fds[0].revents != 0) return;  // stop() asked
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      auto found = watched_.find(keys[i - 1]);
      if (found == watched_.end()) continue;
      report(take_exit(found));
    }
  }
}

}  // namespace pydio::agent
