// The daemon's side of noticing faults at once: what it does when the process watch sees a
// service or brick process of this node exit. Wiring only: the watch is
// agent/host/process_watch.hpp, the repairs are the resources' (their restart backoff:
// agent/host/restart_guard.hpp; bricks: agent/resources/brick_repair.hpp).

#include <spdlog/spdlog.h>

#include <chrono>

#include "agent/daemon/daemon.hpp"

namespace pydio::agent {

namespace {
constexpr std::chrono::milliseconds kNudgeTimeout{1500};
constexpr std::size_t kMaxNudgeReason = 200;  // what the peer API accepts
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
  if (!exit.is_brick() || state_.is_leader_now()) return;
  // Only the leader restarts bricks (`volume start VOL force` is a cluster-wide transaction):
  // tell it now, from the blocking pool (the watch thread goes on watching).
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

}  // namespace pydio::agent
