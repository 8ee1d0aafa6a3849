#pragma once
// The FUSE mount of one gluster volume on a compute node, named "fuse-mount/<volume>".
// Converged means: the volume is mounted (fuse.glusterfs) at VolumeSpec::mountpoint, the
// health monitor does not report it broken or hung, and fstab has exactly
// `SERVER:/VOL MOUNTPOINT glusterfs defaults,_netdev,nosuid,nodev,backup-volfile-servers=B1:B2 0 0`
// (backup-volfile-servers omitted when there is no other storage node). SERVER is this node
// when it is a storage node, else the first storage node; the backups are the other storage
// nodes in desired-state order.
//
// nosuid,nodev: the volumes are shared with every node and written by the web user
// (docs/security.md, "Gluster locked down"). A mount without them gets them by a bind remount
// (restrict_mount.hpp), only while the health monitor reports the mount answering (the path
// lookup of a hung mount could block).
//
// observe never touches the mountpoint itself (a stat of a hung FUSE mount can block
// forever): it reads the mount table, fstab and the health monitor's last probe. A broken or
// hung mount is remounted (lazy unmount, then mount), except within kFreshMountGrace of a
// mount this resource made, when the health probe may predate it. The glusterfs client
// daemonizes out of mount(8)'s process group, so it survives the agent.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/health/health_view.hpp"
#include "agent/reconcile/resource.hpp"
#include "agent/reconcile/resource_memory.hpp"
#include "agent/resources/fstab_action.hpp"
#include "agent/resources/restrict_mount.hpp"
#include "common/mount_table.hpp"

namespace pydio::agent {

inline constexpr std::chrono::seconds kFreshMountGrace{15};

struct FuseMountDesired {
  std::string volume;
  std::string mountpoint;
  std::string server;                       // volfile server address
  std::vector<std::string> backup_servers;  // other storage addresses
};

// The actions (see action.hpp), besides SetFstabEntry.
struct MakeFuseMountpoint {
  static constexpr const char* kKind = "mkdir-mountpoint";
  std::string path;  // created only while nothing is mounted there
};
struct MountVolume {
  static constexpr const char* kKind = "mount";
  std::string source;  // "SERVER:/VOL"
  std::string mountpoint;
  std::vector<std::string> backup_servers;
};
struct RemountVolume {
  static constexpr const char* kKind = "remount";
  MountVolume mount;  // lazy unmount of mount.mountpoint, then this mount
};
using FuseMountAction =
    std::variant<SetFstabEntry, MakeFuseMountpoint, MountVolume, RemountVolume, RestrictMount>;

// The mount options every FUSE mount of a volume carries (besides backup-volfile-servers).
inline constexpr const char* kFuseMountFlags = kRestrictedMountFlags;

struct FuseMountObservation {
  std::optional<common::MountEntry> mount;        // what is mounted at the mountpoint
  MountProbe health;                              // the health monitor's last probe of it
  bool fresh_mount = false;                       // it is the mount this resource made < grace ago
  std::vector<common::FstabEntry> fstab_entries;  // fstab entries for the mountpoint
};

// Server and backups for `volume` as seen from `self`; nullopt when no node has storage.
std::optional<FuseMountDesired> fuse_mount_desired(const common::DesiredState& desired,
                                                   const common::NodeSpec& self,
                                                   const common::VolumeSpec& volume);

common::FstabEntry fuse_mount_fstab_entry(const FuseMountDesired& desired);

// Pure. In order: "fstab"; then "mkdir-mountpoint" + "mount" when nothing is mounted, or
// "remount" when the glusterfs mount is broken or hung, or "restrict-mount" when an answering
// mount lacks nosuid or nodev (a note while its health is not known to be ok). Errors: another
// filesystem or another volume mounted at the mountpoint.
common::Expected<Plan> plan_fuse_mount(const FuseMountDesired& desired,
                                       const FuseMountObservation& observed);

class FuseMountResource : public Resource {
 public:
  explicit FuseMountResource(std::string volume,
                             std::string fstab_path = common::kDefaultFstabPath);
  std::string name() const override { return "fuse-mount/" + volume_; }
  // The volume must exist before it can be mounted (on a node that does not lead, the
  // reconciler leaves that to the leader).
  // "gluster-tls" (with security.glusterTls only): the client needs its certificate to mount.
  std::vector<std::string> depends_on() const override {
    return {"glusterd", "gluster-tls", "volume/" + volume_};
  }
  // Compute nodes, when the volume is in the desired state.
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
  // Takes over the last mount made (its grace) from the object this one replaces.
  void carry_over(const Resource& previous) override;

 private:
  common::Status apply_step(const PassContext& ctx, const SetFstabEntry& step);
  common::Status apply_step(const PassContext& ctx, const MakeFuseMountpoint& step);
  common::Status apply_step(const PassContext& ctx, const MountVolume& step);
  common::Status apply_step(const PassContext& ctx, const RemountVolume& step);
  common::Status apply_step(const PassContext& ctx, const RestrictMount& step);
  void remember_mount(const std::string& mountpoint);

  std::string volume_;
  std::string fstab_path_;
  struct LastMount {
    int id = 0;
    std::chrono::steady_clock::time_point at{};
  };
  // The mount apply() made last (written by apply() only; read by observe_and_plan).
  std::shared_ptr<ResourceMemory<LastMount>> last_mount_ =
      std::make_shared<ResourceMemory<LastMount>>();
};

}  // namespace pydio::agent
