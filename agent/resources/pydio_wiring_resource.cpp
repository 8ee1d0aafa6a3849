#include "agent/resources/pydio_wiring_resource.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "agent/host/nofollow_dir.hpp"
#include "agent/resources/layout_resource.hpp"
#include "agent/resources/pydio_edits.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

std::string trimmed_dir(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

}  // namespace

WiringTargets wiring_targets(const common::DesiredState& desired) {
  WiringTargets targets;
  targets.install_dir = trimmed_dir(common::web_install_dir(desired.web));
  targets.conf_dir = trimmed_dir(common::web_conf_dir(desired.web));
  targets.local_cache_dir = trimmed_dir(common::web_local_cache_dir(desired.web));
  targets.alias = desired.web.alias;
  targets.public_url = desired.web.public_url;
  if (const auto* config = desired.find_volume(common::kConfigVolume))
    targets.config_mount = config->mountpoint;
  if (const auto* data = desired.find_volume(common::kDataVolume))
    targets.data_mount = data->mountpoint;
  return targets;
}

namespace {

Expected<LocalCacheState> lstat_local(const std::string& path) {
  LocalCacheState state;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return state;
    return Status::error("lstat " + path + ": " + common::errno_text(errno));
  }
  state.exists = true;
  state.is_directory = S_ISDIR(st.st_mode);
  state.uid = st.st_uid;
  state.gid = st.st_gid;
  state.mode = st.st_mode & 07777;
  return state;
}

std::string relative_to(const std::string& path, const std::string& dir) {
  return path.rfind(dir + "/", 0) == 0 ? path.substr(dir.size() + 1) : path;
}

}  // namespace

Expected<Plan> plan_pydio_wiring(const PydioWiringObservation& observed) {
  Plan plan;
  if (!observed.missing.empty()) {
    std::string missing;
    for (const auto& name : observed.missing) missing += (missing.empty() ? "" : ", ") + name;
    // The operator's step, not the agent's: a note (in sync), so a node without Pydio yet is
    // neither an error nor a resource waiting forever in every status.
    plan.note = "no Pydio at " + observed.install_dir + ": install Pydio there " +
                "(operator-installed mode; missing " + missing + ")";
    return plan;
  }
  const LocalCacheState& cache = observed.local_cache;
  if (cache.exists && !cache.is_directory)
    return Status::error(observed.local_cache_dir +
                         ": exists and is not a directory; fix it by hand");
  if (!cache.exists || cache.uid != observed.uid || cache.gid != observed.gid ||
      cache.mode != kLocalCacheMode) {
    plan.actions.push_back(make_action<PydioWiringAction>(
        std::string(cache.exists ? "repair" : "create") + " Pydio's local cache " +
            observed.local_cache_dir + " (web user, mode 0750)",
        MakeLocalCache{observed.local_cache_dir, observed.uid, observed.gid}));
  }
  EditPydioFiles edit;
  std::string names;
  for (const auto& file : observed.files) {
    if (file.before.text == file.after) continue;
    edit.changes.push_back(file);
    names += (names.empty() ? "" : ", ") + relative_to(file.path, observed.install_dir);
  }
  if (!edit.changes.empty()) {
    plan.actions.push_back(make_action<PydioWiringAction>(
        "point Pydio " + observed.version + " into the volumes: edit " + names, std::move(edit)));
  }
  plan.note = "operator-installed Pydio " + observed.version + " at " + observed.install_dir +
              ": " + (plan.actions.empty() ? "wired" : "wiring") +
              "; the agent never installs or upgrades it";
  return plan;
}

std::vector<std::string> PydioWiringResource::depends_on() const {
  return {std::string("fuse-mount/") + common::kDataVolume,
          std::string("fuse-mount/") + common::kConfigVolume};
}

bool PydioWiringResource::applies_to(const PassContext& ctx) const {
  // In release mode pydio-release edits each release as it stages it (pydio_release_resource).
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kCompute) &&
         !ctx.desired->web.release && ctx.desired->find_volume(common::kConfigVolume) != nullptr &&
         ctx.desired->find_volume(common::kDataVolume) != nullptr;
}

Expected<Plan> PydioWiringResource::observe_and_plan(const PassContext& ctx) const {
  const WiringTargets targets = wiring_targets(*ctx.desired);
  PydioWiringObservation observed;
  observed.install_dir = targets.install_dir;
  observed.local_cache_dir = targets.local_cache_dir;
  for (const char* name : {"index.php", "base.conf.php", "conf/VERSION"}) {
    auto file = read_pydio_file(targets.install_dir + "/" + name);
    if (!file) return file.status();
    if (!file->has_value()) {
      observed.missing.push_back(name);
    } else if (std::string(name) == "conf/VERSION") {
      const std::string& text = (*file)->text;
      observed.version = text.substr(0, text.find_first_of("_\n"));
    }
  }
  if (!observed.missing.empty()) return plan_pydio_wiring(observed);
  auto uid = resolve_web_user(ctx.desired->web.user);
  if (!uid) return uid.status();
  auto gid = resolve_web_group(ctx.desired->web.group);
  if (!gid) return gid.status();
  observed.uid = *uid;
  observed.gid = *gid;
  auto cache = lstat_local(targets.local_cache_dir);
  if (!cache) return cache.status();
  observed.local_cache = *cache;

  auto files = wiring_edits(targets);
  if (!files) return files.status();
  // Every file is computed before any is written: one unexpected file changes nothing at all.
  for (const auto& file : *files) {
    auto current = read_pydio_file(file.path);
    if (!current) return current.status();
    if (!current->has_value())
      return Status::error(file.path + ": missing from the Pydio at " + targets.install_dir +
                           "; nothing changed");
    auto after = pydio_edits(file.path, (*current)->text, file.edits);
    if (!after) return after.status();
    observed.files.push_back(PydioFileChange{file.path, **current, *after});
  }
  return plan_pydio_wiring(observed);
}

Status PydioWiringResource::apply(const PassContext& ctx, const Action& action) {
  (void)ctx;
  return visit_action<PydioWiringAction>(name(), action, [&](const auto& step) -> Status {
    using Step = std::decay_t<decltype(step)>;
    if constexpr (std::is_same_v<Step, MakeLocalCache>) {
      auto dir = open_directory_nofollow(step.path, MissingDirs::kCreate, kLocalCacheMode);
      if (!dir) return dir.status();
      if (::fchown((*dir)->get(), step.uid, step.gid) != 0)
        return Status::error("chown " + step.path + ": " + common::errno_text(errno));
      if (::fchmod((*dir)->get(), kLocalCacheMode) != 0)
        return Status::error("chmod " + step.path + ": " + common::errno_text(errno));
      return Status::ok();
    } else {
      for (const auto& change : step.changes) {
        Status written = rewrite_pydio_file(change.path, change.before, change.after);
        if (!written) return written.with_context(name());
      }
      return Status::ok();
    }
  });
}

}  // namespace pydio::agent
