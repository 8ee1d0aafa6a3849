#include "agent/resources/restrict_mount.hpp"

#include <chrono>

namespace pydio::agent {

using common::Status;

namespace {

constexpr std::chrono::seconds kRemountTimeout{15};

}  // namespace

bool has_restricted_mount_flags(const common::MountEntry& mount) {
  bool nosuid = false;
  bool nodev = false;
  std::size_t start = 0;
  while (start <= mount.options.size()) {
    std::size_t end = mount.options.find(',', start);
    if (end == std::string::npos) end = mount.options.size();
    const std::string option = mount.options.substr(start, end - start);
    nosuid = nosuid || option == "nosuid";
    nodev = nodev || option == "nodev";
    start = end + 1;
  }
  return nosuid && nodev;
}

Status restrict_mount(common::ProcessRunner& runner, const std::string& mountpoint,
                      const std::string& fstype) {
  const std::string context = std::string("add ") + kRestrictedMountFlags + " to " + mountpoint;
  auto table = common::read_mount_table();
  if (!table) return table.status().with_context(context);
  const common::MountEntry* entry = common::find_mount_at(*table, mountpoint);
  if (entry == nullptr || entry->fstype != fstype)
    return Status::error(context + ": no " + fstype + " mount is there any more");
  if (has_restricted_mount_flags(*entry)) return Status::ok();
  // -i: no mount.<type> helper (mount.glusterfs would start a second client); remount,bind
  // changes only the flags of this mount, the filesystem and its client are not involved.
  Status done = common::run_checked(
      runner, common::Command({"mount", "-i", "-o",
                               std::string("remount,bind,") + kRestrictedMountFlags, mountpoint},
                              kRemountTimeout));
  if (!done) return done.with_context(context);
  table = common::read_mount_table();
  if (!table) return table.status().with_context(context);
  entry = common::find_mount_at(*table, mountpoint);
  if (entry == nullptr || !has_restricted_mount_flags(*entry))
    return Status::error(context + ": mount exited 0 but the mount table does not show them");
  return Status::ok();
}

}  // namespace pydio::agent
