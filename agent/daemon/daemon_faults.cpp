// The daemon's side of noticing faults at once: what it does when the process watch sees a
// service or brick process of this node exit, and when a peer nudges it. Wiring only: the
// watch is agent/host/process_watch.hpp, the repairs are the resources' (their restart
// backoff: agent/host/restart_guard.hpp; bricks: agent/resources/brick_repair.hpp).

#include <spdlog/spdlog.h>

#include <chrono>

#include "agent/daemon/daemon.hpp"

namespace pydio::agent {

namespace {
constexpr std::chrono::milliseconds kNudgeTimeout{1500};
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
  health_.check_now();
  if (auto r = reconciler()) r->request_pass(what);
  if (!exit.is_brick() || is_leader_now()) return;
  // Only the leader restarts bricks (`volume start VOL force` is a cluster-wide transaction):
  // tell it now instead of leaving it to its next timer pass.
  auto desired = desired_.current();
  if (!desired) return;
  auto leader = leader_address(*desired);
  if (!leader) {
    spdlog::warn("{}: no leader known to tell", what);
    return;
  }
  auto reply = peer_client(kNudgeTimeout)
                   .post(*leader, "/v1/peer/nudge",
                         {{"reason", what.substr(0, api::kMaxNudgeReason)}}, false);
  if (!reply) {
    spdlog::warn("{}: telling the leader failed: {}", what, reply.status().message());
  } else if (reply->status != 202) {
    spdlog::warn("{}: the leader refused the nudge: HTTP {}", what, reply->status);
  }
}

void Daemon::nudge(const std::string& reason) {
  spdlog::info("nudged by a peer: {}", reason);
  if (auto r = reconciler()) r->request_pass("peer: " + reason);
}

}  // namespace pydio::agent
