#include "agent/mount_prober.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

namespace pydio::agent {

struct MountProber::Shared {
  explicit Shared(std::string path) : mountpoint(std::move(path)) {}
  const std::string mountpoint;
  std::mutex mutex;
  std::condition_variable changed;
  bool requested = false;   // guarded by mutex: the caller asks for one stat
  bool busy = false;        // guarded by mutex: a stat is running
  bool stopping = false;    // guarded by mutex
  std::uint64_t completed = 0;  // guarded by mutex: number of finished stats
  int last_errno = 0;       // guarded by mutex: result of the last finished stat
  std::chrono::steady_clock::time_point busy_since;  // guarded by mutex
};

MountProber::MountProber(std::string mountpoint)
    : shared_(std::make_shared<Shared>(std::move(mountpoint))) {
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
    struct stat st {};
    int error = ::stat(shared->mountpoint.c_str(), &st) == 0 ? 0 : errno;
    lock.lock();
    shared->busy = false;
    shared->last_errno = error;
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
  if (shared_->last_errno == 0) {
    result.health = MountHealth::kOk;
  } else {
    result.health = MountHealth::kBroken;
    result.detail = std::string("stat: ") + std::strerror(shared_->last_errno);
  }
  return result;
}

}  // namespace pydio::agent
