// The daemon's timers on the event loop: leadership tick and timer passes, the follower's poll,
// the mount-table watch, the systemd watchdog and the node certificate's renewal. Each handler only
// reads snapshots and asks for work, then arms itself again; nothing here blocks.

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include "agent/daemon/daemon.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
// Leadership is looked at this often: a new leader acts within this much of taking the lease.
constexpr auto kTickPeriod = 250ms;
// The watchdog is pinged only while the scheduler ran this recently.
constexpr auto kHeartbeatStale = 10s;
}  // namespace

void Daemon::start_tick() {
  tick_.expires_after(kTickPeriod);
  tick_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    const bool leader = state_.is_leader_now();
    if (leader != was_leader_) {
      spdlog::info(leader ? "this node now leads" : "this node no longer leads");
      was_leader_ = leader;
      state_.request_pass("leadership changed");
    }
    // A node lost or back: the leader's self-heal and volume resources look at once.
    if (auto reached = reachability_.reachable(); reached && reached != last_reached_) {
      if (last_reached_) state_.request_pass("reachability changed");
      last_reached_ = std::move(reached);
    }
    const auto now = std::chrono::steady_clock::now();
    if (next_timer_pass_ == std::chrono::steady_clock::time_point{}) {
      next_timer_pass_ = now + std::chrono::seconds(local_.pass_interval_seconds);
    } else if (now >= next_timer_pass_) {
      next_timer_pass_ = now + std::chrono::seconds(local_.pass_interval_seconds);
      state_.request_pass("timer");
    }
    start_tick();
  });
}

void Daemon::start_follow_timer() {
  follow_timer_.expires_after(Follower::kPollInterval);
  follow_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    schedule_look("");
    start_follow_timer();
  });
}

void Daemon::start_mount_watch() {
  // The kernel flags /proc/self/mountinfo with POLLPRI whenever the mount table changes; the
  // loop waits for it as an "error" condition (EPOLLPRI).
  if (!mountinfo_.is_open()) {
    int fd = ::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      spdlog::warn("cannot watch the mount table: {}", common::errno_text(errno));
      return;
    }
    mountinfo_.assign(fd);
  }
  char buffer[4096];
  ::lseek(mountinfo_.native_handle(), 0, SEEK_SET);
  while (::read(mountinfo_.native_handle(), buffer, sizeof buffer) > 0) {
  }
  mountinfo_.async_wait(boost::asio::posix::stream_descriptor::wait_error,
                        [this](const boost::system::error_code& error) {
                          if (error) return;
                          health_.check_now_async();
                          state_.request_pass("mount table changed");
                          start_mount_watch();
                        });
}

void Daemon::start_watchdog() {
  std::uint64_t watchdog_usec = 0;
  if (sd_watchdog_enabled(0, &watchdog_usec) <= 0) return;
  watchdog_timer_.expires_after(std::chrono::microseconds(watchdog_usec / 2));
  watchdog_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    auto r = state_.reconciler();
    // Ping only while the scheduler is alive; a wedged agent gets restarted by systemd.
    if (!r || std::chrono::steady_clock::now() - r->heartbeat() < kHeartbeatStale)
      sd_notify(0, "WATCHDOG=1");
    start_watchdog();
  });
}

void Daemon::start_certificate_timer(std::chrono::seconds delay) {
  certificate_timer_.expires_after(delay);
  certificate_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    // The check generates a key and may ask storage nodes: never on the loop.
    const bool queued = offload([this] {
      // The timer is armed again whatever the check does: one exception must not end renewal.
      std::chrono::seconds next = CertificateRenewal::kRetryPeriod;
      try {
        next = renewal_.check();
      } catch (const std::exception& error) {
        spdlog::error("node certificate check failed: {}", error.what());
      }
      boost::asio::post(ioc_, [this, next] { start_certificate_timer(next); });
      health_.check_now_async();
    });
    if (!queued) start_certificate_timer(CertificateRenewal::kRetryPeriod);
  });
}

void Daemon::start_ca_timer() {
  ca_timer_.expires_after(CaRotation::kPeriod);
  ca_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    // One round at a time: a round that waits on peers is not stacked up behind.
    if (!ca_queued_.exchange(true)) {
      const bool queued = offload([this] {
        try {
          ca_rotation_.follow();
          ca_rotation_.lead();
        } catch (const std::exception& error) {
          spdlog::error("CA rotation round failed: {}", error.what());
        }
        ca_queued_ = false;
      });
      if (!queued) ca_queued_ = false;
    }
    start_ca_timer();
  });
}

void Daemon::start_rollout_timer() {
  rollout_timer_.expires_after(ReleaseRollout::kPeriod);
  rollout_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    if (!rollout_queued_.exchange(true)) {
      const bool queued = offload([this] {
        try {
          auto desired = state_.desired();
          const common::NodeSpec* self = desired ? desired->find_node(local_.node_name) : nullptr;
          balancer_.refresh(self != nullptr && self->has_role(common::Role::kLb));
          rollout_.lead();
        } catch (const std::exception& error) {
          spdlog::error("release rollout round failed: {}", error.what());
        }
        rollout_queued_ = false;
      });
      if (!queued) rollout_queued_ = false;
    }
    start_rollout_timer();
  });
}

}  // namespace pydio::agent
