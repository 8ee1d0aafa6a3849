// The daemon's side of noticing faults at once: what it does when the process watch sees a
// service or brick process of this node exit. Wiring only: the watch is
// agent/host/process_watch.hpp, the repairs are the resources' (their restart backoff:
// agent/host/restart_guard.hpp; bricks: agent/resources/brick_repair.hpp).

#include <spdlog/spdlog.h>

#include <chrono>

#include "agent/daemon/daemon.hpp"
#include "agent/host/pid_file.hpp"

namespace pydio::agent {

namespace {
constexpr std::chrono::milliseconds kNudgeTimeout{1500};
constexpr std::size_t kMaxNudgeReason = 200;  // what the peer API accepts
constexpr std::chrono::seconds kBrickFollowUpPeriod{2};
constexpr std::chrono::minutes kBrickFollowUpFor{5};
}  // namespace

void Daemon::on_process_exit(const ProcessExit& exit) {
  const std::string what = exit.describe();
  spdlog::warn("{}: reconciling now", what);
  Event event;
  event.time = std::chrono::system_clock::now();
  event.resource = "process-watch";
  event.action = "noticed: " + what;
  event.outcome = "ok";  // the contract knows ok and error; noticing worked
  events_.record(std::move(event));
  health_.check_now_async();
  state_.request_pass(what);
  if (!exit.is_brick()) return;
  {
    // Followed up until the brick runs again: glusterd itself may still count the brick as
    // online when the leader first looks, and then nothing would ask it again.
    std::lock_guard<std::mutex> lock(dead_bricks_mutex_);
    dead_bricks_[exit.target.pid_file] = DeadBrick{exit, std::chrono::steady_clock::now()};
  }
  if (!state_.is_leader_now()) tell_leader(what);
}

void Daemon::tell_leader(const std::string& what) {
  // Only the leader restarts bricks (`volume start VOL force` is a cluster-wide transaction):
  // tell it now, from the blocking pool (the watch thread and the loop go on).
  offload([this, what] {
    auto desired = state_.desired();
    if (!desired) return;
    auto leader = leader_link_.leader_address(*desired);
    if (!leader) {
      spdlog::warn("{}: no leader known to tell", what);
      return;
    }
    auto reply = leader_link_.peer_client(kNudgeTimeout)
                     .post(*leader, "/v1/peer/nudge",
                           {{"reason", what.substr(0, kMaxNudgeReason)}}, false);
    if (!reply) {
      spdlog::warn("{}: telling the leader failed: {}", what, reply.status().message());
    } else if (reply->status != 202) {
      spdlog::warn("{}: the leader refused the nudge: HTTP {}", what, reply->status);
    }
  });
}

void Daemon::start_brick_follow_up() {
  brick_timer_.expires_after(kBrickFollowUpPeriod);
  brick_timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    std::vector<std::string> still_dead;
    {
      std::lock_guard<std::mutex> lock(dead_bricks_mutex_);
      const auto now = std::chrono::steady_clock::now();
      for (auto it = dead_bricks_.begin(); it != dead_bricks_.end();) {
        const WatchTarget& target = it->second.exit.target;
        // Back, or given up on (a volume stopped on purpose leaves its pid file behind).
        if (live_pid(target.pid_file, target.comms) || now - it->second.since > kBrickFollowUpFor) {
          it = dead_bricks_.erase(it);
          continue;
        }
        still_dead.push_back(target.label + " of volume " + target.volume + " still down");
        ++it;
      }
    }
    for (const auto& what : still_dead) {
      if (state_.is_leader_now()) {
        state_.request_pass(what);
      } else {
        tell_leader(what);
      }
    }
    start_brick_follow_up();
  });
}

}  // namespace pydio::agent
