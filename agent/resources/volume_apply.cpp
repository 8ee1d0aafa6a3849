// The volume resource's apply steps (the leader acting on gluster), apart from its planning
// in volume_resource.cpp. Each step checks first that this node still leads under the term the
// step was planned under, and re-reads what it needs, so a stale or duplicate step does nothing.

#include <algorithm>

#include "agent/resources/brick_repair.hpp"
#include "agent/resources/leader_check.hpp"
#include "agent/resources/volume_resource.hpp"
#include "common/gluster_cli.hpp"

namespace pydio::agent {

using common::Status;

Status VolumeResource::apply(const PassContext& ctx, const Action& action) {
  const std::string context = name() + ": " + action.description;
  return visit_action<VolumeAction>(name(), action, [&](const auto& step) {
    if (Status leading = check_leader_action(ctx, step.term, context); !leading) return leading;
    return apply_step(ctx, step, context);
  });
}

// Leader actions re-read state first: a duplicate or stale action must do no harm.
Status VolumeResource::apply_step(const PassContext& ctx, const CreateVolume& step,
                                  const std::string&) {
  common::GlusterCli cli(*ctx.runner);
  auto current = cli.volume_info(volume_name_);
  if (!current) return current.status();
  if (current->has_value()) return Status::ok();  // the next pass compares its layout
  common::GlusterVolumeCreate request;
  request.name = step.volume;
  request.replica = step.replica;
  request.arbiter = step.arbiter;
  request.bricks = step.bricks;
  request.force = step.force;
  return cli.volume_create(request);
}

Status VolumeResource::apply_step(const PassContext& ctx, const SetVolumeOption& step,
                                  const std::string&) {
  return common::GlusterCli(*ctx.runner).volume_set(volume_name_, step.key, step.value);
}

Status VolumeResource::apply_step(const PassContext& ctx, const StartVolume&, const std::string&) {
  common::GlusterCli cli(*ctx.runner);
  auto current = cli.volume_info(volume_name_);
  if (!current) return current.status();
  if (!current->has_value()) {
    return Status::error("gluster volume start " + volume_name_ + ": volume does not exist");
  }
  if ((*current)->started()) return Status::ok();
  return cli.volume_start(volume_name_);
}

Status VolumeResource::apply_step(const PassContext& ctx, const StartOfflineBricks&,
                                  const std::string&) {
  brick_restarts_->record_start(RestartGuard::Clock::now());
  return common::GlusterCli(*ctx.runner).volume_start_force(volume_name_);
}

Status VolumeResource::apply_step(const PassContext& ctx, const AddBricks& step,
                                  const std::string& context) {
  common::GlusterCli cli(*ctx.runner);
  auto current = cli.volume_info(volume_name_);
  if (!current) return current.status();
  if (!current->has_value()) return Status::error(context + ": volume does not exist");
  const std::vector<std::string> have = (*current)->brick_endpoints();
  std::vector<std::string> bricks;
  for (const auto& brick : step.bricks)
    if (std::find(have.begin(), have.end(), brick) == have.end()) bricks.push_back(brick);
  if (bricks.empty()) return Status::ok();  // a duplicate action: already added
  if (bricks.size() % static_cast<std::size_t>(std::max(1, step.replica)) != 0)
    return Status::error(context +
                         ": only part of the replica set is missing; not adding a partial set");
  Status added = cli.volume_add_brick(volume_name_, step.replica, step.arbiter, bricks, step.force);
  if (added) {
    rebalance_due_->set(true);
    return added;
  }
  // glusterd commits here first, then on the peers: "Commit failed on <peer>" leaves the bricks
  // in this node's volume (and not on that peer). They are not added again (the next pass
  // sees them); the rebalance is still due, and the brick repair handles the offline bricks.
  auto after = cli.volume_info(volume_name_);
  if (after && after->has_value()) {
    const std::vector<std::string> now = (*after)->brick_endpoints();
    const bool committed_here = std::all_of(bricks.begin(), bricks.end(), [&](const auto& brick) {
      return std::find(now.begin(), now.end(), brick) != now.end();
    });
    if (committed_here) {
      rebalance_due_->set(true);
      return Status::error(added.message() +
                           " (the bricks are in the volume on this node: not adding them again; "
                           "offline bricks are started by the next passes, then the rebalance)");
    }
  }
  return added;
}

Status VolumeResource::apply_step(const PassContext& ctx, const RebalanceVolume&,
                                  const std::string&) {
  // Starting a rebalance right after add-brick took 10-20 s on a loaded 2-core machine;
  // it has its own longer bound (on a worker thread: nothing else waits for it).
  Status started =
      common::GlusterCli(*ctx.runner, kRebalanceStartTimeout).volume_rebalance_start(volume_name_);
  if (!started && started.message().find("already") != std::string::npos) started = Status::ok();
  if (started) rebalance_due_->set(false);
  return started;
}

}  // namespace pydio::agent
