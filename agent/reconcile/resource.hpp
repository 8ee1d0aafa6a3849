#pragma once
// A managed thing on the node. observe() reads the host and changes nothing; plan() compares
// desired with observed and returns actions, each with the one-line description that
// `agentctl plan` prints; apply() executes one action. Concrete resources keep a typed
// observation and a pure plan function (unit-tested on recorded observations); this
// interface is what the reconciler drives. No resource calls another: the reconciler owns
// order and dependencies.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/desired_state.hpp"
#include "common/local_config.hpp"
#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

struct Action {
  std::string kind;         // machine name, e.g. "mount", "create-volume"
  std::string description;  // one line for humans, e.g. "mount /dev/loop3 at /data (xfs)"
  nlohmann::json params;    // what apply() needs; plain data so plans can be printed as JSON
};

class HealthView;   // read-only view of the health monitor's last verdict (health_monitor.hpp)
class Services;     // starts/checks services through systemd or directly (services.hpp)
class ClusterView;  // what the other agents report (cluster/cluster_view.hpp)
class PassCache;    // observations shared by the resources of one round (pass_cache.hpp)

// Everything a resource may look at during one observe/plan/apply. Immutable for the pass.
struct PassContext {
  std::shared_ptr<const common::DesiredState> desired;  // never null
  const common::NodeSpec* self = nullptr;               // this node in desired; null if not listed
  const common::LocalConfig* local = nullptr;
  std::shared_ptr<const common::Secrets> secrets;  // null until init or join
  common::ProcessRunner* runner = nullptr;
  Services* services = nullptr;
  const HealthView* health = nullptr;
  const ClusterView* cluster = nullptr;  // null in unit tests
  std::shared_ptr<PassCache> cache;      // fresh for every round; null in unit tests
  bool is_leader = false;                // when the round was planned
  std::int64_t leader_term = 0;
  // The term this node holds the lease under right now, 0 when it does not: leader actions
  // check it just before acting, so losing the lease stops leader work at once. Null in tests.
  std::function<std::int64_t()> live_term;
  bool draining = false;
};

struct Plan {
  std::vector<Action> actions;  // empty when in sync
  std::string waiting_for;      // non-empty: nothing to do until this happens (not an error)
  // In sync as far as dependents care, but worth telling (e.g. what the next scale-out step
  // waits for). Dependents go on; status shows it.
  std::string note;
};

class Resource {
 public:
  virtual ~Resource() = default;
  // Stable identifier, e.g. "data-brick", "fuse-mount/pydio-data".
  virtual std::string name() const = 0;
  // Names of resources that must be in sync before this one is planned.
  virtual std::vector<std::string> depends_on() const { return {}; }
  // True when only the elected leader may act on it.
  virtual bool leader_only() const { return false; }
  // False when the desired state gives this node nothing to do here (e.g. no db role).
  virtual bool applies_to(const PassContext& ctx) const = 0;
  // Observes the host (no side effects) and plans. An error means observation failed.
  virtual common::Expected<Plan> observe_and_plan(const PassContext& ctx) = 0;
  // Executes one action of a plan this resource produced. Errors carry context.
  virtual common::Status apply(const PassContext& ctx, const Action& action) = 0;
};

}  // namespace pydio::agent
