#include "agent/resources/self_heal_resource.hpp"

#include "agent/reconcile/pass_cache.hpp"
#include "agent/resources/leader_check.hpp"
#include "common/gluster_cli.hpp"

namespace pydio::agent {

int heal_backlog(const std::vector<common::GlusterHealBrick>& bricks) {
  int total = 0;
  for (const auto& brick : bricks)
    if (brick.connected) total += brick.pending;
  return total;
}

std::vector<std::string> SelfHealResource::depends_on() const {
  std::vector<std::string> names;
  for (const auto& volume : volumes_) names.push_back("volume/" + volume);
  return names;
}

bool SelfHealResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kStorage);
}

SelfHealMemory remember_pool(SelfHealMemory memory, const std::vector<common::GlusterPeer>& pool,
                             const std::set<std::string>& unreachable) {
  for (const auto& peer : pool) {
    bool cut = false;
    for (const auto& name : peer.names) cut = cut || unreachable.count(name) > 0;
    if (!peer.connected || cut) {
      memory.seen_disconnected.insert(peer.uuid);
    } else if (memory.seen_disconnected.erase(peer.uuid) > 0) {
      memory.check_pending = true;  // it came back: its replicas may be behind
    }
  }
  return memory;
}

bool heal_poll_due(const SelfHealMemory& memory, std::chrono::steady_clock::time_point now) {
  return memory.last_poll == std::chrono::steady_clock::time_point{} ||
         now - memory.last_poll >= kHealPollInterval;
}

void SelfHealResource::carry_over(const Resource& previous) {
  if (const auto* old = dynamic_cast<const SelfHealResource*>(&previous)) memory_ = old->memory_;
}

std::vector<std::string> SelfHealResource::replicated_volumes(const PassContext& ctx) const {
  std::vector<std::string> names;
  for (const auto& name : volumes_) {
    const common::VolumeSpec* volume = ctx.desired->find_volume(name);
    if (volume != nullptr && volume->replica >= 2) names.push_back(name);
  }
  return names;
}

common::Expected<Plan> SelfHealResource::observe_and_plan(const PassContext& ctx) const {
  common::GlusterCli cli(*ctx.runner);
  auto pool = observed_pool(ctx);
  if (!pool) return pool.status();
  std::set<std::string> unreachable;  // addresses of storage nodes the last round missed
  if (ctx.reachable_nodes) {
    for (const auto* node : ctx.desired->nodes_with_role(common::Role::kStorage))
      if (ctx.reachable_nodes->count(node->name) == 0) unreachable.insert(node->address);
  }
  SelfHealMemory next = remember_pool(memory_->get(), *pool, unreachable);
  Plan plan;
  const auto now = std::chrono::steady_clock::now();
  const bool reconnected = next.check_pending && next.seen_disconnected.empty();
  if (!next.seen_disconnected.empty()) {
    // Waiting is re-planned every few seconds: the reconnect is noticed at once.
    plan.waiting_for = "every peer connected again before looking at the heal backlog";
  }
  if (!reconnected && !heal_poll_due(next, now)) {
    plan.remember = [memory = memory_, next] { memory->set(next); };
    return plan;
  }
  // After a reconnect: heal what is pending. Otherwise a periodic look, only for the gauges
  // (heal_summary records them), also while a peer is away: that is when a backlog grows.
  next.last_poll = now;
  for (const auto& name : replicated_volumes(ctx)) {
    auto bricks = cli.heal_summary(name);
    if (!reconnected) continue;  // a failed look leaves the gauges to go stale: not a failure
    if (!bricks) return bricks.status();  // nothing remembered: the next pass sees it again
    const int backlog = heal_backlog(*bricks);
    if (backlog == 0) continue;
    plan.actions.push_back(make_action<SelfHealAction>(
        "index heal of volume " + name + " (" + std::to_string(backlog) +
            " entries pending after a peer reconnected)",
        HealVolume{name, ctx.leader_term}));
  }
  if (reconnected && plan.actions.empty()) next.check_pending = false;
  plan.remember = [memory = memory_, next] { memory->set(next); };
  return plan;
}

common::Status SelfHealResource::apply(const PassContext& ctx, const Action& action) {
  const std::string context = name() + ": " + action.description;
  return visit_action<SelfHealAction>(name(), action, [&](const HealVolume& step) {
    if (common::Status leading = check_leader_action(ctx, step.term, context); !leading)
      return leading;
    common::Status healed = common::GlusterCli(*ctx.runner).volume_heal(step.volume);
    if (healed) memory_->update([](SelfHealMemory& memory) { memory.check_pending = false; });
    return healed;
  });
}

}  // namespace pydio::agent
