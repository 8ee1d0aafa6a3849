#pragma once
// nosuid,nodev on the mounts the web user can write through, directly (the FUSE mounts of the
// volumes) or via gluster (the bricks' own XFS mounts on storage nodes): a setuid binary or a
// device node planted there must never act as one (docs/security.md). New mounts carry the
// flags in their options; a mount made without them (by the previous version, or by hand)
// gets them in place with `mount -i -o remount,bind,nosuid,nodev MOUNTPOINT`: a bind remount
// changes only the mount's own flags and never reaches the filesystem, so open files, the
// glusterfs client and the brick process are untouched and no drain is needed.

#include <string>

#include "common/mount_table.hpp"
#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

inline constexpr const char* kRestrictedMountFlags = "nosuid,nodev";

// Adds nosuid,nodev to the live mount at `mountpoint` (bind remount: mount flags only).
// An action shared by the resources that own such mounts.
struct RestrictMount {
  static constexpr const char* kKind = "restrict-mount";
  std::string mountpoint;
};

// True when the mount's options hold both nosuid and nodev.
bool has_restricted_mount_flags(const common::MountEntry& mount);

// The bind remount, only while a mount of `fstype` is at `mountpoint`; succeeds at once when
// it has the flags already, and only when the mount table shows them afterwards.
common::Status restrict_mount(common::ProcessRunner& runner, const std::string& mountpoint,
                              const std::string& fstype);

}  // namespace pydio::agent
