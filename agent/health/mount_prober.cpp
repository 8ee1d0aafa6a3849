#include "agent/health/mount_prober.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "agent/reconcile/guard.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

struct MountProber::Shared {
  Shared(std::string path, std::string write_name)
      : mountpoint(std::move(path)),
        write_path(write_name.empty() ? "" : mountpoint + "/" + write_name) {}
  const std::string mountpoint;
  const std::string write_path;                        // "" when writes are not probed
  std::chrono::steady_clock::time_point last_write{};  // stat thread only
  bool read_only = false;     // guarded by mutex: the last write probe got EROFS
  std::string write_problem;  // guarded by mutex: the last write probe found no regular file
  std::mutex mutex;
  std::condition_variable changed;
  bool requested = false;       // guarded by mutex: the caller asks for one stat
  bool busy = false;            // guarded by mutex: a stat is running
  bool stopping = false;        // guarded by mutex
  std::uint64_t completed = 0;  // guarded by mutex: number of finished stats
  int last_errno = 0;           // guarded by mutex: result of the last finished stat
  std::chrono::steady_clock::time_point busy_since;  // guarded by mutex
};

namespace {

struct WriteOutcome {
  bool refused_for_quorum = false;  // gluster refused with EROFS (no write quorum)
  std::string problem;              // the probe path is not ours to write, e.g. a planted FIFO
};

std::string not_regular(const std::string& path, const std::string& type) {
  return "write probe " + path + ": not a regular file (" + type +
         "); writes are not checked until it is removed";
}

// Rewrites the probe file. Only on the FUSE mount itself: under an unmounted mountpoint the
// file would land on the root filesystem. The volume root may be writable by the web user,
// so the open neither follows a link nor waits (a FIFO planted there would block it forever)
// and only a regular file is written.
WriteOutcome write_probe(const std::string& mountpoint, const std::string& path) {
  WriteOutcome outcome;
  if (!common::require_fuse_filesystem(mountpoint)) return outcome;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  if (fd < 0) {
    const int error = errno;
    outcome.refused_for_quorum = error == EROFS;
    if (error == ELOOP) outcome.problem = not_regular(path, "symbolic link");
    if (error == ENXIO) outcome.problem = not_regular(path, "fifo or socket");
    if (error == EISDIR) outcome.problem = not_regular(path, "directory");
    return outcome;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    outcome.problem = not_regular(path, common::file_type_name(st.st_mode));
    ::close(fd);
    return outcome;
  }
  // A regular file: plain blocking writes from here (FUSE passes open flags to gluster).
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const char byte = '1';
  bool refused = ::ftruncate(fd, 0) != 0 && errno == EROFS;
  refused = (::write(fd, &byte, 1) < 0 && errno == EROFS) || refused;
  if (::close(fd) != 0 && errno == EROFS) refused = true;
  outcome.refused_for_quorum = refused;
  return outcome;
}

}  // namespace

MountProber::MountProber(std::string mountpoint, std::string write_probe_name)
    : shared_(std::make_shared<Shared>(std::move(mountpoint), std::move(write_probe_name))) {
  std::thread([shared = shared_] { stat_loop(shared); }).detach();
}

MountProber::~MountProber() {
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->stopping = true;
  }
  shared_->changed.notify_all();
}

void MountProber::stat_loop(const std::shared_ptr<Shared>& shared) {
  std::unique_lock<std::mutex> lock(shared->mutex);
  while (true) {
    shared->changed.wait(lock, [&] { return shared->stopping || shared->requested; });
    if (shared->stopping) return;
    shared->requested = false;
    shared->busy = true;
    shared->busy_since = std::chrono::steady_clock::now();
    lock.unlock();
    int error = 0;
    std::optional<WriteOutcome> written;
    // A probe that threw answers EIO: the mount is reported broken rather than the agent dead.
    if (!guarded_round("mount prober", [&] {
          struct stat st {};
          error = ::stat(shared->mountpoint.c_str(), &st) == 0 ? 0 : errno;
          if (error == 0 && !shared->write_path.empty() &&
              std::chrono::steady_clock::now() - shared->last_write >= kWriteEvery) {
            shared->last_write = std::chrono::steady_clock::now();
            written = write_probe(shared->mountpoint, shared->write_path);
          }
        }))
      error = EIO;
    lock.lock();
    shared->busy = false;
    shared->last_errno = error;
    if (written) {
      shared->read_only = written->refused_for_quorum;
      shared->write_problem = written->problem;
    }
    ++shared->completed;
    shared->changed.notify_all();
  }
}

bool is_corrupt_mount_errno(int error) {
  return error == ENOTCONN || error == ESTALE || error == EIO || error == EACCES ||
         error == EHOSTDOWN || error == EWOULDBLOCK || error == ENODEV;
}

MountProbe MountProber::probe(std::chrono::milliseconds bound) {
  MountProbe result;
  result.mountpoint = shared_->mountpoint;
  std::unique_lock<std::mutex> lock(shared_->mutex);
  auto hung_for = [&] {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                            shared_->busy_since);
  };
  if (shared_->busy) {
    result.health = MountHealth::kHung;
    result.detail = "stat has not answered for " + std::to_string(hung_for().count()) + "s";
    return result;
  }
  const std::uint64_t target = shared_->completed + 1;
  shared_->requested = true;
  shared_->changed.notify_all();
  if (!shared_->changed.wait_for(lock, bound, [&] { return shared_->completed >= target; })) {
    result.health = MountHealth::kHung;
    result.detail = "stat did not answer within " + std::to_string(bound.count()) + "ms";
    return result;
  }
  if (shared_->last_errno == 0 && shared_->read_only) {
    result.health = MountHealth::kReadOnly;
    result.detail = "writes refused (read-only: no write quorum from this node)";
  } else if (shared_->last_errno == 0) {
    result.health = MountHealth::kOk;
    result.warning = shared_->write_problem;
  } else {
    result.health = MountHealth::kBroken;
    result.detail = std::string("stat: ") + std::strerror(shared_->last_errno);
  }
  return result;
}

}  // namespace pydio::agent
