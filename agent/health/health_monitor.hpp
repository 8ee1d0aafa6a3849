#pragma once
// Computes the node's health verdict in the background, once per period, so that the health
// endpoint and the check.txt resource only ever read a finished verdict. Healthy means this
// node can serve users: a valid desired state lists it, it is not draining, and on a compute
// node every volume is a live glusterfs mount that answers, Apache answers locally and PHP
// runs the probe page (php_prober.hpp).
// The database is not part of the verdict (it would fail every node at once).
// Thread-safe: verdict_ and probes_ are guarded by mutex_.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/health/health_view.hpp"
#include "agent/health/mount_prober.hpp"
#include "agent/health/php_prober.hpp"
#include "common/desired_state.hpp"
#include "common/mount_table.hpp"

namespace pydio::agent {

struct HealthInputs {
  std::shared_ptr<const common::DesiredState> desired;  // null: no valid document yet
  std::string desired_error;  // why the last submitted document was rejected, if it was
  std::string node_name;
  bool draining = false;  // the operator's drain (agentctl drain)
  std::string drain_reason;
  // The version the leader's rollout drains this node for (common::rollout_drains), "" when it
  // does not: like the operator's drain, out of /health and check.txt, not of /health/serving.
  std::string rollout_drain;
  // "" or why this node is on the minority side of a network cut (cluster/reachability.hpp).
  std::string partition_problem;
  // "" or why this node's certificate is a concern (expired, or due and renewal failed): a
  // warning, the node still serves users (daemon/certificate_renewal.hpp).
  std::string certificate_problem;
  // "" or why HAProxy's agent-check port could not be bound (daemon/agent_check_endpoint.hpp).
  std::string agent_check_problem;
};

// Pure: the verdict from what was observed. Tested without any host. `php_problem`: why the
// PHP probe page failed (reason "php: <why>"), "" when it answered or was not asked.
HealthVerdict decide_health(const HealthInputs& inputs, const std::vector<MountProbe>& mounts,
                            bool is_compute, const std::string& apache_problem,
                            const std::string& php_problem = "");

class HealthMonitor : public HealthView {
 public:
  static constexpr std::chrono::milliseconds kDefaultPeriod{1000};
  static constexpr std::chrono::milliseconds kProbeBound{2000};
  static constexpr std::chrono::milliseconds kPhpBound{3000};

  // on_change is called (from the monitor thread) whenever the verdict or a mount's health
  // changes, so the reconciler can react at once.
  HealthMonitor(std::function<HealthInputs()> inputs, std::function<void()> on_change,
                std::chrono::milliseconds period = kDefaultPeriod);
  ~HealthMonitor() override;

  void start();
  void stop();
  // Runs one round now (used at start so the first verdict is not "unknown" for long).
  void check_now();
  // Has the monitor thread run a round as soon as it can; returns at once.
  void check_now_async();

  MountProbe mount_probe(const std::string& mountpoint) const override;
  HealthVerdict verdict() const override;
  PhpProbeResult php_probe() const override;

 private:
  void loop();
  // `table`: this round's mount table (read once for all mounts).
  MountProbe probe_mount(const common::Expected<std::vector<common::MountEntry>>& table,
                         const std::string& mountpoint);
  // "" when Apache answered an HTTP request on 127.0.0.1:80 within the bound.
  std::string probe_apache(const common::DesiredState& desired);

  std::function<HealthInputs()> inputs_;
  std::function<void()> on_change_;
  const std::chrono::milliseconds period_;
  // check_now() runs on the monitor thread and, on demand, on others (drain, mount-table
  // change): rounds are serialized so probers_ has one user at a time.
  std::mutex round_mutex_;
  // One prober per mount, not per mountpoint: a stat stuck on a mount the agent has since
  // detached (umount -l) may never return, and the mount that replaced it must still be probed.
  struct ProbedMount {
    int mount_id = 0;  // MountEntry::id of the mount this prober stats
    std::unique_ptr<MountProber> prober;
  };
  std::map<std::string, ProbedMount> probers_;  // by mountpoint; guarded by round_mutex_
  std::string
      write_probe_name_;  // guarded by round_mutex_: file each prober writes (see MountProber)

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;                     // guarded by mutex_
  bool round_requested_ = false;              // guarded by mutex_
  HealthVerdict verdict_;                     // guarded by mutex_
  std::map<std::string, MountProbe> probes_;  // guarded by mutex_
  PhpProbeResult php_;                        // guarded by mutex_
  std::string php_prober_mounts_;  // guarded by round_mutex_: the mount ids php_prober_ asks for
  std::unique_ptr<PhpProber> php_prober_;     // guarded by round_mutex_; made on first use
  std::thread thread_;
};

}  // namespace pydio::agent
