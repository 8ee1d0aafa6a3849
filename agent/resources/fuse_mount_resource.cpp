#include "agent/resources/fuse_mount_resource.hpp"

#include "agent/host/nofollow_dir.hpp"
#include "common/volume_clients.hpp"
#include "common/text.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

constexpr std::chrono::seconds kMountTimeout{60};
constexpr std::chrono::seconds kUnmountTimeout{15};
constexpr const char* kFuseType = "fuse.glusterfs";

std::string source_of(const FuseMountDesired& desired) {
  return desired.server + ":/" + desired.volume;
}

// "198.18.0.1:/pydio-data" -> "pydio-data".
std::string volume_of_source(const std::string& source) {
  auto pos = source.find(":/");
  return pos == std::string::npos ? source : source.substr(pos + 2);
}

MountVolume mount_step(const FuseMountDesired& desired) {
  return MountVolume{source_of(desired), desired.mountpoint, desired.backup_servers};
}

}  // namespace

std::optional<FuseMountDesired> fuse_mount_desired(const common::DesiredState& desired,
                                                   const common::NodeSpec& self,
                                                   const common::VolumeSpec& volume) {
  std::vector<const common::NodeSpec*> storage = desired.nodes_with_role(common::Role::kStorage);
  if (storage.empty()) return std::nullopt;
  FuseMountDesired result;
  result.volume = volume.name;
  result.mountpoint = common::normalize_mount_path(volume.mountpoint);
  result.server = self.has_role(common::Role::kStorage) ? self.address : storage.front()->address;
  for (const auto* node : storage) {
    if (node->address != result.server) result.backup_servers.push_back(node->address);
  }
  return result;
}

common::FstabEntry fuse_mount_fstab_entry(const FuseMountDesired& desired) {
  std::string options = std::string("defaults,_netdev,") + kFuseMountFlags;
  if (!desired.backup_servers.empty())
    options += ",backup-volfile-servers=" + common::join(desired.backup_servers, ":");
  return common::FstabEntry{source_of(desired), desired.mountpoint, "glusterfs", options, 0, 0};
}

Expected<Plan> plan_fuse_mount(const FuseMountDesired& desired,
                               const FuseMountObservation& observed) {
  const std::string& mountpoint = desired.mountpoint;
  if (observed.mount && observed.mount->fstype != kFuseType) {
    return Status::error("mountpoint " + mountpoint + " holds " + observed.mount->source + " (" +
                         observed.mount->fstype + "), not the glusterfs volume " + desired.volume +
                         "; refusing to mount over it");
  }
  if (observed.mount && volume_of_source(observed.mount->source) != desired.volume) {
    return Status::error("mountpoint " + mountpoint + " holds glusterfs volume " +
                         volume_of_source(observed.mount->source) + " (" + observed.mount->source +
                         "), not " + desired.volume + "; refusing to mount over it");
  }

  Plan plan;
  if (auto fstab = plan_fstab_entry<FuseMountAction>(observed.fstab_entries,
                                                     fuse_mount_fstab_entry(desired)))
    plan.actions.push_back(*fstab);
  if (!observed.mount) {
    plan.actions.push_back(make_action<FuseMountAction>(
        "create mountpoint " + mountpoint + " (if missing)", MakeFuseMountpoint{mountpoint}));
    plan.actions.push_back(make_action<FuseMountAction>(
        "mount " + source_of(desired) + " at " + mountpoint + " (glusterfs)", mount_step(desired)));
    return plan;
  }
  const MountHealth health = observed.health.health;
  if (health == MountHealth::kBroken || health == MountHealth::kHung) {
    const std::string state =
        mount_health_name(health) +
        (observed.health.detail.empty() ? "" : " (" + observed.health.detail + ")");
    if (observed.fresh_mount) {
      // The probe may be of the mount we replaced: wait for one of the new mount.
      if (plan.actions.empty())
        plan.waiting_for = "a health probe of the new mount at " + mountpoint;
      return plan;
    }
    plan.actions.push_back(make_action<FuseMountAction>(
        "remount " + mountpoint + ": " + state + "; lazy unmount (umount -l) then mount " +
            source_of(desired),
        RemountVolume{mount_step(desired)}));
    return plan;
  }
  if (!has_restricted_mount_flags(*observed.mount)) {
    if (health == MountHealth::kOk || health == MountHealth::kReadOnly) {
      plan.actions.push_back(
          make_action<FuseMountAction>("add nosuid,nodev to the mount at " + mountpoint +
                                           " (bind remount: mount flags only, open files stay)",
                                       RestrictMount{mountpoint}));
    } else {
      plan.note = "mount " + mountpoint +
                  " lacks nosuid,nodev; they are added once its health probe answers";
    }
  }
  return plan;
}

FuseMountResource::FuseMountResource(std::string volume, std::string fstab_path)
    : volume_(std::move(volume)), fstab_path_(std::move(fstab_path)) {}

bool FuseMountResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && common::node_mounts_volume(*ctx.desired, *ctx.self, volume_);
}

Expected<Plan> FuseMountResource::observe_and_plan(const PassContext& ctx) const {
  auto desired = fuse_mount_desired(*ctx.desired, *ctx.self, *ctx.desired->find_volume(volume_));
  if (!desired) {
    Plan plan;
    plan.waiting_for = "a storage node in the desired state";
    return plan;
  }
  FuseMountObservation observed;
  auto table = common::read_mount_table();
  if (!table) return table.status().with_context(name());
  if (const common::MountEntry* entry = common::find_mount_at(*table, desired->mountpoint)) {
    observed.mount = *entry;
  }
  auto fstab = common::read_fstab(fstab_path_);
  if (!fstab) return fstab.status().with_context(name());
  observed.fstab_entries = common::find_fstab_entries(*fstab, desired->mountpoint);
  if (ctx.health != nullptr) observed.health = ctx.health->mount_probe(desired->mountpoint);
  if (observed.mount) {
    const LastMount last = last_mount_->get();
    observed.fresh_mount = observed.mount->id == last.id &&
                           std::chrono::steady_clock::now() - last.at < kFreshMountGrace;
  }
  return plan_fuse_mount(*desired, observed);
}

void FuseMountResource::remember_mount(const std::string& mountpoint) {
  auto table = common::read_mount_table();
  if (!table) return;
  const common::MountEntry* entry = common::find_mount_at(*table, mountpoint);
  if (entry == nullptr) return;
  last_mount_->set(LastMount{entry->id, std::chrono::steady_clock::now()});
}

void FuseMountResource::carry_over(const Resource& previous) {
  if (const auto* old = dynamic_cast<const FuseMountResource*>(&previous))
    last_mount_ = old->last_mount_;
}

Status FuseMountResource::apply(const PassContext& ctx, const Action& action) {
  return visit_action<FuseMountAction>(name(), action,
                                       [&](const auto& step) { return apply_step(ctx, step); });
}

Status FuseMountResource::apply_step(const PassContext& /*ctx*/, const SetFstabEntry& step) {
  return apply_fstab_entry(fstab_path_, step);
}

Status FuseMountResource::apply_step(const PassContext& /*ctx*/, const MakeFuseMountpoint& step) {
  const std::string& path = step.path;
  // Only when nothing is mounted there: never touch a (possibly hung) FUSE mount.
  auto table = common::read_mount_table();
  if (!table) return table.status().with_context("create mountpoint " + path);
  if (common::find_mount_at(*table, path) != nullptr) return Status::ok();
  // Made without following a link, as every path root creates (nofollow_dir.hpp).
  auto made = open_directory_nofollow(path, MissingDirs::kCreate);
  if (!made) return made.status().with_context("create mountpoint " + path);
  return Status::ok();
}

Status FuseMountResource::apply_step(const PassContext& ctx, const MountVolume& step) {
  const std::string& source = step.source;
  const std::string& mountpoint = step.mountpoint;
  const std::string backups = common::join(step.backup_servers, ":");
  const std::string context = "mount " + mountpoint;
  auto table = common::read_mount_table();
  if (!table) return table.status().with_context(context);
  if (const common::MountEntry* entry = common::find_mount_at(*table, mountpoint)) {
    if (entry->fstype == kFuseType && volume_of_source(entry->source) == volume_of_source(source)) {
      return Status::ok();  // mounted meanwhile (e.g. by the operator)
    }
    return Status::error(context + ": already holds " + entry->source + " (" + entry->fstype + ")");
  }
  std::string options = kFuseMountFlags;
  if (!backups.empty()) options += ",backup-volfile-servers=" + backups;
  std::vector<std::string> argv{"mount", "-t", "glusterfs", "-o", options};
  argv.push_back(source);
  argv.push_back(mountpoint);
  Status mounted = common::run_checked(*ctx.runner, common::Command(argv, kMountTimeout));
  if (!mounted) return mounted.with_context(context + ": glusterfs");
  // mount.glusterfs has been seen to exit 0 without a mount: trust the mount table.
  table = common::read_mount_table();
  if (!table) return table.status().with_context(context);
  const common::MountEntry* entry = common::find_mount_at(*table, mountpoint);
  if (entry == nullptr || entry->fstype != kFuseType) {
    return Status::error(context +
                         ": mount exited 0 but no glusterfs mount is there; see the "
                         "client log under /var/log/glusterfs/");
  }
  remember_mount(mountpoint);
  return Status::ok();
}

Status FuseMountResource::apply_step(const PassContext& ctx, const RemountVolume& step) {
  const std::string& mountpoint = step.mount.mountpoint;
  common::Command unmount({"umount", "-l", mountpoint}, kUnmountTimeout);
  common::RunResult result = ctx.runner->run(unmount);
  if (!result.succeeded()) {
    // Gone meanwhile is fine; anything else still mounted there is not.
    auto table = common::read_mount_table();
    if (!table || common::find_mount_at(*table, mountpoint) != nullptr) {
      return Status::error("remount " + mountpoint + ": " + result.describe_failure(unmount.argv));
    }
  }
  return apply_step(ctx, step.mount).with_context("remount " + mountpoint);
}

Status FuseMountResource::apply_step(const PassContext& ctx, const RestrictMount& step) {
  return restrict_mount(*ctx.runner, step.mountpoint, kFuseType);
}

}  // namespace pydio::agent
