#pragma once
// A managed thing on the node. observe() reads the host and changes nothing; plan() compares
// desired with observed and returns actions, each with the one-line description that
// `agentctl plan` prints; apply() executes one action. observe_and_plan() is const and free of
// side effects: `agentctl plan` runs it on another thread while a real pass runs. What a
// resource remembers across passes is written only by apply() or by Plan::remember, which the
// reconciler runs on real passes only (see resource_memory.hpp). Concrete resources keep a typed
// observation and a pure plan function (unit-tested on recorded observations); this
// interface is what the reconciler drives. No resource calls another: the reconciler owns
// order and dependencies.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/reconcile/action.hpp"
#include "common/desired_state.hpp"
#include "common/local_config.hpp"
#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

class HealthView;   // read-only view of the health monitor's last verdict (health_monitor.hpp)
class Services;     // starts/checks services through systemd or directly (services.hpp)
class ClusterView;  // what the other agents report (cluster/cluster_view.hpp)
class PassCache;    // observations shared by the resources of one round (pass_cache.hpp)
class DbMemberHolder;       // this db node's Galera report (db_member_holder.hpp)
class ReleaseReportHolder;  // this node's releases for its node report (release_report.hpp)
struct SignedDocument;  // a document's exact text and signature (cluster/signed_document.hpp)

// Everything a resource may look at during one observe/plan/apply. Immutable for the pass.
struct PassContext {
  std::shared_ptr<const common::DesiredState> desired;  // never null
  const common::NodeSpec* self = nullptr;               // this node in desired; null if not listed
  const common::LocalConfig* local = nullptr;
  std::shared_ptr<const common::Secrets> secrets;  // null until init or join
  // The exact text and signature of `desired` (what the leader publishes); null in unit tests.
  std::shared_ptr<const SignedDocument> desired_signed;
  std::string signing_public_pem;  // the cluster's signing key; "" before init or join
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
  // Names of the nodes this node reached in its last reachability round (itself included);
  // nullopt before the first round and in unit tests. Sooner than gluster's own view: glusterd
  // notices a dead peer only after 19-26 s (FIELD-NOTES).
  std::optional<std::set<std::string>> reachable_nodes;
  // Where pydio-release publishes what the node report says of releases; null in unit tests.
  ReleaseReportHolder* release_report = nullptr;
  // Where db-server publishes this db node's Galera report; null in unit tests.
  DbMemberHolder* db_member = nullptr;
};

struct Plan {
  std::vector<Action> actions;  // empty when in sync
  std::string waiting_for;      // non-empty: nothing to do until this happens (not an error)
  // In sync as far as dependents care, but worth telling (e.g. what the next scale-out step
  // waits for). Dependents go on; status shows it.
  std::string note;
  // The note names something expected within seconds that no event announces (e.g. a gluster
  // peer finishing its join): plan again after the waiting interval, still in sync meanwhile.
  bool recheck_soon = false;
  // What the resource keeps from this observation for its next passes (e.g. the peers it saw
  // disconnected). Run by the reconciler on a real pass, before the actions; never by a dry
  // run. Empty for resources that remember nothing.
  std::function<void()> remember;
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
  // Observes the host and plans. No side effects, thread-safe: a dry run may call it while a
  // real operation of the same resource is in flight. An error means observation failed.
  virtual common::Expected<Plan> observe_and_plan(const PassContext& ctx) const = 0;
  // Executes one action of a plan this resource produced (see action.hpp: dispatch with
  // visit_action). Errors carry context; an action that is not this resource's is an error,
  // not an exception. The reconciler never runs two operations of one resource at once.
  virtual common::Status apply(const PassContext& ctx, const Action& action) = 0;
  // The desired state changed and this object replaces `previous`, which has the same name():
  // take over what it remembers across passes. Called before this object is used; `previous`
  // may still have an operation in flight, so share its memory (resource_memory.hpp) rather
  // than copy it. Default: nothing to take over.
  virtual void carry_over(const Resource& previous) { (void)previous; }
};

}  // namespace pydio::agent
