#pragma once
// A device brick of this storage node (BrickSpec with a device), named "<brick>-brick"
// ("data-brick" for the brick named "data"). Converged means: the device carries XFS, created
// by the agent only when libblkid found nothing at all on it; it is mounted at its mountpoint
// with `defaults,noatime,inode64,nosuid,nodev`; fstab has exactly the entry
// `DEVICE MOUNTPOINT xfs defaults,noatime,inode64,nosuid,nodev 0 0` (the device path as the
// desired state names it: name a stable one, e.g. /dev/disk/by-id/...); and the brick
// directory "<mountpoint>/<volume>" of every volume using this brick exists ON the device.
//
// nosuid,nodev: the brick holds what the web user writes through the volumes, so a setuid
// binary or a device node there must not act as one on the storage node either. A brick
// mounted without them gets them by a bind remount (restrict_mount.hpp), which neither
// unmounts the brick nor disturbs its gluster brick process.
//
// Safety: a device holding anything (filesystem, partition table, other signature) other than
// a lone XFS is an error naming what was found, and the device is never touched. A brick
// directory is only created after checking that its parent is the device's filesystem, so
// gluster can never be pointed at the root filesystem by an unmounted device.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/reconcile/resource.hpp"
#include "agent/resources/fstab_action.hpp"
#include "agent/resources/restrict_mount.hpp"
#include "common/block_probe.hpp"
#include "common/mount_table.hpp"

namespace pydio::agent {

inline constexpr const char* kBrickMountOptions = "defaults,noatime,inode64,nosuid,nodev";

// "<brick name>-brick": the name volume resources depend on ("data-brick", "config-brick").
std::string brick_resource_name(const std::string& brick_name);

// What the brick should look like, taken from the desired state.
struct DataBrickDesired {
  std::string device;
  std::string mountpoint;
  std::string filesystem = "xfs";
  std::vector<std::string> brick_dirs;  // common::brick_path() of each volume on this brick
};

// The actions (see action.hpp), in plan order.
struct FormatDevice {
  static constexpr const char* kKind = "format";
  std::string device;
  std::string filesystem;
};
struct MakeDeviceMountpoint {
  static constexpr const char* kKind = "mkdir-mountpoint";
  std::string path;
};
struct MountDevice {
  static constexpr const char* kKind = "mount";
  std::string device;
  std::string mountpoint;
  std::string filesystem;
};
struct MakeBrickDirOnDevice {
  static constexpr const char* kKind = "mkdir-brick";
  std::string path;  // created only if `mountpoint` is the filesystem of `device`
  std::string mountpoint;
  std::string device;
};
using DataBrickAction = std::variant<FormatDevice, MakeDeviceMountpoint, SetFstabEntry, MountDevice,
                                     RestrictMount, MakeBrickDirOnDevice>;

struct DataBrickObservation {
  bool device_exists = false;
  bool device_is_block = false;
  std::string device_error;         // stat failure other than "missing", errno text
  unsigned int device_major = 0;    // st_rdev of the device
  unsigned int device_minor = 0;
  std::optional<common::BlockProbe> probe;  // unset when probing failed (probe_error)
  std::string probe_error;
  std::optional<common::MountEntry> at_mountpoint;  // the mount visible at the mountpoint
  std::vector<std::string> device_mounted_at;       // every target the device is mounted on
  bool mountpoint_exists = false;
  std::vector<common::FstabEntry> fstab_entries;    // fstab entries for the mountpoint
  std::vector<std::string> missing_brick_dirs;      // looked at only when mounted there
};

// The fstab entry the brick should have.
common::FstabEntry data_brick_fstab_entry(const DataBrickDesired& desired);

// Pure. In order: "format" (blank device only), "mkdir-mountpoint", "fstab", "mount" (or
// "restrict-mount" when mounted without nosuid,nodev), "mkdir-brick" per missing brick
// directory. Errors: missing or non-block device, a device
// holding anything but a lone `filesystem`, another filesystem mounted at the mountpoint, the
// device mounted elsewhere, a mounted filesystem of the wrong type.
common::Expected<Plan> plan_data_brick(const DataBrickDesired& desired,
                                       const DataBrickObservation& observed);

// Reads the host: stat + libblkid probe of the device (read-only), the mount table, fstab,
// and (only when the device is mounted at the mountpoint) the brick directories. Fails only
// when the mount table or fstab cannot be read; device problems are part of the observation.
common::Expected<DataBrickObservation> observe_data_brick(
    const DataBrickDesired& desired, const std::string& fstab_path,
    const std::string& mountinfo_path = common::kProcMountinfo);

class DataBrickResource : public Resource {
 public:
  // `brick_name`: the BrickSpec::name on this node ("data"). `fstab_path`: injectable for tests.
  explicit DataBrickResource(std::string brick_name,
                             std::string fstab_path = common::kDefaultFstabPath);
  std::string name() const override { return brick_resource_name(brick_name_); }
  // Storage nodes whose brick `brick_name` has a device.
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;

  // REQUIRES: applies_to(ctx).
  DataBrickDesired desired_for(const PassContext& ctx) const;

 private:
  common::Status apply_step(const PassContext& ctx, const FormatDevice& step);
  common::Status apply_step(const PassContext& ctx, const MakeDeviceMountpoint& step);
  common::Status apply_step(const PassContext& ctx, const SetFstabEntry& step);
  common::Status apply_step(const PassContext& ctx, const MountDevice& step);
  common::Status apply_step(const PassContext& ctx, const RestrictMount& step);
  common::Status apply_step(const PassContext& ctx, const MakeBrickDirOnDevice& step);

  std::string brick_name_;
  std::string fstab_path_;
};

}  // namespace pydio::agent
