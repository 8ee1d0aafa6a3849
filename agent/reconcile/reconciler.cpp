#include "agent/logging/log_context.hpp"
#include "agent/reconcile/reconciler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/reconcile/guard.hpp"
#include "agent/reconcile/reconcile_metrics.hpp"

namespace pydio::agent {

namespace {
using SteadyClock = std::chrono::steady_clock;
constexpr std::chrono::seconds kSchedulerTick{1};

bool satisfies_dependents(ResourceState state) {
  return state == ResourceState::kInSync || state == ResourceState::kNotApplicable;
}

// One resource as `agentctl plan` shows it. Plans and remembers nothing.
nlohmann::json dry_run_item(const Resource& resource, const PassContext& ctx) {
  if (resource.leader_only() && !ctx.is_leader) return {{"waitingFor", "leader lease"}};
  common::Expected<Plan> planned = resource.observe_and_plan(ctx);
  if (!planned) return {{"error", planned.status().message()}};
  nlohmann::json item = {{"actions", nlohmann::json::array()}};
  for (const auto& action : planned->actions)
    item["actions"].push_back({{"kind", action.kind}, {"description", action.description}});
  if (!planned->waiting_for.empty()) item["waitingFor"] = planned->waiting_for;
  if (!planned->note.empty()) item["note"] = planned->note;
  return item;
}
}  // namespace

std::string resource_state_name(ResourceState state) {
  switch (state) {
    case ResourceState::kPending:
      return "pending";
    case ResourceState::kInSync:
      return "in-sync";
    case ResourceState::kChanging:
      return "changing";
    case ResourceState::kError:
      return "error";
    case ResourceState::kWaiting:
      return "waiting";
    case ResourceState::kBlocked:
      return "blocked";
    case ResourceState::kNotApplicable:
      return "not-applicable";
  }
  return "unknown";
}

Reconciler::Reconciler(std::vector<std::unique_ptr<Resource>> resources, ContextSource context,
                       EventLog& events, std::size_t workers,
                       std::chrono::milliseconds waiting_recheck,
                       std::chrono::milliseconds dependency_hold_limit)
    : context_(std::move(context)),
      events_(events),
      waiting_recheck_(waiting_recheck),
      dependency_hold_limit_(dependency_hold_limit),
      pool_(std::make_unique<WorkerPool>(workers)) {
  for (auto& resource : resources) entries_.push_back(make_entry(std::move(resource)));
}

Reconciler::~Reconciler() { stop(); }

Reconciler::Entry Reconciler::make_entry(std::shared_ptr<Resource> resource) {
  Entry entry;
  entry.id = next_id_++;
  entry.status.name = resource->name();
  entry.status.last_change = std::chrono::system_clock::now();
  entry.resource = std::move(resource);
  return entry;
}

Reconciler::Entry* Reconciler::find(std::uint64_t id) {
  for (auto& entry : entries_)
    if (entry.id == id) return &entry;
  return nullptr;
}

const Reconciler::Entry* Reconciler::find(const std::string& name) const {
  for (const auto& entry : entries_)
    if (entry.status.name == name) return &entry;
  return nullptr;
}

void Reconciler::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  heartbeat_ = SteadyClock::now();
  wake_requested_ = true;  // the first pass starts at once
  scheduler_ = std::thread([this] { schedule_loop(); });
}

void Reconciler::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  pool_.reset();  // waits for operations in flight
}

void Reconciler::update_resources(std::vector<std::unique_ptr<Resource>> resources) {
  std::vector<Entry> retired;  // the old objects die outside the lock (unless still in flight)
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Entry> next;
    for (auto& resource : resources) {
      std::shared_ptr<Resource> fresh(std::move(resource));
      if (const Entry* old = find(fresh->name())) {
        fresh->carry_over(*old->resource);
        Entry kept = *old;
        kept.resource = std::move(fresh);
        next.push_back(std::move(kept));
      } else {
        next.push_back(make_entry(std::move(fresh)));
      }
    }
    retired.swap(entries_);
    entries_ = std::move(next);
    for (auto& entry : entries_) mark_due(entry, false);
    wake_requested_ = true;
  }
  wake_.notify_all();
}

void Reconciler::mark_due(Entry& entry, bool reset_backoff) {
  entry.due = true;
  const ResourceState state = entry.status.state;
  if (reset_backoff || state == ResourceState::kWaiting || state == ResourceState::kBlocked)
    entry.retry_at = {};
}

void Reconciler::request_pass(const std::string& reason, bool reset_backoff) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& entry : entries_) mark_due(entry, reset_backoff);
    wake_requested_ = true;
  }
  spdlog::debug("reconcile pass requested: {}", reason);
  wake_.notify_all();
}

std::vector<ResourceStatus> Reconciler::statuses() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<ResourceStatus> out;
  for (const auto& entry : entries_) {
    out.push_back(entry.status);
    out.back().failures = entry.backoff.failures();
    out.back().retry_at = entry.retry_at;
  }
  return out;
}

std::vector<std::string> Reconciler::resource_names() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> names;
  for (const auto& entry : entries_) names.push_back(entry.status.name);
  return names;
}

SteadyClock::time_point Reconciler::heartbeat() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return heartbeat_;
}

void Reconciler::record_internal_error(const std::string& resource, const std::string& action,
                                       const std::string& what) noexcept {
  try {
    spdlog::error("{}: {}: internal error: {}", resource, action, what);
    Event event;
    event.time = std::chrono::system_clock::now();
    event.resource = resource;
    event.action = action;
    event.outcome = "error";
    event.message = "internal error: " + what;
    events_.record(std::move(event));
  } catch (...) {  // nothing left to tell it with
  }
}

void Reconciler::schedule_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    const auto wake_at = std::min(SteadyClock::now() + kSchedulerTick, next_retry_);
    wake_.wait_until(lock, wake_at, [this] { return stopping_ || wake_requested_; });
    if (stopping_) break;
    wake_requested_ = false;
    heartbeat_ = SteadyClock::now();
    next_retry_ = SteadyClock::time_point::max();
    lock.unlock();
    std::optional<PassContext> ctx;
    // The context source may take locks of its own: call it unlocked.
    if (auto what = exception_from([&] { ctx = context_(); }))
      record_internal_error("reconciler", "read the pass context", *what);
    lock.lock();
    if (!ctx || stopping_) continue;
    if (auto what = exception_from([&] { schedule(*ctx); }))
      record_internal_error("reconciler", "schedule", *what);
  }
}

void Reconciler::set_state(Entry& entry, ResourceState state, std::string detail) {
  if (entry.status.state != state || entry.status.detail != detail)
    entry.status.last_change = std::chrono::system_clock::now();
  entry.status.state = state;
  entry.status.detail = std::move(detail);
}

void Reconciler::back_off(Entry& entry) {
  entry.due = true;
  entry.retry_at = SteadyClock::now() + entry.backoff.next_delay(random_);
}

void Reconciler::recheck_later(Entry& entry) {
  entry.backoff.reset();  // waiting is not failing
  entry.due = true;
  entry.retry_at = SteadyClock::now() + waiting_recheck_;
}

void Reconciler::schedule(const PassContext& ctx) {
  const auto now = SteadyClock::now();
  for (auto& entry : entries_) {
    // One resource that throws (a malformed document, a bug) must not stop the others.
    auto what = exception_from([&] { schedule_entry(entry, ctx, now); });
    if (!what) continue;
    record_internal_error(entry.status.name, "schedule", *what);
    entry.status.last_error = "internal error: " + *what;
    set_state(entry, ResourceState::kError, "");
    back_off(entry);
  }
}

void Reconciler::schedule_entry(Entry& entry, const PassContext& ctx, SteadyClock::time_point now) {
  if (entry.status.in_flight || !entry.due) return;
  if (now < entry.retry_at) {
    next_retry_ = std::min(next_retry_, entry.retry_at);
    return;
  }
  const Resource& resource = *entry.resource;
  if (!resource.applies_to(ctx)) {
    set_state(entry, ResourceState::kNotApplicable, "");
    entry.due = false;
    return;
  }
  if (resource.leader_only() && !ctx.is_leader) {
    // Winning the lease arrives as request_pass(); the recheck is the fallback.
    set_state(entry, ResourceState::kWaiting,
              "leader lease (leader-only; this node does not lead)");
    recheck_later(entry);
    next_retry_ = std::min(next_retry_, entry.retry_at);
    return;
  }
  for (const auto& dependency : resource.depends_on()) {
    const Entry* found = find(dependency);
    // A leader-only dependency on a node that does not lead is the leader's to converge;
    // this node cannot wait for it to be in sync locally.
    const bool leaders_job = found != nullptr && found->resource->leader_only() && !ctx.is_leader;
    if (found != nullptr && !leaders_job && found->status.in_flight) {
      // Its state is what it was before this look: a new desired state may be changing it
      // (the vhost a first release is served by), so wait for its outcome, up to the limit.
      if (!entry.held_since) entry.held_since = now;
      if (now - *entry.held_since < dependency_hold_limit_) {
        next_retry_ = std::min(next_retry_, *entry.held_since + dependency_hold_limit_);
        return;  // stays due, state unchanged: the dependency's finish() schedules again
      }
    }
    if (found != nullptr && !leaders_job && !satisfies_dependents(found->status.state)) {
      entry.held_since.reset();
      set_state(entry, ResourceState::kBlocked, dependency);
      return;  // stays due: starts as soon as the dependency is in sync
    }
  }
  entry.held_since.reset();
  pool_->submit([this, id = entry.id, name = entry.status.name, resource = entry.resource, ctx] {
    // Resource code is guarded inside operate(); this catches the rest (e.g. bad_alloc), so
    // the entry never stays in flight for good.
    if (auto what = exception_from([&] { operate(id, resource, ctx); })) {
      record_internal_error(name, "operate", *what);
      finish(id, Outcome::kFailed, "internal error: " + *what);
    }
  });
  entry.status.in_flight = true;
  entry.due = false;
}

common::Expected<Plan> Reconciler::plan_and_remember(Resource& resource, const PassContext& ctx) {
  common::Expected<Plan> planned = common::Status::error("not planned");
  auto what = exception_from([&] {
    planned = resource.observe_and_plan(ctx);
    if (planned && planned->remember) planned->remember();  // a real pass: keep what it saw
  });
  if (!what) return planned;
  record_internal_error(resource.name(), "observe and plan", *what);
  return common::Status::error("internal error: " + *what);
}

common::Status Reconciler::apply_one(Resource& resource, const PassContext& ctx,
                                     const Action& action) {
  // Losing the lease stops leader work before its next action, whatever the resource.
  if (resource.leader_only() && ctx.live_term && ctx.live_term() == 0)
    return common::Status::error(resource.name() + ": " + action.description +
                                 ": this node lost the lease; not acting");
  common::Status applied = common::Status::ok();
  if (auto what = exception_from([&] { applied = resource.apply(ctx, action); }))
    return common::Status::error("internal error: " + *what);
  return applied;
}

void Reconciler::operate(std::uint64_t id, const std::shared_ptr<Resource>& resource,
                         PassContext ctx) {
  const ReconcileTimer timer(resource->name());  // observes the operation however it ends
  common::Expected<Plan> planned = plan_and_remember(*resource, ctx);
  if (!planned) {
    finish(id, Outcome::kFailed, planned.status().message());
    return;
  }
  if (planned->actions.empty()) {
    if (!planned->waiting_for.empty())
      finish(id, Outcome::kWaiting, planned->waiting_for);
    else
      finish(id, planned->recheck_soon ? Outcome::kInSyncRecheck : Outcome::kInSync, planned->note);
    return;
  }
  for (const Action& action : planned->actions) {
    const auto started = SteadyClock::now();
    common::Status applied = apply_one(*resource, ctx, action);
    Event event;
    event.time = std::chrono::system_clock::now();
    event.resource = resource->name();
    event.action = action.description;
    event.outcome = applied ? "ok" : "error";
    if (resource->leader_only()) event.leader_term = ctx.leader_term;
    event.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started);
    if (!applied) event.message = applied.message();
    events_.record(std::move(event));
    count_action(resource->name(), action.kind, static_cast<bool>(applied));
    if (!applied) {
      finish(id, Outcome::kFailed, applied.message());
      return;
    }
  }
  finish(id, Outcome::kChanged, "");
}

void Reconciler::finish(std::uint64_t id, Outcome outcome, const std::string& detail) {
  std::lock_guard<std::mutex> lock(mutex_);
  Entry* entry = find(id);
  if (entry == nullptr) return;  // dropped by update_resources meanwhile: nothing to tell
  entry->status.in_flight = false;
  switch (outcome) {
    case Outcome::kFailed:
      if (entry->status.last_error != detail) {
        logging::ScopedLogContext context({entry->status.name, "", "error", 0});
        spdlog::warn("{}: {}", entry->status.name, detail);
      }
      entry->status.last_error = detail;
      set_state(*entry, ResourceState::kError, "");
      back_off(*entry);
      break;
    case Outcome::kWaiting:
      set_state(*entry, ResourceState::kWaiting, detail);
      recheck_later(*entry);
      break;
    case Outcome::kInSync:
    case Outcome::kInSyncRecheck:
      set_state(*entry, ResourceState::kInSync, detail);
      entry->backoff.reset();
      if (outcome == Outcome::kInSyncRecheck) recheck_later(*entry);
      break;
    case Outcome::kChanged:
      set_state(*entry, ResourceState::kChanging, "");
      entry->backoff.reset();
      entry->due = true;  // observe again now: a converged resource plans nothing
      break;
  }
  wake_requested_ = true;
  wake_.notify_all();
}

nlohmann::json Reconciler::dry_run_plan() {
  std::vector<std::shared_ptr<const Resource>> resources;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& entry : entries_) resources.push_back(entry.resource);
  }
  nlohmann::json out = nlohmann::json::array();
  std::optional<PassContext> ctx;
  if (auto what = exception_from([&] { ctx = context_(); }))
    out.push_back({{"resource", "reconciler"}, {"error", "internal error: " + *what}});
  if (!ctx) return out;
  for (const auto& resource : resources) {
    nlohmann::json item = {{"resource", resource->name()}};
    bool applies = true;
    auto what = exception_from([&] {
      applies = resource->applies_to(*ctx);
      if (applies) item.update(dry_run_item(*resource, *ctx));
    });
    if (what) item["error"] = "internal error: " + *what;
    if (applies || what) out.push_back(item);
  }
  return out;
}

}  // namespace pydio::agent
