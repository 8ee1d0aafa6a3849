#pragma once
// What the background health monitor last saw, read by resources (check.txt, FUSE mounts) and
// the health endpoint. Reading never blocks on a mount, a process or the database.

#include <chrono>
#include <string>
#include <vector>

#include "agent/health/php_probe.hpp"

namespace pydio::agent {

enum class MountHealth {
  kUnknown,     // not probed yet
  kOk,          // mounted as fuse.glusterfs and stat answered
  kNotMounted,  // not a glusterfs mount in the mount table
  kBroken,      // stat answered ENOTCONN/ESTALE/EIO/EACCES/EHOSTDOWN/EWOULDBLOCK/ENODEV
  kHung,        // stat did not answer within the probe bound
  kReadOnly,    // answers, but a write was refused with EROFS: the volume has no write quorum
                // from this node (e.g. it is cut off from the other replicas)
};

std::string mount_health_name(MountHealth health);

struct MountProbe {
  std::string mountpoint;
  MountHealth health = MountHealth::kUnknown;
  std::string detail;  // errno text or "no answer for 3s"
  // A problem that does not stop the mount serving, e.g. the write probe's path is a FIFO
  // someone planted (writes then go unchecked); reported as a health warning.
  std::string warning;
  int mount_id = 0;  // MountEntry::id of the FUSE mount probed; 0 when none is mounted there
};

struct HealthVerdict {
  bool healthy = false;
  std::vector<std::string> reasons;  // empty when healthy, e.g. "draining", "mount /mnt/x: hung"
  // One code of kHealthReasonCodes per reason (repeats possible), for metrics: a bounded set.
  std::vector<std::string> reason_codes;
  // `reasons` without the drain: empty when the node could serve were it not drained. HAProxy's
  // HTTP check and agent-check follow this (drain goes to HAProxy as the agent's "drain").
  std::vector<std::string> serving_reasons;
  // Problems that do not stop this node serving, e.g. a rejected desired-state document (the
  // previous one stays in force; failing every node over a bad push would take the site down).
  std::vector<std::string> warnings;
  std::chrono::system_clock::time_point computed_at;
};

// Every code HealthVerdict::reason_codes can hold (pydio_agent_health_reason{reason}).
inline constexpr const char* kHealthReasonCodes[] = {"starting",
                                                     "no_desired_state",
                                                     "not_in_desired_state",
                                                     "partition",
                                                     "agent_check",
                                                     "draining",
                                                     "rollout_drain",
                                                     "mount_not_mounted",
                                                     "mount_broken",
                                                     "mount_hung",
                                                     "mount_read_only",
                                                     "mount_unknown",
                                                     "apache",
                                                     "php"};

class HealthView {
 public:
  virtual ~HealthView() = default;
  virtual MountProbe mount_probe(const std::string& mountpoint) const = 0;
  // The verdict without the check.txt file itself (check.txt follows this verdict).
  virtual HealthVerdict verdict() const = 0;
  // The PHP probe's last result on a compute node (kUnknown elsewhere and before the first).
  virtual PhpProbeResult php_probe() const { return {}; }
};

}  // namespace pydio::agent
