#include "agent/resources/config_brick_resource.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cstring>

#include "agent/host/nofollow_dir.hpp"
#include "agent/resources/data_brick_resource.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

bool path_is_within(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// The path itself or its nearest existing ancestor, with its stat.
Expected<std::pair<std::string, struct stat>> nearest_existing(const std::string& path) {
  std::string current = path;
  for (;;) {
    struct stat st {};
    if (::stat(current.c_str(), &st) == 0) return std::make_pair(current, st);
    if (errno != ENOENT) return Status::error(current + ": " + std::strerror(errno));
    if (current == "/") return Status::error("/: does not exist");
    current = parent_of(current);
  }
}

Expected<bool> is_on_root_filesystem(const std::string& path) {
  auto found = nearest_existing(path);
  if (!found) return found.status();
  struct stat root {};
  if (::stat("/", &root) != 0) return Status::error(std::string("/: ") + std::strerror(errno));
  return found->second.st_dev == root.st_dev;
}

std::string root_refusal(const ConfigBrickDesired& desired) {
  return "brick \"" + desired.brick_name + "\" directory " + desired.directory +
         " is on the root filesystem; gluster would fill the system disk. Put it on a device "
         "brick, or opt in with \"allowRootPartition\": true on brick \"" +
         desired.brick_name + "\" of node \"" + desired.node_name + "\" in the desired state";
}

}  // namespace

Expected<Plan> plan_config_brick(const ConfigBrickDesired& desired, const ConfigBrickObservation& observed) {
  if (observed.exists && !observed.is_directory) {
    return Status::error("brick \"" + desired.brick_name + "\": " + desired.directory +
                         " exists and is not a directory");
  }
  Plan plan;
  if (desired.enclosing_mountpoint && !observed.enclosing_mounted) {
    plan.waiting_for = *desired.enclosing_device + " mounted at " + *desired.enclosing_mountpoint;
    return plan;
  }
  if (observed.on_root_filesystem && !desired.allow_root_partition) return Status::error(root_refusal(desired));
  if (!observed.exists) {
    plan.actions.push_back(make_action<ConfigBrickAction>(
        "create brick directory " + desired.directory, MakeBrickDirectory{desired.directory}));
  }
  return plan;
}

Expected<ConfigBrickObservation> observe_config_brick(const ConfigBrickDesired& desired,
                                                      const std::string& mountinfo_path) {
  ConfigBrickObservation observed;
  if (desired.enclosing_mountpoint) {
    auto table = common::read_mount_table(mountinfo_path);
    if (!table) return table.status();
    struct stat device {};
    const common::MountEntry* entry = common::find_mount_at(*table, *desired.enclosing_mountpoint);
    observed.enclosing_mounted = entry != nullptr && ::stat(desired.enclosing_device->c_str(), &device) == 0 &&
                                 S_ISBLK(device.st_mode) && entry->major == major(device.st_rdev) &&
                                 entry->minor == minor(device.st_rdev);
  }
  auto found = nearest_existing(desired.directory);
  if (!found) return found.status();
  observed.nearest_existing = found->first;
  observed.exists = found->first == desired.directory;
  observed.is_directory = observed.exists && S_ISDIR(found->second.st_mode);
  auto on_root = is_on_root_filesystem(desired.directory);
  if (!on_root) return on_root.status();
  observed.on_root_filesystem = *on_root;
  return observed;
}

ConfigBrickResource::ConfigBrickResource(std::string brick_name, std::vector<std::string> after)
    : brick_name_(std::move(brick_name)), after_(std::move(after)) {}

std::string ConfigBrickResource::name() const { return brick_resource_name(brick_name_); }

bool ConfigBrickResource::applies_to(const PassContext& ctx) const {
  if (ctx.self == nullptr || !ctx.self->has_role(common::Role::kStorage)) return false;
  const common::BrickSpec* brick = ctx.self->find_brick(brick_name_);
  return brick != nullptr && brick->directory.has_value();
}

ConfigBrickDesired ConfigBrickResource::desired_for(const PassContext& ctx) const {
  const common::BrickSpec* brick = ctx.self->find_brick(brick_name_);
  ConfigBrickDesired desired;
  desired.brick_name = brick_name_;
  desired.node_name = ctx.self->name;
  desired.directory = common::normalize_mount_path(*brick->directory);
  desired.allow_root_partition = brick->allow_root_partition;
  // The innermost device brick mountpoint containing the directory.
  for (const auto& other : ctx.self->bricks) {
    if (!other.device) continue;
    const std::string mountpoint = common::normalize_mount_path(other.mountpoint);
    if (!path_is_within(desired.directory, mountpoint)) continue;
    if (desired.enclosing_mountpoint && desired.enclosing_mountpoint->size() >= mountpoint.size()) continue;
    desired.enclosing_mountpoint = mountpoint;
    desired.enclosing_device = *other.device;
  }
  return desired;
}

Expected<Plan> ConfigBrickResource::observe_and_plan(const PassContext& ctx) const {
  const ConfigBrickDesired desired = desired_for(ctx);
  auto observed = observe_config_brick(desired);
  if (!observed) return observed.status().with_context(name());
  return plan_config_brick(desired, *observed);
}

Status ConfigBrickResource::apply(const PassContext& ctx, const Action& action) {
  return visit_action<ConfigBrickAction>(name(), action,
                                         [&](const auto& step) { return apply_step(ctx, step); });
}

Status ConfigBrickResource::apply_step(const PassContext& ctx,
                                       const MakeBrickDirectory& step) const {
  // Check again right before creating: the device could have been unmounted since the plan.
  const ConfigBrickDesired desired = desired_for(ctx);
  const std::string& path = step.path;
  auto observed = observe_config_brick(desired);
  if (!observed) return observed.status().with_context("create brick directory " + path);
  if (desired.enclosing_mountpoint && !observed->enclosing_mounted) {
    return Status::error("create brick directory " + path + ": " + *desired.enclosing_device +
                         " is not mounted at " + *desired.enclosing_mountpoint);
  }
  if (observed->on_root_filesystem && !desired.allow_root_partition) return Status::error(root_refusal(desired));
  // Made without following a link, as every path root creates (nofollow_dir.hpp).
  auto made = open_directory_nofollow(path, MissingDirs::kCreate);
  if (!made) return made.status().with_context("create brick directory " + path);
  return Status::ok();
}

}  // namespace pydio::agent
