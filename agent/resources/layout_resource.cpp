#include "agent/resources/layout_resource.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "agent/cluster/abandonable.hpp"
#include "agent/cluster/trusted_dir.hpp"
#include "agent/health/health_view.hpp"
#include "agent/host/nofollow_dir.hpp"
#include "agent/resources/leader_check.hpp"
#include "common/file_ops.hpp"
#include "common/mount_table.hpp"
#include "common/volume_clients.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

// A file operation below a FUSE mount runs where it can be abandoned (a mount that hangs right
// then blocks it for the whole ping-timeout, or for good): the worker waits at most this long.
constexpr std::chrono::seconds kFuseStepTimeout{5};
constexpr mode_t kCreateMode = 0750;  // a folder made before its mode is set
// Abandoned steps still blocked on a hung mount are capped: past this many, further steps
// fail at once instead of leaving one more blocked thread per pass.
constexpr int kMaxFuseStepsInFlight = 2;

std::atomic<int> fuse_steps_in_flight{0};  // of every fuse_step, whatever its type

// Runs `step` (which touches paths below a FUSE mount) abandonably, at most
// kMaxFuseStepsInFlight at once. REQUIRES: `step` captures copies only.
template <typename T>
Expected<T> fuse_step(std::function<Expected<T>()> step, const std::string& what) {
  std::atomic<int>& in_flight = fuse_steps_in_flight;
  if (in_flight.fetch_add(1) >= kMaxFuseStepsInFlight) {
    in_flight.fetch_sub(1);
    return Status::error(what +
                         ": earlier file operations there are still blocked (the mount "
                         "does not answer)");
  }
  return run_abandonable<T>(
      [step = std::move(step)] {
        Expected<T> result = step();
        fuse_steps_in_flight.fetch_sub(1);
        return result;
      },
      kFuseStepTimeout, what);
}

struct PathStat {
  bool exists = false;
  bool is_directory = false;
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;
};

// lstat of each path, in order; an error for anything but "does not exist".
Expected<std::vector<PathStat>> lstat_all(const std::vector<std::string>& paths) {
  std::vector<PathStat> stats;
  for (const auto& path : paths) {
    PathStat stat;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      stat.exists = true;
      stat.is_directory = S_ISDIR(st.st_mode);
      stat.uid = st.st_uid;
      stat.gid = st.st_gid;
      stat.mode = st.st_mode & 07777;
    } else if (errno != ENOENT) {
      return Status::error("lstat " + path + ": " + common::errno_text(errno));
    }
    stats.push_back(stat);
  }
  return stats;
}
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

Expected<uid_t> resolve_web_user(const std::string& name) {
  std::vector<char> buffer(16384);
  struct passwd entry {};
  struct passwd* found = nullptr;
  int rc = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0) return Status::error("web.user: look up '" + name + "': " + common::errno_text(rc));
  if (found == nullptr) return Status::error("web.user: unknown user '" + name + "'");
  // Validation refuses the names of system accounts; another name for uid 0 only shows here.
  if (found->pw_uid == 0) {
    return Status::error("web.user: '" + name + "' is uid 0 (root) on this node; the web user " +
                         "must be an unprivileged account such as www-data");
  }
  return found->pw_uid;
}

Expected<gid_t> resolve_web_group(const std::string& name) {
  std::vector<char> buffer(16384);
  struct group entry {};
  struct group* found = nullptr;
  int rc = ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0) return Status::error("web.group: look up '" + name + "': " + common::errno_text(rc));
  if (found == nullptr) return Status::error("web.group: unknown group '" + name + "'");
  if (found->gr_gid == 0) {
    return Status::error("web.group: '" + name + "' is gid 0 (root) on this node; the web " +
                         "group must be an unprivileged group such as www-data");
  }
  return found->gr_gid;
}

std::vector<LayoutDir> layout_dirs(const common::DesiredState& desired) {
  std::vector<LayoutDir> dirs;
  for (const char* volume_name : {kConfigVolume, kDataVolume}) {
    const common::VolumeSpec* volume = desired.find_volume(volume_name);
    if (volume == nullptr || volume->mountpoint.empty()) continue;
    const std::string root = trim_trailing_slashes(volume->mountpoint);
    const std::string prefix = root == "/" ? "" : root;
    dirs.push_back(LayoutDir{root, root, true, true, 0755});
    for (const auto& sub : subdirs_of(volume_name)) {
      dirs.push_back(LayoutDir{prefix + "/" + sub, root, false, false, 0});
    }
    if (std::string(volume_name) == kConfigVolume)
      dirs.push_back(LayoutDir{prefix + "/pydio-agent", root, false, true, 0700});
  }
  // Last, after what earlier versions made: where the PHP probe page (php_settings.hpp)
  // creates and removes a file as the web user, on each volume.
  for (const char* volume_name : {kConfigVolume, kDataVolume}) {
    const common::VolumeSpec* volume = desired.find_volume(volume_name);
    if (volume == nullptr || volume->mountpoint.empty()) continue;
    const std::string root = trim_trailing_slashes(volume->mountpoint);
    dirs.push_back(
        LayoutDir{(root == "/" ? "" : root) + "/" + kWebProbeDirName, root, false, false, 0});
  }
  return dirs;
}

Expected<Plan> plan_layout(const LayoutObservation& observed) {
  Plan plan;
  for (const auto& state : observed.paths) {
    const std::string& path = state.dir.path;
    const uid_t uid = state.dir.root_owned ? 0 : observed.uid;
    const gid_t gid = state.dir.root_owned ? 0 : observed.gid;
    const std::string owner = state.dir.root_owned ? "root:root" : observed.owner_name;
    const mode_t mode = state.dir.mode;
    if (!state.exists) {
      if (state.dir.is_root) {
        return Status::error(path + ": volume root missing although its mount is healthy");
      }
      plan.actions.push_back(make_action<LayoutAction>(
          "create " + path + " owned by " + owner +
              (mode != 0 ? ", mode " + common::octal_mode(mode) : ""),
          CreateLayoutDir{path, state.dir.mountpoint, uid, gid, observed.leader_term,
                          mode != 0 ? mode : kWebDirMode}));
      continue;
    }
    if (!state.is_directory) {
      // Never removed or followed: a link here may point anywhere (the agents refuse to read
      // from their folder meanwhile, and say so).
      return Status::error(path + ": exists and is not a directory; fix it by hand");
    }
    const bool wrong_mode = mode != 0 && state.mode != mode;
    if (state.uid != uid || state.gid != gid || wrong_mode) {
      plan.actions.push_back(make_action<LayoutAction>(
          "chown " + path + " to " + owner +
              (mode != 0 ? ", mode " + common::octal_mode(mode) : "") + " (now " +
              std::to_string(state.uid) + ":" + std::to_string(state.gid) +
              (mode != 0 ? " " + common::octal_mode(state.mode) : "") + ")",
          ChownLayoutDir{path, state.dir.mountpoint, uid, gid, observed.leader_term, mode}));
    }
  }
  if (plan.actions.empty() && observed.not_ready.empty() && !observed.marker_path.empty() &&
      !observed.marker_present) {
    plan.actions.push_back(
        make_action<LayoutAction>("mark the first install done: " + observed.marker_path,
                                  WriteInstallMarker{observed.marker_path, observed.leader_term}));
  }
  if (plan.actions.empty() && !observed.not_ready.empty()) {
    for (const auto& reason : observed.not_ready) {
      plan.waiting_for += (plan.waiting_for.empty() ? "" : "; ") + reason;
    }
  }
  return plan;
}

bool LayoutResource::applies_to(const PassContext& ctx) const {
  if (ctx.self == nullptr || layout_dirs(*ctx.desired).empty()) return false;
  // Every node that mounts the Pydio volumes: compute nodes and storage nodes (the leader is
  // one of these; a storage-only leader mounts them for this, common/volume_clients.hpp).
  for (const char* volume : {kConfigVolume, kDataVolume}) {
    if (ctx.desired->find_volume(volume) != nullptr &&
        !common::node_mounts_volume(*ctx.desired, *ctx.self, volume))
      return false;
  }
  return true;
}

Expected<Plan> LayoutResource::observe_and_plan(const PassContext& ctx) const {
  if (ctx.health == nullptr) return Status::error("pydio-layout: pass context lacks health view");
  const common::WebSpec& web = ctx.desired->web;
  auto uid = resolve_web_user(web.user);
  if (!uid) return uid.status();
  auto gid = resolve_web_group(web.group);
  if (!gid) return gid.status();

  LayoutObservation observed;
  observed.owner_name = web.user + ":" + web.group;
  observed.uid = *uid;
  observed.gid = *gid;
  observed.leader_term = ctx.leader_term;
  std::string last_mountpoint;
  bool mount_ok = false;
  std::vector<std::string> paths;
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
    observed.paths.push_back(state);
    paths.push_back(dir.path);
  }
  if (const common::VolumeSpec* config = ctx.desired->find_volume(kConfigVolume)) {
    if (ctx.health->mount_probe(config->mountpoint).health == MountHealth::kOk) {
      observed.marker_path = config->mountpoint + "/" + kInstallMarker;
      paths.push_back(observed.marker_path);
    }
  }
  if (paths.empty()) return plan_layout(observed);
  auto stats = fuse_step<std::vector<PathStat>>([paths] { return lstat_all(paths); },
                                                "look at the Pydio layout");
  if (!stats) return stats.status();
  for (std::size_t i = 0; i < observed.paths.size(); ++i) {
    LayoutPathState& state = observed.paths[i];
    state.exists = (*stats)[i].exists;
    state.is_directory = (*stats)[i].is_directory;
    state.uid = (*stats)[i].uid;
    state.gid = (*stats)[i].gid;
    state.mode = (*stats)[i].mode;
  }
  if (!observed.marker_path.empty()) observed.marker_present = stats->back().exists;
  return plan_layout(observed);
}

namespace {

std::string install_marker_text(const PassContext& ctx) {
  return nlohmann::json{{"cluster", ctx.desired->cluster_name},
                        {"generation", ctx.desired->generation},
                        {"node", ctx.self ? ctx.self->name : ""},
                        {"leaderTerm", ctx.leader_term}}
             .dump() +
         "\n";
}

// O_EXCL: the marker is written exactly once, whoever leads; only in the agent's own folder.
Status write_install_marker(const std::string& path, const std::string& text) {
  const std::string directory = path.substr(0, path.rfind('/'));
  const std::size_t slash = directory.rfind('/');
  auto folder = open_trusted_dir(directory.substr(0, slash), directory.substr(slash + 1), true);
  if (!folder) return folder.status();
  if (!folder->untrusted.empty()) return Status::error("not writing there: " + folder->untrusted);
  const std::string name = path.substr(path.rfind('/') + 1);
  OwnedFd fd(::openat(folder->fd.get(), name.c_str(),
                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    if (errno == EEXIST) return Status::ok();
    return Status::error("create " + path + ": " + common::errno_text(errno));
  }
  bool written = ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (!written) return Status::error("write " + path + ": " + common::errno_text(errno));
  return Status::ok();
}

}  // namespace

Status LayoutResource::apply(const PassContext& ctx, const Action& action) {
  const std::string context = name() + ": " + action.description;
  return visit_action<LayoutAction>(name(), action, [&](const auto& step) {
    if (Status leading = check_leader_action(ctx, step.term, context); !leading) return leading;
    return apply_step(ctx, step);
  });
}

Status LayoutResource::apply_step(const PassContext& ctx, const WriteInstallMarker& step) {
  const std::string path = step.path;
  const common::VolumeSpec* config = ctx.desired->find_volume(kConfigVolume);
  if (config == nullptr)
    return Status::error("pydio-layout: no " + std::string(kConfigVolume) + " volume");
  Status live = require_live_gluster_mount(ctx, config->mountpoint);
  if (!live) return live.with_context("write " + path);
  const std::string text = install_marker_text(ctx);
  return fuse_step<bool>(
             [path, text]() -> Expected<bool> {
               Status written = write_install_marker(path, text);
               if (!written) return written;
               return true;
             },
             "write " + path)
      .status();
}

Status LayoutResource::apply_step(const PassContext& ctx, const CreateLayoutDir& step) {
  return change_dir(ctx, step.path, step.mountpoint, step.uid, step.gid, step.mode,
                    /*create=*/true);
}

Status LayoutResource::apply_step(const PassContext& ctx, const ChownLayoutDir& step) {
  return change_dir(ctx, step.path, step.mountpoint, step.uid, step.gid, step.mode,
                    /*create=*/false);
}

// mkdir (when `create`), chown and chmod of one path, only while its mount is a live glusterfs
// mount. The web user owns the Pydio folders: the path is opened component by component
// without following a link, created relative to its opened parent, and the change is an
// fchown/fchmod of what was opened, so a link planted anywhere on it redirects nothing.
Status LayoutResource::change_dir(const PassContext& ctx, const std::string& path,
                                  const std::string& mountpoint, uid_t uid, gid_t gid, mode_t mode,
                                  bool create) {
  const std::string what = std::string(create ? "mkdir " : "chown ") + path;
  Status live = require_live_gluster_mount(ctx, mountpoint);
  if (!live) return live.with_context(what);
  return fuse_step<bool>(
             [path, uid, gid, mode, create]() -> Expected<bool> {
               auto dir = open_directory_nofollow(
                   path, create ? MissingDirs::kCreate : MissingDirs::kReport,
                   mode != 0 ? mode : kCreateMode);
               if (!dir) return dir.status();
               if (!dir->has_value()) return Status::error("chown " + path + ": missing");
               if (::fchown((*dir)->get(), uid, gid) != 0)
                 return Status::error("chown " + path + ": " + common::errno_text(errno));
               if (mode != 0 && ::fchmod((*dir)->get(), mode) != 0)
                 return Status::error("chmod " + path + ": " + common::errno_text(errno));
               return true;
             },
             what)
      .status();
}

}  // namespace pydio::agent
