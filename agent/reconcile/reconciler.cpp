#include "agent/reconcile/reconciler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace pydio::agent {

namespace {
using SteadyClock = std::chrono::steady_clock;
constexpr std::chrono::seconds kSchedulerTick{1};

bool satisfies_dependents(ResourceState state) {
  return state == ResourceState::kInSync || state == ResourceState::kNotApplicable;
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
                       EventLog& events, std::size_t workers)
    : context_(std::move(context)), events_(events), pool_(std::make_unique<WorkerPool>(workers)) {
  for (auto& resource : resources) {
    Entry entry;
    entry.status.name = resource->name();
    entry.status.last_change = std::chrono::system_clock::now();
    entry.resource = std::move(resource);
    entries_.push_back(std::move(entry));
  }
}

Reconciler::~Reconciler() { stop(); }

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

void Reconciler::request_pass(const std::string& reason, bool reset_backoff) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& entry : entries_) {
      entry.due = true;
      if (reset_backoff) entry.retry_at = {};
    }
    wake_requested_ = true;
  }
  spdlog::debug("reconcile pass requested: {}", reason);
  wake_.notify_all();
}

std::vector<ResourceStatus> Reconciler::statuses() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<ResourceStatus> out;
  for (const auto& entry : entries_) out.push_back(entry.status);
  return out;
}

SteadyClock::time_point Reconciler::heartbeat() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return heartbeat_;
}

void Reconciler::schedule_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, kSchedulerTick, [this] { return stopping_ || wake_requested_; });
    if (stopping_) break;
    wake_requested_ = false;
    heartbeat_ = SteadyClock::now();
    lock.unlock();
    std::optional<PassContext> ctx = context_();  // may take locks of its own: call unlocked
    lock.lock();
    if (ctx && !stopping_) schedule(*ctx);
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

void Reconciler::schedule(const PassContext& ctx) {
  const auto now = SteadyClock::now();
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Entry& entry = entries_[i];
    if (entry.status.in_flight || !entry.due || now < entry.retry_at) continue;
    const Resource& resource = *entry.resource;
    if (!resource.applies_to(ctx)) {
      set_state(entry, ResourceState::kNotApplicable, "");
      entry.due = false;
      continue;
    }
    if (resource.leader_only() && !ctx.is_leader) {
      set_state(entry, ResourceState::kWaiting,
                "leader lease (leader-only; this node does not lead)");
      entry.due = false;
      continue;
    }
    std::string blocked_by;
    for (const auto& dependency : resource.depends_on()) {
      auto found = std::find_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return e.status.name == dependency; });
      // A leader-only dependency on a node that does not lead is the leader's to converge;
      // this node cannot wait for it to be in sync locally.
      bool leaders_job =
          found != entries_.end() && found->resource->leader_only() && !ctx.is_leader;
      if (found != entries_.end() && !leaders_job && !satisfies_dependents(found->status.state)) {
        blocked_by = dependency;
        break;
      }
    }
    if (!blocked_by.empty()) {
      set_state(entry, ResourceState::kBlocked, blocked_by);
      continue;  // stays due: starts as soon as the dependency is in sync
    }
    entry.status.in_flight = true;
    entry.due = false;
    pool_->submit([this, i, ctx] { operate(i, ctx); });
  }
}

void Reconciler::operate(std::size_t index, PassContext ctx) {
  Resource& resource = *entries_[index].resource;  // the vector never changes after construction
  common::Expected<Plan> planned = resource.observe_and_plan(ctx);

  if (!planned || planned->actions.empty()) {
    std::lock_guard<std::mutex> lock(mutex_);
    Entry& entry = entries_[index];
    entry.status.in_flight = false;
    if (!planned) {
      if (entry.status.last_error != planned.status().message())
        spdlog::warn("{}: {}", entry.status.name, planned.status().message());
      entry.status.last_error = planned.status().message();
      set_state(entry, ResourceState::kError, "");
      back_off(entry);
    } else if (!planned->waiting_for.empty()) {
      set_state(entry, ResourceState::kWaiting, planned->waiting_for);
      back_off(entry);
    } else {
      set_state(entry, ResourceState::kInSync, planned->note);
      entry.backoff.reset();
    }
    wake_requested_ = true;
    wake_.notify_all();
    return;
  }

  common::Status outcome = common::Status::ok();
  for (const Action& action : planned->actions) {
    const auto started = SteadyClock::now();
    // Losing the lease stops leader work before its next action, whatever the resource.
    const bool lease_lost = resource.leader_only() && ctx.live_term && ctx.live_term() == 0;
    common::Status applied =
        lease_lost ? common::Status::error(resource.name() + ": " + action.description +
                                           ": this node lost the lease; not acting")
                   : resource.apply(ctx, action);
    Event event;
    event.time = std::chrono::system_clock::now();
    event.resource = resource.name();
    event.action = action.description;
    event.outcome = applied ? "ok" : "error";
    if (resource.leader_only()) event.leader_term = ctx.leader_term;
    event.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started);
    if (!applied) event.message = applied.message();
    events_.record(std::move(event));
    if (!applied) {
      outcome = applied;
      break;
    }
  }

  std::lock_guard<std::mutex> lock(mutex_);
  Entry& entry = entries_[index];
  entry.status.in_flight = false;
  if (outcome.is_ok()) {
    set_state(entry, ResourceState::kChanging, "");
    entry.backoff.reset();
    entry.due = true;  // observe again now: a converged resource plans nothing
  } else {
    entry.status.last_error = outcome.message();
    set_state(entry, ResourceState::kError, "");
    back_off(entry);
  }
  wake_requested_ = true;
  wake_.notify_all();
}

nlohmann::json Reconciler::dry_run_plan() {
  nlohmann::json out = nlohmann::json::array();
  std::optional<PassContext> ctx = context_();
  if (!ctx) return out;
  for (auto& entry : entries_) {
    Resource& resource = *entry.resource;
    nlohmann::json item = {{"resource", resource.name()}};
    if (!resource.applies_to(*ctx)) continue;
    if (resource.leader_only() && !ctx->is_leader) {
      item["waitingFor"] = "leader lease";
      out.push_back(item);
      continue;
    }
    common::Expected<Plan> planned = resource.observe_and_plan(*ctx);
    if (!planned) {
      item["error"] = planned.status().message();
    } else {
      item["actions"] = nlohmann::json::array();
      for (const auto& action : planned->actions)
        item["actions"].push_back({{"kind", action.kind}, {"description", action.description}});
      if (!planned->waiting_for.empty()) item["waitingFor"] = planned->waiting_for;
      if (!planned->note.empty()) item["note"] = planned->note;
    }
    out.push_back(item);
  }
  return out;
}

}  // namespace pydio::agent
