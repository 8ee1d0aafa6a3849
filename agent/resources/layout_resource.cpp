#include "agent/resources/layout_resource.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "agent/health/health_view.hpp"
#include "common/file_ops.hpp"
#include "common/mount_table.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

constexpr mode_t kCreateMode = 0750;
constexpr const char* kGlusterFuseType = "fuse.glusterfs";

const std::vector<std::string>& subdirs_of(const std::string& volume) {
  static const std::vector<std::string> kConfig{"appdata", "cache", "log"};
  static const std::vector<std::string> kData{"public", "common", "users"};
  static const std::vector<std::string> kNone;
  if (volume == kConfigVolume) return kConfig;
  if (volume == kDataVolume) return kData;
  return kNone;
}

std::string trim_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

Expected<uid_t> resolve_user(const std::string& name) {
  std::vector<char> buffer(16384);
  struct passwd entry {};
  struct passwd* found = nullptr;
  int rc = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0) return Status::error("web.user: look up '" + name + "': " + common::errno_text(rc));
  if (found == nullptr) return Status::error("web.user: unknown user '" + name + "'");
  return found->pw_uid;
}

Expected<gid_t> resolve_group(const std::string& name) {
  std::vector<char> buffer(16384);
  struct group entry {};
  struct group* found = nullptr;
  int rc = ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0) return Status::error("web.group: look up '" + name + "': " + common::errno_text(rc));
  if (found == nullptr) return Status::error("web.group: unknown group '" + name + "'");
  return found->gr_gid;
}

std::string describe_probe(const MountProbe& probe) {
  std::string text = "mount " + probe.mountpoint + ": " + mount_health_name(probe.health);
  if (!probe.detail.empty()) text += " (" + probe.detail + ")";
  return text;
}

// Right before touching anything below `mountpoint`: the health view still says ok and the
// mount table (read without touching the mount) shows a glusterfs mount on top there.
Status require_live_gluster_mount(const PassContext& ctx, const std::string& mountpoint) {
  MountProbe probe = ctx.health->mount_probe(mountpoint);
  if (probe.health != MountHealth::kOk) {
    return Status::error("not touching it: " + describe_probe(probe));
  }
  auto table = common::read_mount_table();
  if (!table) return table.status();
  const common::MountEntry* top = common::find_mount_at(*table, mountpoint);
  if (top == nullptr || top->fstype != kGlusterFuseType) {
    return Status::error("not touching it: " + mountpoint + " is not a glusterfs mount now");
  }
  return Status::ok();
}

}  // namespace

std::vector<LayoutDir> layout_dirs(const common::DesiredState& desired) {
  std::vector<LayoutDir> dirs;
  for (const char* volume_name : {kConfigVolume, kDataVolume}) {
    const common::VolumeSpec* volume = desired.find_volume(volume_name);
    if (volume == nullptr || volume->mountpoint.empty()) continue;
    const std::string root = trim_trailing_slashes(volume->mountpoint);
    dirs.push_back(LayoutDir{root, root, true});
    for (const auto& sub : subdirs_of(volume_name)) {
      dirs.push_back(LayoutDir{(root == "/" ? "" : root) + "/" + sub, root, false});
    }
  }
  return dirs;
}

Expected<Plan> plan_layout(const LayoutObservation& observed) {
  Plan plan;
  for (const auto& state : observed.paths) {
    const std::string& path = state.dir.path;
    nlohmann::json params{{"path", path},
                          {"mountpoint", state.dir.mountpoint},
                          {"uid", observed.uid},
                          {"gid", observed.gid}};
    if (!state.exists) {
      if (state.dir.is_root) {
        return Status::error(path + ": volume root missing although its mount is healthy");
      }
      plan.actions.push_back(Action{"mkdir", "create " + path + " owned by " + observed.owner_name,
                                    std::move(params)});
      continue;
    }
    if (!state.is_directory) {
      return Status::error(path + ": exists and is not a directory; fix it by hand");
    }
    if (state.uid != observed.uid || state.gid != observed.gid) {
      plan.actions.push_back(Action{"chown",
                                    "chown " + path + " to " + observed.owner_name + " (now " +
                                        std::to_string(state.uid) + ":" +
                                        std::to_string(state.gid) + ")",
                                    std::move(params)});
    }
  }
  if (plan.actions.empty() && observed.not_ready.empty() && !observed.marker_path.empty() &&
      !observed.marker_present) {
    plan.actions.push_back(Action{"write-install-marker",
                                  "mark the first install done: " + observed.marker_path,
                                  {{"path", observed.marker_path}}});
  }
  if (plan.actions.empty() && !observed.not_ready.empty()) {
    for (const auto& reason : observed.not_ready) {
      plan.waiting_for += (plan.waiting_for.empty() ? "" : "; ") + reason;
    }
  }
  return plan;
}

bool LayoutResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kCompute) &&
         !layout_dirs(*ctx.desired).empty();
}

Expected<Plan> LayoutResource::observe_and_plan(const PassContext& ctx) const {
  if (ctx.health == nullptr) return Status::error("pydio-layout: pass context lacks health view");
  const common::WebSpec& web = ctx.desired->web;
  auto uid = resolve_user(web.user);
  if (!uid) return uid.status();
  auto gid = resolve_group(web.group);
  if (!gid) return gid.status();

  LayoutObservation observed;
  observed.owner_name = web.user + ":" + web.group;
  observed.uid = *uid;
  observed.gid = *gid;
  std::string last_mountpoint;
  bool mount_ok = false;
  for (const LayoutDir& dir : layout_dirs(*ctx.desired)) {
    if (dir.mountpoint != last_mountpoint) {
      last_mountpoint = dir.mountpoint;
      MountProbe probe = ctx.health->mount_probe(dir.mountpoint);
      mount_ok = probe.health == MountHealth::kOk;
      if (!mount_ok) observed.not_ready.push_back(describe_probe(probe));
    }
    if (!mount_ok) continue;  // never look below a mountpoint that is not a live mount
    LayoutPathState state;
    state.dir = dir;
    struct stat st {};
    if (::lstat(dir.path.c_str(), &st) == 0) {
      state.exists = true;
      state.is_directory = S_ISDIR(st.st_mode);
      state.uid = st.st_uid;
      state.gid = st.st_gid;
    } else if (errno != ENOENT) {
      return Status::error("lstat " + dir.path + ": " + common::errno_text(errno));
    }
    observed.paths.push_back(state);
  }
  if (const common::VolumeSpec* config = ctx.desired->find_volume(kConfigVolume)) {
    if (ctx.health->mount_probe(config->mountpoint).health == MountHealth::kOk) {
      observed.marker_path = config->mountpoint + "/" + kInstallMarker;
      struct stat st {};
      observed.marker_present = ::lstat(observed.marker_path.c_str(), &st) == 0;
    }
  }
  return plan_layout(observed);
}

namespace {

// O_EXCL: the marker is written exactly once, whoever leads.
Status write_install_marker(const PassContext& ctx, const std::string& path) {
  const std::string directory = path.substr(0, path.rfind('/'));
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::error("mkdir " + directory + ": " + common::errno_text(errno));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return Status::ok();
    return Status::error("create " + path + ": " + common::errno_text(errno));
  }
  const std::string text = nlohmann::json{{"cluster", ctx.desired->cluster_name},
                                          {"generation", ctx.desired->generation},
                                          {"node", ctx.self ? ctx.self->name : ""},
                                          {"leaderTerm", ctx.leader_term}}
                               .dump() +
                           "\n";
  bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int error = errno;
  ::close(fd);
  if (!written) return Status::error("write " + path + ": " + common::errno_text(error));
  return Status::ok();
}

}  // namespace

Status LayoutResource::apply(const PassContext& ctx, const Action& action) {
  if (action.kind == "write-install-marker") {
    const std::string path = action.params.at("path").get<std::string>();
    const common::VolumeSpec* config = ctx.desired->find_volume(kConfigVolume);
    if (config == nullptr)
      return Status::error("pydio-layout: no " + std::string(kConfigVolume) + " volume");
    Status live = require_live_gluster_mount(ctx, config->mountpoint);
    if (!live) return live.with_context("write " + path);
    return write_install_marker(ctx, path);
  }
  if (action.kind != "mkdir" && action.kind != "chown") {
    return Status::error("pydio-layout: unknown action " + action.kind);
  }
  const std::string path = action.params.at("path").get<std::string>();
  const std::string mountpoint = action.params.at("mountpoint").get<std::string>();
  const auto uid = action.params.at("uid").get<uid_t>();
  const auto gid = action.params.at("gid").get<gid_t>();
  Status live = require_live_gluster_mount(ctx, mountpoint);
  if (!live) return live.with_context(action.kind + " " + path);
  if (action.kind == "mkdir" && ::mkdir(path.c_str(), kCreateMode) != 0 && errno != EEXIST) {
    return Status::error("mkdir " + path + ": " + common::errno_text(errno));
  }
  // lchown: a symlink planted in the tree must not redirect the chown elsewhere.
  if (::lchown(path.c_str(), uid, gid) != 0) {
    return Status::error("chown " + path + ": " + common::errno_text(errno));
  }
  return Status::ok();
}

}  // namespace pydio::agent
