#pragma once
// What the reconciler counts for GET /metrics (common/metrics.hpp, the process registry).
// Labels are resource names and action kinds: both fixed by the agent's code. Thread-safe.

#include <chrono>
#include <string>
#include <utility>

namespace pydio::agent {

// pydio_agent_actions_applied_total / pydio_agent_actions_failed_total {resource, kind}.
void count_action(const std::string& resource, const std::string& kind, bool applied);
// pydio_agent_reconcile_duration_seconds{resource}: one operation of one resource (observe,
// plan, apply its actions): the reconciler has no global pass, each resource goes on its own.
void observe_reconcile(const std::string& resource, std::chrono::steady_clock::duration took);

// Calls observe_reconcile() for `resource` with its own lifetime: one operation however it ends.
class ReconcileTimer {
 public:
  explicit ReconcileTimer(std::string resource)
      : resource_(std::move(resource)), began_(std::chrono::steady_clock::now()) {}
  ~ReconcileTimer() { observe_reconcile(resource_, std::chrono::steady_clock::now() - began_); }
  ReconcileTimer(const ReconcileTimer&) = delete;
  ReconcileTimer& operator=(const ReconcileTimer&) = delete;

 private:
  std::string resource_;
  std::chrono::steady_clock::time_point began_;
};

}  // namespace pydio::agent
