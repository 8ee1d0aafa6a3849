#pragma once
// Drives every resource towards the desired state. Level-triggered: a pass marks every
// resource due (timer, mount-table change, desired-state change, health change, request); the
// scheduler then starts, in dependency order, each due resource whose dependencies are in sync,
// its backoff expired and no operation of its own in flight (at most one per resource). The
// operation (observe, plan, apply each action, one event per action) runs on the worker pool,
// so a hung command delays only its own resource. After a change the resource is observed
// again at once: a converged resource must then plan nothing.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

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
  std::string last_error;   // the most recent error, kept after recovery until the next one
  std::string detail;       // what it waits for, or the dependency it is blocked by
  std::chrono::system_clock::time_point last_change;
  bool in_flight = false;
};

// Supplies the context of the next operation; nullopt when there is no valid desired state yet.
using ContextSource = std::function<std::optional<PassContext>()>;

class Reconciler {
 public:
  // REQUIRES: resources are listed in dependency order (a resource after what it depends on).
  Reconciler(std::vector<std::unique_ptr<Resource>> resources, ContextSource context,
             EventLog& events, std::size_t workers = 4);
  ~Reconciler();  // stop()

  void start();
  // Stops scheduling and waits for operations in flight (each bounded by its own timeouts).
  void stop();
  // Marks every resource due. A request from the operator also cancels pending backoff.
  void request_pass(const std::string& reason, bool reset_backoff = false);

  std::vector<ResourceStatus> statuses() const;
  // What the next pass would do: observe and plan every applicable resource in the calling
  // thread, applying nothing. Blocks for as long as the observations take.
  nlohmann::json dry_run_plan();
  // Last time the scheduler loop ran; the watchdog pings only while this is recent.
  std::chrono::steady_clock::time_point heartbeat() const;

 private:
  struct Entry {
    std::unique_ptr<Resource> resource;
    ResourceStatus status;
    Backoff backoff;
    bool due = true;
    std::chrono::steady_clock::time_point retry_at{};
  };

  void schedule_loop();
  void schedule(const PassContext& ctx);  // REQUIRES: mutex_ held
  void operate(std::size_t index, PassContext ctx);
  void set_state(Entry& entry, ResourceState state, std::string detail);  // REQUIRES: mutex_ held
  void back_off(Entry& entry);  // REQUIRES: mutex_ held

  ContextSource context_;
  EventLog& events_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Entry> entries_;                         // guarded by mutex_
  bool wake_requested_ = false;                        // guarded by mutex_
  bool stopping_ = false;                              // guarded by mutex_
  std::chrono::steady_clock::time_point heartbeat_{};  // guarded by mutex_
  std::mt19937 random_{std::random_device{}()};        // guarded by mutex_
  std::unique_ptr<WorkerPool> pool_;
  std::thread scheduler_;
};

}  // namespace pydio::agent
