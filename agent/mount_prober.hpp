#pragma once
// Answers "does this FUSE mount respond?" without ever blocking the caller for longer than a
// bound. A stat of a network mount can block forever (FIELD-NOTES: the whole ping-timeout, or
// for good when the client is stopped), so the stat runs on a thread of its own that the
// caller can abandon. While that stat is stuck no second one is started: the mount is reported
// hung until it returns. One thread per mountpoint, for the life of the prober.
// Thread-safe.

#include <chrono>
#include <memory>
#include <string>

#include "agent/health_view.hpp"

namespace pydio::agent {

class MountProber {
 public:
  explicit MountProber(std::string mountpoint);
  ~MountProber();  // never waits for a stuck stat: the thread is left to finish on its own
  MountProber(const MountProber&) = delete;
  MountProber& operator=(const MountProber&) = delete;

  // Stats the mountpoint; returns kOk, kBroken (with the errno text) or kHung when no answer
  // came within `bound`. The caller checks the mount table first (this does not).
  MountProbe probe(std::chrono::milliseconds bound);

 private:
  struct Shared;
  static void stat_loop(const std::shared_ptr<Shared>& shared);
  std::shared_ptr<Shared> shared_;
};

// True for the errors kubelet's mount-utils treats as a corrupt mount.
bool is_corrupt_mount_errno(int error);

}  // namespace pydio::agent
