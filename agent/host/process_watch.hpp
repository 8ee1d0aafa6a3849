#pragma once
// Notices at once when a service process of this node exits, instead of at the next timer pass.
// glusterd, Apache, MariaDB, HAProxy and every brick process (glusterfsd) write a pid file; the
// watch reads those files, opens a pidfd for each live process whose name matches, and polls
// them.
// A pidfd becomes readable when its process exits (SIGKILL included), and a rescan finds a
// process gone whose pidfd is not readable yet (see rescan()); either way the watch calls
// `on_exit` once for that process. Whatever it started or found running is picked up again
// within kRescanInterval of its pid file appearing or changing (a restart writes a new PID).
//
// It never starts or restarts anything: the callback asks for a reconcile pass, and the
// resources decide (with their restart backoff, restart_guard.hpp).
// Thread-safe: start()/stop() from one owner thread; the callback runs on the watch's thread.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/local_config.hpp"

namespace pydio::agent {

// One process to watch, named by its pid file.
struct WatchTarget {
  std::string label;               // "glusterd", "brick 198.18.0.1-srv-pydio-brick"
  std::string pid_file;            // e.g. /run/glusterd.pid
  std::vector<std::string> comms;  // accepted /proc/PID/comm values, e.g. {"glusterd"}
  std::string volume;              // the brick's volume; "" for a service
};

// What exited.
struct ProcessExit {
  WatchTarget target;
  int pid = 0;
  bool is_brick() const { return !target.volume.empty(); }
  // "brick 198.18.0.1-srv-pydio-brick of volume pydio-data (pid 1234) exited"
  std::string describe() const;
};

// Where glusterd 10.3 keeps brick pid files: <kBrickPidRoot>/<volume>/<host>-<path>.pid.
inline constexpr const char* kBrickPidRoot = "/run/gluster/vols";

// The services' pid files (service_paths.hpp) plus every brick pid file found under
// `brick_pid_root` (one directory per volume). Reads directories only, never a FUSE path.
std::vector<WatchTarget> service_and_brick_targets(
    const common::LocalConfig& local, const std::string& brick_pid_root = kBrickPidRoot);

class ProcessWatch {
 public:
  static constexpr std::chrono::milliseconds kRescanInterval{1000};
  using Targets = std::function<std::vector<WatchTarget>()>;
  using OnExit = std::function<void(const ProcessExit&)>;

  ProcessWatch(Targets targets, OnExit on_exit);
  ~ProcessWatch();  // stop()
  ProcessWatch(const ProcessWatch&) = delete;
  ProcessWatch& operator=(const ProcessWatch&) = delete;

  // Starts the watch thread. REQUIRES: not started.
  void start();
  // Wakes the thread and joins it (within one poll round, not kRescanInterval). Idempotent.
  void stop();

 private:
  struct Watched {
    WatchTarget target;
    int pid = 0;
    int pidfd = -1;
  };
  void loop();
  // Watch thread only. Returns the watched processes found gone: a multi-threaded process
  // (mariadbd) looks exited in /proc while its other threads are torn down, before its pidfd
  // turns readable; a rescan in that window must report it, not drop it.
  std::vector<ProcessExit> rescan();
  // Watch thread only: stops watching the entry, remembers its PID as reported, returns it.
  ProcessExit take_exit(std::map<std::string, Watched>::iterator entry);
  void report(const ProcessExit& exit);  // watch thread only: calls on_exit_, never throws
  void forget(Watched& w);               // watch thread only: closes the pidfd
  static bool has_exited(const Watched& w);

  Targets targets_;
  OnExit on_exit_;
  int wake_fd_ = -1;                        // eventfd: stop() writes it
  std::map<std::string, Watched> watched_;  // by pid file; watch thread only
  std::map<std::string, int> exited_;       // by pid file: the last PID reported; watch thread
  std::thread thread_;
};

}  // namespace pydio::agent
