#pragma once
// Answers "does this FUSE mount respond?" without ever blocking the caller for longer than a
// bound. A stat of a network mount can block forever (FIELD-NOTES: the whole ping-timeout, or
// for good when the client is stopped), so the stat runs on a thread of its own that the
// caller can abandon. While that stat is stuck no second one is started: the mount is reported
// hung until it returns. One thread per mountpoint, for the life of the prober.
//
// A mount can also answer and still not serve: a node cut off from the other replicas reads
// its own brick but gluster refuses writes (client quorum, EROFS). So every kWriteEvery the
// same thread also rewrites a small file of this node's at the volume root; EROFS makes the
// mount kReadOnly until a later write succeeds. Other write errors (a full volume) are not a
// verdict on this node: they would take every node out at once. The volume root may be
// writable by the web user: the probe file is opened without following links or waiting, and
// a path that is not a regular file (a planted FIFO) is reported as the probe's warning.
// Thread-safe.

#include <chrono>
#include <memory>
#include <string>

#include "agent/health/health_view.hpp"

namespace pydio::agent {

class MountProber {
 public:
  static constexpr std::chrono::seconds kWriteEvery{5};
  // write_probe_name: file name at the mount's root (e.g. ".pydio-agent-health-n1"); "" for no
  // write probe.
  explicit MountProber(std::string mountpoint, std::string write_probe_name = "");
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
