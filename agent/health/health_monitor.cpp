#include "agent/health/health_monitor.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/reconcile/guard.hpp"
#include "common/metrics.hpp"
#include "common/mount_table.hpp"
#include "common/volume_clients.hpp"

namespace pydio::agent {

namespace {
constexpr int kApachePort = 80;
constexpr int kApacheTimeoutMs = 1500;
constexpr const char* kGlusterFuseType = "fuse.glusterfs";

// Waits until fd is ready for `events` or the deadline passes. True when ready.
bool wait_ready(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, events, 0};
  return poll(&p, 1, static_cast<int>(left.count())) == 1;
}

// The reason code of a mount that is not ok (kHealthReasonCodes).
const char* mount_reason_code(MountHealth health) {
  switch (health) {
    case MountHealth::kNotMounted:
      return "mount_not_mounted";
    case MountHealth::kBroken:
      return "mount_broken";
    case MountHealth::kHung:
      return "mount_hung";
    case MountHealth::kReadOnly:
      return "mount_read_only";
    default:
      return "mount_unknown";
  }
}

}  // namespace

std::string mount_health_name(MountHealth health) {
  switch (health) {
    case MountHealth::kUnknown:
      return "unknown";
    case MountHealth::kOk:
      return "ok";
    case MountHealth::kNotMounted:
      return "not mounted";
    case MountHealth::kBroken:
      return "broken";
    case MountHealth::kHung:
      return "hung";
    case MountHealth::kReadOnly:
      return "read-only";
  }
  return "unknown";
}

HealthVerdict decide_health(const HealthInputs& inputs, const std::vector<MountProbe>& mounts,
                            bool is_compute, const std::string& apache_problem,
                            const std::string& php_problem) {
  HealthVerdict verdict;
  verdict.computed_at = std::chrono::system_clock::now();
  if (!inputs.desired) {
    verdict.reasons.push_back(inputs.desired_error.empty()
                                  ? "no desired state yet (run agentctl init or join)"
                                  : "no valid desired state: " + inputs.desired_error);
    verdict.reason_codes.push_back("no_desired_state");
  } else {
    if (!inputs.desired->find_node(inputs.node_name)) {
      verdict.reasons.push_back("node " + inputs.node_name + " is not in the desired state");
      verdict.reason_codes.push_back("not_in_desired_state");
    }
    if (!inputs.desired_error.empty())
      verdict.warnings.push_back("desired state rejected, generation " +
                                 std::to_string(inputs.desired->generation) +
                                 " stays in force: " + inputs.desired_error);
  }
  if (!inputs.partition_problem.empty()) {
    verdict.reasons.push_back(inputs.partition_problem);
    verdict.reason_codes.push_back("partition");
  }
  if (!inputs.agent_check_problem.empty()) {
    verdict.reasons.push_back(inputs.agent_check_problem);
    verdict.reason_codes.push_back("agent_check");
  }
  if (!inputs.certificate_problem.empty()) verdict.warnings.push_back(inputs.certificate_problem);
  const std::size_t drain_index = verdict.reasons.size();
  if (inputs.draining) {
    verdict.reasons.push_back(inputs.drain_reason.empty() ? "draining"
                                                          : "draining: " + inputs.drain_reason);
    verdict.reason_codes.push_back("draining");
  }
  if (!inputs.rollout_drain.empty()) {
    verdict.reasons.push_back("drained for the rollout of " + inputs.rollout_drain);
    verdict.reason_codes.push_back("rollout_drain");
  }
  const std::size_t drains = verdict.reasons.size() - drain_index;
  if (is_compute) {
    for (const auto& probe : mounts) {
      if (!probe.warning.empty())
        verdict.warnings.push_back("mount " + probe.mountpoint + ": " + probe.warning);
      if (probe.health == MountHealth::kOk) continue;
      std::string reason = "mount " + probe.mountpoint + ": " + mount_health_name(probe.health);
      if (!probe.detail.empty()) reason += " (" + probe.detail + ")";
      verdict.reasons.push_back(reason);
      verdict.reason_codes.push_back(mount_reason_code(probe.health));
    }
    if (!apache_problem.empty()) {
      verdict.reasons.push_back("apache: " + apache_problem);
      verdict.reason_codes.push_back("apache");
    }
    if (!php_problem.empty()) {
      verdict.reasons.push_back("php: " + php_problem);
      verdict.reason_codes.push_back("php");
    }
  }
  verdict.healthy = verdict.reasons.empty();
  verdict.serving_reasons = verdict.reasons;
  const auto first_drain =
      verdict.serving_reasons.begin() + static_cast<std::ptrdiff_t>(drain_index);
  verdict.serving_reasons.erase(first_drain, first_drain + static_cast<std::ptrdiff_t>(drains));
  return verdict;
}

HealthMonitor::HealthMonitor(std::function<HealthInputs()> inputs, std::function<void()> on_change,
                             std::chrono::milliseconds period)
    : inputs_(std::move(inputs)), on_change_(std::move(on_change)), period_(period) {
  verdict_.reasons.push_back("starting");
  verdict_.reason_codes.push_back("starting");
  verdict_.serving_reasons = verdict_.reasons;
}

HealthMonitor::~HealthMonitor() { stop(); }

void HealthMonitor::start() {
  thread_ = std::thread([this] { loop(); });
}

void HealthMonitor::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    // A round that threw leaves the last verdict in place; the next round comes as usual.
    guarded_round("health monitor", [this] { check_now(); });
    lock.lock();
    wake_.wait_for(lock, period_, [this] { return stopping_ || round_requested_; });
    round_requested_ = false;
  }
}

void HealthMonitor::check_now_async() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    round_requested_ = true;
  }
  wake_.notify_all();
}

MountProbe HealthMonitor::probe_mount(
    const common::Expected<std::vector<common::MountEntry>>& table, const std::string& mountpoint) {
  MountProbe result;
  result.mountpoint = mountpoint;
  if (!table) {
    result.health = MountHealth::kUnknown;
    result.detail = table.status().message();
    return result;
  }
  const common::MountEntry* entry = common::find_mount_at(*table, mountpoint);
  if (entry == nullptr || entry->fstype != kGlusterFuseType) {
    result.health = MountHealth::kNotMounted;
    return result;
  }
  ProbedMount& probed = probers_[mountpoint];
  if (!probed.prober || probed.mount_id != entry->id) {
    // A new mount there (a remount of a hung one): the old prober's thread is left to its stuck
    // stat, which returns when that mount's client does or never.
    probed.mount_id = entry->id;
    probed.prober = std::make_unique<MountProber>(mountpoint, write_probe_name_);
  }
  static auto& probe_seconds = common::metrics::process_registry().histogram(
      "pydio_agent_mount_probe_duration_seconds",
      "How long the health monitor's probe of a FUSE mount took (a hung one: the probe bound).",
      {"mountpoint"}, common::metrics::duration_buckets());
  const auto began = std::chrono::steady_clock::now();
  MountProbe probed_now = probed.prober->probe(kProbeBound);
  probe_seconds.observe(
      {mountpoint},
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
  probed_now.mount_id = entry->id;
  return probed_now;
}

std::string HealthMonitor::probe_apache(const common::DesiredState& desired) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kApacheTimeoutMs);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(kApachePort);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string problem;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    problem = std::string("connect 127.0.0.1:80: ") + std::strerror(errno);
  } else if (!wait_ready(fd, POLLOUT, deadline)) {
    problem = "connect 127.0.0.1:80: no answer";
  } else {
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) {
      problem = std::string("connect 127.0.0.1:80: ") + std::strerror(error);
    } else {
      // The health file's URL: the vhost keeps these requests out of the access log.
      std::string request =
          "GET " + desired.web.alias + "/" + desired.web.health_file + " HTTP/1.0\r\nHost: " +
          // the parser derives it from publicUrl when not given
          (desired.web.server_name.empty() ? "localhost" : desired.web.server_name) +
          "\r\nUser-Agent: pydio-agentd\r\n\r\n";
      char answer[16] = {};
      if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request.size())) {
        problem = "send to 127.0.0.1:80 failed";
      } else if (!wait_ready(fd, POLLIN, deadline) || recv(fd, answer, 5, 0) != 5 ||
                 std::strncmp(answer, "HTTP/", 5) != 0) {
        problem = "no HTTP answer on 127.0.0.1:80";
      }
    }
  }
  close(fd);
  return problem;
}

void HealthMonitor::check_now() {
  std::lock_guard<std::mutex> round(round_mutex_);
  HealthInputs inputs = inputs_();
  std::vector<MountProbe> mounts;
  bool is_compute = false;
  std::string apache_problem;
  std::string php_problem;
  PhpProbeResult php;
  if (inputs.desired) {
    const common::NodeSpec* self = inputs.desired->find_node(inputs.node_name);
    is_compute = self != nullptr && self->has_role(common::Role::kCompute);
    // A db node mounts the backup volume: probed too (so a broken mount is remounted), but it
    // is not part of that node's verdict (decide_health looks at mounts on compute nodes).
    const bool mounts_volumes =
        self != nullptr && common::node_mounts_any_volume(*inputs.desired, *self);
    std::string mounts_key;  // the mount ids of the volumes, e.g. "37-41"
    if (mounts_volumes) {
      const auto table = common::read_mount_table();  // once per round, for every mount
      write_probe_name_ = ".pydio-agent-health-" + inputs.node_name;
      for (const auto& volume : inputs.desired->volumes) {
        if (!common::node_mounts_volume(*inputs.desired, *self, volume.name)) continue;
        mounts.push_back(probe_mount(table, volume.mountpoint));
        mounts_key += (mounts_key.empty() ? "" : "-") + std::to_string(mounts.back().mount_id);
      }
    }
    if (is_compute) {
      apache_problem = probe_apache(*inputs.desired);
      // Without Apache the page cannot answer: one reason, not two.
      if (apache_problem.empty()) {
        // A remount is a new set of mounts: a request stuck on the replaced one may never end.
        if (!php_prober_ || mounts_key != php_prober_mounts_) {
          php_prober_ = std::make_unique<PhpProber>(mounts_key);
          php_prober_mounts_ = mounts_key;
        }
        php = php_prober_->probe(kPhpBound);
        if (php.state == PhpProbeState::kBroken || php.state == PhpProbeState::kHung)
          php_problem = php.problem;
      }
    }
  }
  HealthVerdict next = decide_health(inputs, mounts, is_compute, apache_problem, php_problem);
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    changed = next.healthy != verdict_.healthy || next.reasons != verdict_.reasons ||
              next.serving_reasons != verdict_.serving_reasons ||
              next.warnings != verdict_.warnings;
    for (const auto& probe : mounts) {
      auto& previous = probes_[probe.mountpoint];
      changed = changed || previous.health != probe.health;
      previous = probe;
    }
    verdict_ = next;
    // The php resource acts on what the probe reports (extensions, ini values): a change
    // there is worth a pass even when the verdict stays the same.
    changed = changed || php.extensions != php_.extensions || php.ini != php_.ini;
    php_ = php;
  }
  if (changed && on_change_) on_change_();
}

MountProbe HealthMonitor::mount_probe(const std::string& mountpoint) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = probes_.find(mountpoint);
  if (found != probes_.end()) return found->second;
  MountProbe unknown;
  unknown.mountpoint = mountpoint;
  return unknown;
}

PhpProbeResult HealthMonitor::php_probe() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return php_;
}

HealthVerdict HealthMonitor::verdict() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return verdict_;
}

}  // namespace pydio::agent
