#include "agent/reconcile/reconcile_metrics.hpp"

#include "common/metrics.hpp"

namespace pydio::agent {

void count_action(const std::string& resource, const std::string& kind, bool applied) {
  static auto& applied_total = common::metrics::process_registry().counter(
      "pydio_agent_actions_applied_total", "Actions the reconciler applied, by resource and kind.",
      {"resource", "kind"});
  static auto& failed_total = common::metrics::process_registry().counter(
      "pydio_agent_actions_failed_total", "Actions that failed, by resource and kind.",
      {"resource", "kind"});
  (applied ? applied_total : failed_total).add({resource, kind});
}

void observe_reconcile(const std::string& resource, std::chrono::steady_clock::duration took) {
  static auto& histogram = common::metrics::process_registry().histogram(
      "pydio_agent_reconcile_duration_seconds",
      "One reconcile operation of one resource: observe, plan and apply its actions.", {"resource"},
      common::metrics::duration_buckets());
  histogram.observe({resource}, std::chrono::duration<double>(took).count());
}

}  // namespace pydio::agent
