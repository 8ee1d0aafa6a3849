#pragma once
// Drives every resource towards the desired state. Level-triggered: a pass marks every
// resource due (timer, mount-table change, desired-state change, health change, request); the
// scheduler then starts, in dependency order, each due resource whose dependencies are in sync
// and have no operation in flight (a dependency's look in the same pass comes first), its retry
// time passed and no operation of its own in flight (at most one per resource). The operation
// (observe, plan, remember, apply each action, one event per action) runs on the worker pool, so
// a hung command delays only its own resource and those that depend on it. After a change the
// resource is observed again at once: a converged resource must then plan nothing.
//
// Waiting is not failing: a resource that waits for something outside (its plan says
// waiting_for, or it is leader-only on a node that does not lead) is planned again every
// waiting_recheck (kWaitingRecheck), and at once on request_pass(), which is how the daemon
// announces what waiting resources wait for (a brick ready, a peer connected, the lease won).
// An in-sync plan with recheck_soon (its note names something expected within seconds) is
// planned again at the same interval. Only failures back off (backoff.hpp).
//
// Nothing a resource does ends the daemon: an exception from a resource, a task or the
// scheduler becomes an error state and an event "internal error: <what>".
//
// Thread-safe: every member function may be called from any thread; entries_ and the other
// scheduling state are guarded by mutex_, which is never held while a resource observes or acts.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "agent/reconcile/backoff.hpp"
#include "agent/reconcile/event_log.hpp"
#include "agent/reconcile/resource.hpp"
#include "agent/reconcile/worker_pool.hpp"

namespace pydio::agent {

enum class ResourceState {
  kPending,        // not looked at yet
  kInSync,         // last observation planned nothing
  kChanging,       // actions applied, being observed again
  kError,          // observation or an action failed; retried with backoff
  kWaiting,        // nothing to do until something outside happens (e.g. not the leader)
  kBlocked,        // a dependency is not in sync
  kNotApplicable,  // the desired state gives this node nothing to do here
};

std::string resource_state_name(ResourceState state);  // "in-sync", "changing", ...

struct ResourceStatus {
  std::string name;
  ResourceState state = ResourceState::kPending;
  std::string last_error;  // the most recent error, kept after recovery until the next one
  std::string detail;      // what it waits for, or the dependency it is blocked by
  std::chrono::system_clock::time_point last_change;
  bool in_flight = false;
  int failures = 0;  // consecutive failures: the step of the backoff; 0 once it plans again
  std::chrono::steady_clock::time_point retry_at{};  // not started again before this
};

// Supplies the context of the next operation; nullopt when there is no valid desired state yet.
using ContextSource = std::function<std::optional<PassContext>()>;

class Reconciler {
 public:
  // How often a waiting resource is planned again when nothing announces the change it waits
  // for. Fixed: waiting does not grow the delay.
  static constexpr std::chrono::milliseconds kWaitingRecheck{2000};
  // How long a due resource waits for a dependency's operation in flight before it goes ahead
  // on the dependency's last state: passes requested while a slow dependency runs make it due
  // again, and it is started again before its dependents, so an unbounded wait could starve them.
  static constexpr std::chrono::milliseconds kDependencyHoldLimit{30000};

  // REQUIRES: resources are listed in dependency order (a resource after what it depends on).
  Reconciler(std::vector<std::unique_ptr<Resource>> resources, ContextSource context,
             EventLog& events, std::size_t workers = 4,
             std::chrono::milliseconds waiting_recheck = kWaitingRecheck,
             std::chrono::milliseconds dependency_hold_limit = kDependencyHoldLimit);
  ~Reconciler();  // stop()

  void start();
  // Stops scheduling and waits for operations in flight (each bounded by its own timeouts).
  void stop();
  // The desired state changed the set of resources. REQUIRES: dependency order.
  // An entry whose name is unchanged keeps its status, backoff, retry time and operation in
  // flight (which finishes on the old object); the new object takes over what the old one
  // remembers (Resource::carry_over) and is used from the next operation on. Entries no
  // longer listed are dropped (a result arriving for one is discarded); new entries start
  // pending and due. Every entry is marked due, as by request_pass(). Never blocks on
  // operations in flight.
  void update_resources(std::vector<std::unique_ptr<Resource>> resources);
  // Marks every resource due; waiting and blocked ones are planned again at once. A request
  // from the operator (reset_backoff) also cancels the backoff of failed ones.
  void request_pass(const std::string& reason, bool reset_backoff = false);

  std::vector<ResourceStatus> statuses() const;
  // Names of the resources managed now, in dependency order.
  std::vector<std::string> resource_names() const;
  // What the next pass would do: observe and plan every applicable resource in the calling
  // thread, applying and remembering nothing, so it changes nothing (races with nothing).
  // Blocks for as long as the observations take.
  nlohmann::json dry_run_plan();
  // Last time the scheduler loop ran; the watchdog pings only while this is recent.
  std::chrono::steady_clock::time_point heartbeat() const;

 private:
  struct Entry {
    std::uint64_t id = 0;  // stable for the entry's life, unlike its index
    // Shared with the operation in flight, which keeps the object it started with.
    std::shared_ptr<Resource> resource;
    ResourceStatus status;
    Backoff backoff;
    bool due = true;
    std::chrono::steady_clock::time_point retry_at{};
    // Since when it waits for a dependency in flight; unset while it does not.
    std::optional<std::chrono::steady_clock::time_point> held_since;
  };
  // How an operation ended, as the entry's state needs it.
  enum class Outcome { kInSync, kInSyncRecheck, kWaiting, kChanged, kFailed };

  Entry make_entry(std::shared_ptr<Resource> resource);  // REQUIRES: mutex_ held
  Entry* find(std::uint64_t id);                         // REQUIRES: mutex_ held
  const Entry* find(const std::string& name) const;      // REQUIRES: mutex_ held
  void mark_due(Entry& entry, bool reset_backoff);       // REQUIRES: mutex_ held
  void schedule_loop();
  void schedule(const PassContext& ctx);  // REQUIRES: mutex_ held
  void schedule_entry(Entry& entry, const PassContext& ctx,
                      std::chrono::steady_clock::time_point now);  // REQUIRES: mutex_ held
  void operate(std::uint64_t id, const std::shared_ptr<Resource>& resource, PassContext ctx);
  common::Expected<Plan> plan_and_remember(Resource& resource, const PassContext& ctx);
  common::Status apply_one(Resource& resource, const PassContext& ctx, const Action& action);
  // Takes the lock; discards the result when the entry was dropped meanwhile.
  void finish(std::uint64_t id, Outcome outcome, const std::string& detail);
  void set_state(Entry& entry, ResourceState state, std::string detail);  // REQUIRES: mutex_ held
  void back_off(Entry& entry);                                            // REQUIRES: mutex_ held
  void recheck_later(Entry& entry);                                       // REQUIRES: mutex_ held
  void record_internal_error(const std::string& resource, const std::string& action,
                             const std::string& what) noexcept;

  ContextSource context_;
  EventLog& events_;
  const std::chrono::milliseconds waiting_recheck_;
  const std::chrono::milliseconds dependency_hold_limit_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Entry> entries_;                         // guarded by mutex_
  std::uint64_t next_id_ = 1;                          // guarded by mutex_
  bool wake_requested_ = false;                        // guarded by mutex_
  bool stopping_ = false;                              // guarded by mutex_
  std::chrono::steady_clock::time_point heartbeat_{};  // guarded by mutex_
  // The earliest retry time of an entry the last schedule() left waiting for it.
  std::chrono::steady_clock::time_point next_retry_ =
      std::chrono::steady_clock::time_point::max();  // guarded by mutex_
  std::mt19937 random_{std::random_device{}()};      // guarded by mutex_
  std::unique_ptr<WorkerPool> pool_;
  std::thread scheduler_;
};

}  // namespace pydio::agent
