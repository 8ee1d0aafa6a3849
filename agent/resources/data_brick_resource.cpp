#include "agent/resources/data_brick_resource.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "agent/host/nofollow_dir.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

constexpr std::chrono::minutes kMkfsTimeout{10};  // discarding a large device takes a while
constexpr std::chrono::seconds kMountTimeout{60};

std::string errno_string(int error) { return std::strerror(error); }

// Options for mount(8): the fstab options without "defaults".
std::string mount_options() {
  std::string options = kBrickMountOptions;
  const std::string prefix = "defaults,";
  if (options.rfind(prefix, 0) == 0) options = options.substr(prefix.size());
  return options;
}

bool mounted_here(const DataBrickObservation& observed) {
  return observed.at_mountpoint && observed.at_mountpoint->major == observed.device_major &&
         observed.at_mountpoint->minor == observed.device_minor;
}

// The device's st_rdev, or an error naming the device.
Expected<dev_t> device_number(const std::string& device) {
  struct stat st {};
  if (::stat(device.c_str(), &st) != 0) return Status::error(device + ": " + errno_string(errno));
  if (!S_ISBLK(st.st_mode)) return Status::error(device + ": not a block device");
  return st.st_rdev;
}

// The brick directory's parent must be the device's filesystem: checked right before mkdir.
Status check_on_device(const std::string& mountpoint, const std::string& device) {
  auto rdev = device_number(device);
  if (!rdev) return rdev.status();
  struct stat st {};
  if (::stat(mountpoint.c_str(), &st) != 0) return Status::error(mountpoint + ": " + errno_string(errno));
  if (st.st_dev != *rdev) {
    return Status::error(mountpoint + " is not the filesystem of " + device +
                         " (not mounted there); refusing to create a brick directory on it");
  }
  return Status::ok();
}

}  // namespace

std::string brick_resource_name(const std::string& brick_name) { return brick_name + "-brick"; }

common::FstabEntry data_brick_fstab_entry(const DataBrickDesired& desired) {
  return common::FstabEntry{desired.device, desired.mountpoint, desired.filesystem,
                            kBrickMountOptions, 0, 0};
}

Expected<Plan> plan_data_brick(const DataBrickDesired& desired, const DataBrickObservation& observed) {
  const std::string& device = desired.device;
  const std::string& mountpoint = desired.mountpoint;
  if (!observed.device_exists) return Status::error("device " + device + " does not exist");
  if (!observed.device_error.empty()) return Status::error("device " + device + ": " + observed.device_error);
  if (!observed.device_is_block) return Status::error("device " + device + " is not a block device");

  const bool is_mounted = mounted_here(observed);
  if (observed.at_mountpoint && !is_mounted) {
    return Status::error("mountpoint " + mountpoint + " holds " + observed.at_mountpoint->source + " (" +
                         observed.at_mountpoint->fstype + "), not " + device +
                         "; refusing to mount over it");
  }
  if (is_mounted && observed.at_mountpoint->fstype != desired.filesystem) {
    return Status::error("device " + device + " is mounted at " + mountpoint + " as " +
                         observed.at_mountpoint->fstype + ", not " + desired.filesystem);
  }
  if (!is_mounted && !observed.device_mounted_at.empty()) {
    return Status::error("device " + device + " is mounted at " + observed.device_mounted_at.front() +
                         ", not at " + mountpoint + "; refusing to mount it twice");
  }

  Plan plan;
  if (!is_mounted) {
    if (!observed.probe) return Status::error(observed.probe_error);
    common::FormatDecision decision = common::format_decision(*observed.probe, desired.filesystem);
    if (decision.kind == common::FormatDecision::Kind::kRefuse) return Status::error(decision.reason);
    if (decision.kind == common::FormatDecision::Kind::kFormat) {
      plan.actions.push_back(make_action<DataBrickAction>(
          "format blank device " + device + " as " + desired.filesystem,
          FormatDevice{device, desired.filesystem}));
    }
    if (!observed.mountpoint_exists) {
      plan.actions.push_back(make_action<DataBrickAction>("create mountpoint " + mountpoint,
                                                          MakeDeviceMountpoint{mountpoint}));
    }
  }

  if (auto fstab = plan_fstab_entry<DataBrickAction>(observed.fstab_entries,
                                                     data_brick_fstab_entry(desired)))
    plan.actions.push_back(*fstab);
  if (!is_mounted) {
    plan.actions.push_back(make_action<DataBrickAction>(
        "mount " + device + " at " + mountpoint + " (" + desired.filesystem + ")",
        MountDevice{device, mountpoint, desired.filesystem}));
  } else if (!has_restricted_mount_flags(*observed.at_mountpoint)) {
    plan.actions.push_back(make_action<DataBrickAction>(
        std::string("add ") + kRestrictedMountFlags + " to the brick mount at " + mountpoint +
            " (bind remount: mount flags only, the brick keeps running)",
        RestrictMount{mountpoint}));
  }
  const std::vector<std::string>& to_create = is_mounted ? observed.missing_brick_dirs : desired.brick_dirs;
  for (const auto& dir : to_create) {
    plan.actions.push_back(
        make_action<DataBrickAction>("create brick directory " + dir + " on " + device,
                                     MakeBrickDirOnDevice{dir, mountpoint, device}));
  }
  return plan;
}

Expected<DataBrickObservation> observe_data_brick(const DataBrickDesired& desired,
                                                  const std::string& fstab_path,
                                                  const std::string& mountinfo_path) {
  DataBrickObservation observed;
  struct stat st {};
  if (::stat(desired.device.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      observed.device_exists = true;
      observed.device_error = errno_string(errno);
    }
  } else {
    observed.device_exists = true;
    observed.device_is_block = S_ISBLK(st.st_mode);
    observed.device_major = major(st.st_rdev);
    observed.device_minor = minor(st.st_rdev);
  }
  if (observed.device_is_block) {
    auto probe = common::probe_block_device(desired.device);
    if (probe) {
      observed.probe = std::move(*probe);
    } else {
      observed.probe_error = probe.status().message();
    }
  }

  // Without the mount table or fstab a plan could mount or rewrite blindly: fail instead.
  auto table = common::read_mount_table(mountinfo_path);
  if (!table) return table.status();
  if (const common::MountEntry* entry = common::find_mount_at(*table, desired.mountpoint)) {
    observed.at_mountpoint = *entry;
  }
  if (observed.device_is_block) {
    for (const auto* entry :
         common::find_mounts_of_device(*table, observed.device_major, observed.device_minor)) {
      observed.device_mounted_at.push_back(entry->target);
    }
  }
  observed.mountpoint_exists = ::stat(desired.mountpoint.c_str(), &st) == 0;

  auto fstab = common::read_fstab(fstab_path);
  if (!fstab) return fstab.status();
  observed.fstab_entries = common::find_fstab_entries(*fstab, desired.mountpoint);

  if (observed.device_is_block && mounted_here(observed)) {
    for (const auto& dir : desired.brick_dirs) {
      if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) observed.missing_brick_dirs.push_back(dir);
    }
  }
  return observed;
}

DataBrickResource::DataBrickResource(std::string brick_name, std::string fstab_path)
    : brick_name_(std::move(brick_name)), fstab_path_(std::move(fstab_path)) {}

bool DataBrickResource::applies_to(const PassContext& ctx) const {
  if (ctx.self == nullptr || !ctx.self->has_role(common::Role::kStorage)) return false;
  const common::BrickSpec* brick = ctx.self->find_brick(brick_name_);
  return brick != nullptr && brick->device.has_value();
}

DataBrickDesired DataBrickResource::desired_for(const PassContext& ctx) const {
  const common::BrickSpec* brick = ctx.self->find_brick(brick_name_);
  DataBrickDesired desired;
  desired.device = *brick->device;
  desired.mountpoint = common::normalize_mount_path(brick->mountpoint);
  desired.filesystem = brick->filesystem;
  for (const auto& volume : ctx.desired->volumes) {
    if (volume.brick == brick_name_) desired.brick_dirs.push_back(common::brick_path(*ctx.self, volume));
  }
  return desired;
}

Expected<Plan> DataBrickResource::observe_and_plan(const PassContext& ctx) const {
  const DataBrickDesired desired = desired_for(ctx);
  auto observed = observe_data_brick(desired, fstab_path_);
  if (!observed) return observed.status();
  return plan_data_brick(desired, *observed);
}

Status DataBrickResource::apply(const PassContext& ctx, const Action& action) {
  return visit_action<DataBrickAction>(name(), action,
                                       [&](const auto& step) { return apply_step(ctx, step); });
}

Status DataBrickResource::apply_step(const PassContext& ctx, const FormatDevice& step) {
  const std::string& device = step.device;
  // Probe again right before formatting: the plan may be old, and this is the one
  // irreversible step.
  auto probe = common::probe_block_device(device);
  if (!probe) return probe.status().with_context("format " + device);
  auto decision = common::format_decision(*probe, step.filesystem);
  if (decision.kind == common::FormatDecision::Kind::kRefuse) return Status::error(decision.reason);
  if (decision.kind == common::FormatDecision::Kind::kUseExisting) return Status::ok();
  // No -f: mkfs.xfs itself refuses a device with a signature, a second guard.
  common::Command command{{"mkfs.xfs", "-i", "size=512", device}, kMkfsTimeout};
  return common::run_checked(*ctx.runner, command).with_context("format " + device);
}

Status DataBrickResource::apply_step(const PassContext& /*ctx*/, const MakeDeviceMountpoint& step) {
  // Made without following a link, as every path root creates (nofollow_dir.hpp).
  auto made = open_directory_nofollow(step.path, MissingDirs::kCreate);
  if (!made) return made.status().with_context("create mountpoint " + step.path);
  return Status::ok();
}

Status DataBrickResource::apply_step(const PassContext& /*ctx*/, const SetFstabEntry& step) {
  return apply_fstab_entry(fstab_path_, step);
}

Status DataBrickResource::apply_step(const PassContext& ctx, const MountDevice& step) {
  const std::string& mountpoint = step.mountpoint;
  auto table = common::read_mount_table();
  if (!table) return table.status().with_context("mount " + mountpoint);
  if (const common::MountEntry* entry = common::find_mount_at(*table, mountpoint)) {
    return Status::error("mount " + mountpoint + ": already holds " + entry->source + " (" +
                         entry->fstype + ")");
  }
  common::Command command{
      {"mount", "-t", step.filesystem, "-o", mount_options(), step.device, mountpoint},
      kMountTimeout};
  return common::run_checked(*ctx.runner, command).with_context("mount " + mountpoint);
}

Status DataBrickResource::apply_step(const PassContext& ctx, const RestrictMount& step) {
  return restrict_mount(*ctx.runner, step.mountpoint, desired_for(ctx).filesystem);
}

Status DataBrickResource::apply_step(const PassContext& /*ctx*/, const MakeBrickDirOnDevice& step) {
  Status on_device = check_on_device(step.mountpoint, step.device);
  if (!on_device) return on_device.with_context("create brick directory " + step.path);
  // Made without following a link, as every path root creates (nofollow_dir.hpp).
  auto made = open_directory_nofollow(step.path, MissingDirs::kCreate);
  if (!made) return made.status().with_context("create brick directory " + step.path);
  return Status::ok();
}

}  // namespace pydio::agent
