#include "agent/resources/volume_resource.hpp"

#include <algorithm>

#include "agent/cluster/cluster_view.hpp"
#include "agent/reconcile/pass_cache.hpp"
#include "agent/resources/brick_repair.hpp"
#include "agent/resources/leader_check.hpp"
#include "agent/resources/pool_hold.hpp"
#include "common/gluster_cli.hpp"
#include "common/text.hpp"

namespace pydio::agent {

using common::Expected;
using common::GlusterVolume;
using common::Status;

namespace {

// "3 arbiter 1": the counts as the layout error quotes the desired side.
std::string layout_counts(int replica, int arbiter, int disperse = 0) {
  std::string text = std::to_string(replica);
  if (arbiter > 0) text += " arbiter " + std::to_string(arbiter);
  if (disperse > 0) text += " disperse " + std::to_string(disperse);
  return text;
}

// "replica 3 arbiter 1", as in gluster's own `volume create` syntax.
std::string layout_text(int replica, int arbiter, int disperse = 0) {
  return "replica " + layout_counts(replica, arbiter, disperse);
}

std::string host_of(const std::string& endpoint) { return endpoint.substr(0, endpoint.rfind(':')); }

// Hosts of `bricks` that are neither this node nor a connected peer, in brick order.
std::vector<std::string> unreachable_hosts(const VolumeTarget& target,
                                           const std::vector<common::GlusterPeer>& peers) {
  std::vector<std::string> missing;
  for (const auto& brick : target.bricks) {
    std::string host = host_of(brick);
    if (host == target.self_address) continue;
    bool connected = std::any_of(peers.begin(), peers.end(), [&](const common::GlusterPeer& p) {
      return p.known_as(host) && p.connected;
    });
    if (!connected && std::find(missing.begin(), missing.end(), host) == missing.end()) {
      missing.push_back(host);
    }
  }
  return missing;
}

// The volume's value of `key`, or "unset".
std::string option_or_unset(const GlusterVolume& volume, const std::string& key) {
  auto found = volume.options.find(key);
  return found == volume.options.end() ? "unset" : found->second;
}

Action create_action(const VolumeTarget& target, std::int64_t term) {
  std::string description = "create volume " + target.name + " " +
                            layout_text(target.replica, target.arbiter) + " with bricks " +
                            common::join(target.bricks, " ");
  if (target.force) description += " (force: brick on the root partition is allowed)";
  return make_action<VolumeAction>(
      description,
      CreateVolume{target.name, target.replica, target.arbiter, target.bricks, target.force, term});
}

Action rebalance_action(const std::string& volume, std::int64_t term) {
  return make_action<VolumeAction>("start a rebalance of volume " + volume,
                                   RebalanceVolume{volume, term});
}

Action start_action(const std::string& volume, std::int64_t term) {
  return make_action<VolumeAction>("start volume " + volume, StartVolume{volume, term});
}

Action set_option_action(const std::string& volume, const std::string& key,
                         const std::string& value, std::int64_t term) {
  return make_action<VolumeAction>("set option " + key + "=" + value + " on volume " + volume,
                                   SetVolumeOption{volume, key, value, term});
}

// Options of `target` that the volume does not have with the same value, in key order.
std::vector<Action> option_actions(const VolumeTarget& target, const GlusterVolume* volume,
                                   std::int64_t term) {
  std::vector<Action> actions;
  for (const auto& [key, value] : target.options) {
    if (volume != nullptr) {
      auto found = volume->options.find(key);
      if (found != volume->options.end() && found->second == value) continue;
    }
    actions.push_back(set_option_action(target.name, key, value, term));
  }
  return actions;
}

}  // namespace

VolumeTarget volume_target(const common::DesiredState& desired, const common::VolumeSpec& volume,
                           const std::string& self_address) {
  VolumeTarget target;
  target.name = volume.name;
  target.replica = volume.replica;
  target.arbiter = volume.arbiter;
  target.bricks = desired.brick_endpoints(volume);
  target.options = volume.options;
  // Managed below (validation refuses them anyway).
  target.options.erase(kAuthAllowOption);
  target.options.erase(kSslAllowOption);
  for (const auto& [key, value] : gluster_tls_volume_options()) {
    target.options.erase(key);
    if (desired.security.gluster_tls) target.options[key] = value;
  }
  target.self_address = self_address;
  target.auth_allow = cluster_auth_allow(desired, volume.name);
  target.ssl_allow = cluster_ssl_allow(desired, volume.name);
  for (const common::NodeSpec* node : desired.nodes_with_role(common::Role::kStorage)) {
    const common::BrickSpec* brick = node->find_brick(volume.brick);
    if (brick != nullptr && brick->directory && brick->allow_root_partition) target.force = true;
  }
  return target;
}

namespace {

// "1 more storage node", "2 more storage nodes"
std::string more_nodes(std::size_t count) {
  return std::to_string(count) + " more storage node" + (count == 1 ? "" : "s");
}

// Hosts of `bricks` whose own agent has not reported the brick ready (self included).
std::vector<std::string> hosts_not_ready(const std::vector<std::string>& bricks,
                                         const std::set<std::string>& ready) {
  std::vector<std::string> missing;
  for (const auto& brick : bricks) {
    std::string host = host_of(brick);
    if (ready.count(host) == 0 && std::find(missing.begin(), missing.end(), host) == missing.end())
      missing.push_back(host);
  }
  return missing;
}

// Empty when every brick host is a connected peer, no peer is still joining the pool (glusterd
// would leave it out of the transaction: pool_hold.hpp) and every brick host reported its brick
// ready; else what the volume waits for.
std::string bricks_wait(const VolumeTarget& target, const std::vector<std::string>& bricks,
                        const VolumeObservation& observed) {
  VolumeTarget subset = target;
  subset.bricks = bricks;
  auto unreachable = unreachable_hosts(subset, observed.peers);
  if (!unreachable.empty())
    return "peers " + common::join(unreachable, ", ") + " in the gluster pool, connected";
  PoolHold joining;
  joining.joining = pool_hold(observed.peers, {}, target.self_address).joining;
  if (!joining.empty()) return joining.waiting_text();
  auto not_ready = hosts_not_ready(bricks, observed.ready_hosts);
  if (!not_ready.empty())
    return "bricks of " + common::join(not_ready, ", ") + " reported ready by their agents";
  return "";
}

// True when the volume does not exist or lacks at least one whole replica set of desired bricks.
bool a_replica_set_is_missing(const VolumeTarget& target, const VolumeObservation& observed) {
  if (!observed.volume) return true;
  const std::vector<std::string> have = observed.volume->brick_endpoints();
  std::size_t missing = 0;
  for (const auto& brick : target.bricks)
    if (std::find(have.begin(), have.end(), brick) == have.end()) ++missing;
  return missing >= static_cast<std::size_t>(std::max(1, target.replica));
}

}  // namespace

Expected<Plan> plan_volume(const VolumeTarget& target, const VolumeObservation& observed,
                           std::int64_t leader_term) {
  Plan plan;
  std::vector<std::string> brick_hosts;
  for (const auto& brick : target.bricks) brick_hosts.push_back(host_of(brick));
  // Peers without which the existing volume is not changed (options, access, bricks).
  const PoolHold hold = pool_hold(observed.peers, brick_hosts, target.self_address);
  // A join is under way: a peer is joining, or a brick host outside the pool is up (its agent
  // reports its brick ready) and being probed. A change it holds back is then looked at again
  // within seconds (Plan::recheck_soon): nothing announces the end of a join.
  const bool join_under_way =
      !hold.joining.empty() ||
      std::any_of(hold.absent.begin(), hold.absent.end(),
                  [&](const std::string& host) { return observed.ready_hosts.count(host) > 0; });
  const std::size_t replica = static_cast<std::size_t>(std::max(1, target.replica));

  if (!observed.volume) {
    const std::size_t usable = target.bricks.size() / replica * replica;
    if (usable == 0) {
      plan.waiting_for = more_nodes(replica - target.bricks.size()) +
                         " for the first replica set of " + target.name + " (" +
                         layout_text(target.replica, target.arbiter) + ")";
      return plan;
    }
    const std::vector<std::string> bricks(target.bricks.begin(), target.bricks.begin() + usable);
    if (std::string wait = bricks_wait(target, bricks, observed); !wait.empty()) {
      plan.waiting_for = wait;
      return plan;
    }
    VolumeTarget creating = target;
    creating.bricks = bricks;
    plan.actions.push_back(create_action(creating, leader_term));
    for (auto& action : option_actions(target, nullptr, leader_term)) {
      plan.actions.push_back(std::move(action));
    }
    for (auto& access :
         access_actions(target.name, {target.auth_allow, target.ssl_allow}, nullptr, leader_term))
      plan.actions.push_back(std::move(access));
    plan.actions.push_back(start_action(target.name, leader_term));
    if (usable < target.bricks.size()) {
      plan.note = more_nodes(replica - (target.bricks.size() - usable)) +
                  " for the next replica set of " + target.name;
    }
    return plan;
  }

  const GlusterVolume& volume = *observed.volume;
  if (volume.replica_count != target.replica || volume.arbiter_count != target.arbiter ||
      volume.disperse_count != 0) {
    return Status::error(
        "volume " + target.name + " exists with " +
        layout_text(volume.replica_count, volume.arbiter_count, volume.disperse_count) +
        ", desired " + layout_counts(target.replica, target.arbiter) +
        "; not changing an existing volume's layout");
  }

  std::vector<Action> options = option_actions(target, &volume, leader_term);
  if (!options.empty() && !hold.empty()) {
    // Waiting also holds back the start: it comes after the options, once the peers are back.
    plan.waiting_for = hold.waiting_text() + " before changing options of volume " + target.name;
    return plan;
  }
  plan.actions = std::move(options);
  // The notes of this plan (status only); an access change held back comes first.
  std::vector<std::string> notes;
  for (auto& access :
       access_actions(target.name, {target.auth_allow, target.ssl_allow}, &volume, leader_term)) {
    if (hold.empty()) {
      plan.actions.push_back(std::move(access));
      continue;
    }
    const auto* step = action_step<VolumeAction, SetVolumeOption>(access);
    if (step == nullptr) continue;
    plan.recheck_soon = join_under_way;
    notes.push_back(step->key + " of volume " + target.name + " stays " +
                    option_or_unset(volume, step->key) + " until " + hold.until_text() +
                    " (desired " + step->value + ")");
    plan.note = common::join(notes, "; ");
  }
  if (!volume.started()) plan.actions.push_back(start_action(target.name, leader_term));
  if (!plan.actions.empty()) return plan;
  const BrickRepair repair =
      plan_brick_repair({target.name, observed.offline_bricks, observed.peers, target.self_address,
                         observed.bricks_held_back, observed.brick_start_number, leader_term});
  if (repair.action) plan.actions.push_back(*repair.action);
  plan.waiting_for = repair.waiting_for;
  if (!plan.actions.empty() || !plan.waiting_for.empty()) return plan;
  if (observed.rebalance_due) {
    plan.actions.push_back(rebalance_action(target.name, leader_term));
    return plan;
  }

  // Scale-out: desired bricks the volume lacks join in whole replica sets, then a rebalance.
  const std::vector<std::string> have = volume.brick_endpoints();
  std::vector<std::string> to_add;
  std::vector<std::string> extra;
  for (const auto& brick : target.bricks) {
    if (std::find(have.begin(), have.end(), brick) == have.end()) to_add.push_back(brick);
  }
  for (const auto& brick : have) {
    if (std::find(target.bricks.begin(), target.bricks.end(), brick) == target.bricks.end()) {
      extra.push_back(brick);
    }
  }
  if (!repair.note.empty()) notes.push_back(repair.note);
  const std::size_t addable = to_add.size() / replica * replica;
  if (addable > 0) {
    const std::vector<std::string> bricks(to_add.begin(), to_add.begin() + addable);
    std::string wait = bricks_wait(target, bricks, observed);
    // A brick host not in the pool does not hold the others' sets back (it may never come).
    PoolHold members = hold;
    members.absent.clear();
    if (wait.empty() && !members.empty()) wait = members.waiting_text();
    if (!wait.empty()) {
      notes.push_back(wait + " before adding bricks to " + target.name);
      if (join_under_way) plan.recheck_soon = true;
    } else {
      plan.actions.push_back(
          make_action<VolumeAction>("add " + std::to_string(addable / replica) + " replica set" +
                                        (addable / replica == 1 ? "" : "s") + " to volume " +
                                        target.name + ": " + common::join(bricks, " "),
                                    AddBricks{target.name, target.replica, target.arbiter, bricks,
                                              target.force, leader_term}));
      plan.actions.push_back(rebalance_action(target.name, leader_term));
    }
  }
  if (to_add.size() > addable) {
    notes.push_back(more_nodes(replica - (to_add.size() - addable)) +
                    " for the next replica set of " + target.name);
  }
  if (!extra.empty()) {
    notes.push_back("bricks not in the desired state are never removed: " +
                    common::join(extra, " "));
  }
  // The volume serves as it is: these are for status, not a reason to hold back dependents.
  plan.note = common::join(notes, "; ");
  return plan;
}

bool VolumeResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kStorage) &&
         ctx.desired->find_volume(volume_name_) != nullptr;
}

Expected<Plan> VolumeResource::observe_and_plan(const PassContext& ctx) const {
  const common::VolumeSpec* spec = ctx.desired->find_volume(volume_name_);
  if (spec == nullptr || ctx.self == nullptr) return Plan{};
  common::GlusterCli cli(*ctx.runner);
  VolumeObservation observed;
  observed.rebalance_due = rebalance_due_->get();
  auto volume = observed_volume_info(ctx, volume_name_);
  if (!volume) return volume.status();
  observed.volume = std::move(*volume);
  const auto now = RestartGuard::Clock::now();
  if (observed.volume && observed.volume->started()) {
    observed.offline_bricks = observe_offline_bricks(ctx, *observed.volume);
    if (!observed.offline_bricks.empty()) {
      observed.bricks_held_back =
          brick_restarts_->hold_back("bricks of " + volume_name_, now).value_or("");
    }
    observed.brick_start_number = brick_restarts_->next_start_number();
  }
  const VolumeTarget target = volume_target(*ctx.desired, *spec, ctx.self->address);
  // The peer list only matters when something is to be done (creation needs every brick host
  // connected, option changes wait for disconnected peers). A converged volume is judged
  // without it: one gluster command per pass instead of two keeps the idle cost down.
  // Likewise the other agents are asked about their bricks only when a whole replica set could
  // be added; a lasting note ("1 more storage node ...") needs neither.
  Expected<Plan> without_peers = plan_volume(target, observed, ctx.leader_term);
  if (without_peers && without_peers->actions.empty() && without_peers->waiting_for.empty() &&
      observed.offline_bricks.empty() && !a_replica_set_is_missing(target, observed))
    return without_peers;
  auto peers = observed_pool(ctx);
  if (!peers) return peers.status();
  observed.peers = std::move(*peers);
  if (ctx.cluster != nullptr) {
    std::vector<std::string> hosts;
    for (const auto& brick : target.bricks) hosts.push_back(host_of(brick));
    observed.ready_hosts = ctx.cluster->hosts_reporting_in_sync(hosts, brick_resources_.front());
  }
  auto plan = plan_volume(target, observed, ctx.leader_term);
  if (plan && !observed.offline_bricks.empty()) {
    // Seen down: recorded on real passes only (the restart backoff counts from it).
    plan->remember = [guard = brick_restarts_, now] { guard->mark_down(now); };
  }
  return plan;
}

void VolumeResource::carry_over(const Resource& previous) {
  if (const auto* old = dynamic_cast<const VolumeResource*>(&previous)) {
    rebalance_due_ = old->rebalance_due_;
    brick_restarts_ = old->brick_restarts_;
  }
}

}  // namespace pydio::agent
