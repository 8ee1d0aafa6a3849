#pragma once
// The Pydio directory layout on the shared volumes (leader only): on pydio-config the
// directories appdata, cache, log; on pydio-data public, common, users; on both .web-probe (the
// PHP probe's); these owned by web.user:web.group. The two volume roots are root:root 0755 and the agent's folder
// pydio-config/pydio-agent root:root 0700, so the web application can neither rename nor replace
// what the agents read. Only these few paths are looked at (lstat) and changed (mkdir, chown,
// chmod through a descriptor opened without following links): never a recursive walk, never a
// blind `chown -R`. A symlink or file where a directory belongs is an error to fix by hand. Every
// file operation below a mount runs where it can be abandoned (a mount that hangs right then would
// block the worker for the whole ping-timeout, or for good), with a cap on those still blocked.
//
// A path is observed or changed only while the health monitor reports its volume's mount as
// a live glusterfs mount (kOk), and apply() checks the mount table again right before acting:
// under an unmounted mountpoint a mkdir would land on the root filesystem.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "agent/reconcile/resource.hpp"
#include "common/desired_state.hpp"

namespace pydio::agent {

using common::kConfigVolume;
using common::kDataVolume;
// Written once, after the layout first exists, on pydio-config: the cluster's first install is
// done and is never run again.
inline constexpr const char* kInstallMarker = "pydio-agent/installed.json";
inline constexpr mode_t kWebDirMode = 0750;  // a Pydio directory the agent creates
// On each volume, the web user's: the PHP probe page creates and removes a file there.
inline constexpr const char* kWebProbeDirName = ".web-probe";

// The resource's actions (see action.hpp). Each carries the leader term it was planned under.
struct CreateLayoutDir {
  static constexpr const char* kKind = "mkdir";
  std::string path;
  std::string mountpoint;  // checked to be a live glusterfs mount right before the mkdir
  uid_t uid = 0;
  gid_t gid = 0;
  std::int64_t term = 0;
  mode_t mode = kWebDirMode;
};
struct ChownLayoutDir {
  static constexpr const char* kKind = "chown";
  std::string path;
  std::string mountpoint;  // checked to be a live glusterfs mount right before the chown
  uid_t uid = 0;
  gid_t gid = 0;
  std::int64_t term = 0;
  mode_t mode = 0;  // also chmod to this; 0: the mode is left as it is
};
struct WriteInstallMarker {
  static constexpr const char* kKind = "write-install-marker";
  std::string path;
  std::int64_t term = 0;
};
using LayoutAction = std::variant<CreateLayoutDir, ChownLayoutDir, WriteInstallMarker>;

struct LayoutDir {
  std::string path;        // e.g. /mnt/pydio-data/users
  std::string mountpoint;  // the volume's FUSE mountpoint, e.g. /mnt/pydio-data
  bool is_root = false;    // the mountpoint itself (never created, only chowned)
  bool root_owned = false;  // root:root (a volume root, the agent's folder); else web.user
  mode_t mode = 0;          // the mode it must have; 0: not managed (a Pydio directory)
};

// Every managed path, per volume present in the desired state: its root, then its subdirs
// (on pydio-config last the agent's folder).
std::vector<LayoutDir> layout_dirs(const common::DesiredState& desired);

struct LayoutPathState {
  LayoutDir dir;
  bool exists = false;
  bool is_directory = false;  // a real directory (lstat: not a symlink)
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;
};

struct LayoutObservation {
  std::string owner_name;  // "www-data:www-data", for the plan's lines
  uid_t uid = 0;           // web.user and web.group, resolved on this node
  gid_t gid = 0;
  std::vector<LayoutPathState> paths;  // only paths whose mount is healthy
  std::vector<std::string> not_ready;  // e.g. "mount /mnt/pydio-data: hung (no answer for 3s)"
  std::string marker_path;             // "" when there is no pydio-config volume
  bool marker_present = false;         // meaningful when pydio-config's mount is healthy
  std::int64_t leader_term = 0;        // the term the actions are planned under
};

// web.user and web.group resolved on this node; an error naming the field for an unknown
// name, or one that is uid or gid 0 (another name for root, which validation cannot see).
common::Expected<uid_t> resolve_web_user(const std::string& name);
common::Expected<gid_t> resolve_web_group(const std::string& name);

// Pure. mkdir for a missing subdir, chown for a wrong owner; an error for a path that is not
// a directory (or a missing volume root); waits when mounts are not ready and nothing else
// can be done. Once everything is in place and the install marker is missing, writes it.
common::Expected<Plan> plan_layout(const LayoutObservation& observed);

class LayoutResource : public Resource {
 public:
  LayoutResource() = default;
  std::string name() const override { return "pydio-layout"; }
  std::vector<std::string> depends_on() const override {
    return {std::string("fuse-mount/") + kDataVolume, std::string("fuse-mount/") + kConfigVolume};
  }
  bool leader_only() const override { return true; }
  // Nodes that mount the Pydio volumes (compute and storage nodes: the leader is a storage
  // node, common/volume_clients.hpp) when the desired state has either volume.
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;

 private:
  common::Status apply_step(const PassContext& ctx, const CreateLayoutDir& step);
  common::Status apply_step(const PassContext& ctx, const ChownLayoutDir& step);
  common::Status apply_step(const PassContext& ctx, const WriteInstallMarker& step);
  common::Status change_dir(const PassContext& ctx, const std::string& path,
                            const std::string& mountpoint, uid_t uid, gid_t gid, mode_t mode,
                            bool create);
};

}  // namespace pydio::agent
