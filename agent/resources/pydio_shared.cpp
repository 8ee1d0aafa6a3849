#include "agent/resources/pydio_shared.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "agent/cluster/abandonable.hpp"
#include "agent/cluster/cluster_view.hpp"
#include "agent/health/health_view.hpp"
#include "agent/host/nofollow_dir.hpp"
#include "agent/resources/layout_resource.hpp"
#include "agent/resources/leader_check.hpp"
#include "agent/resources/pydio_bootstrap.hpp"
#include "agent/resources/pydio_db_switch.hpp"
#include "common/database_address.hpp"
#include "common/file_ops.hpp"
#include "common/mount_table.hpp"
#include "common/volume_clients.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

// Below a FUSE mount every step runs where it can be abandoned (a hung mount blocks it).
constexpr std::chrono::seconds kLookTimeout{5};

SharedDirState lstat_dir(const std::string& path) {
  SharedDirState state;
  state.path = path;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return state;
  state.exists = true;
  state.is_directory = S_ISDIR(st.st_mode);
  state.uid = st.st_uid;
  state.gid = st.st_gid;
  state.mode = st.st_mode & 07777;
  return state;
}

bool exists_nofollow(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}


}  // namespace

Expected<Plan> plan_pydio_shared(const PydioSharedObservation& observed) {
  Plan plan;
  if (!observed.waiting.empty()) {
    plan.waiting_for = observed.waiting;
    return plan;
  }
  MakeBootConfDirs dirs{{}, observed.uid, observed.gid, observed.term};
  for (const auto& dir : observed.dirs) {
    if (dir.exists && !dir.is_directory)
      return Status::error(dir.path + ": exists and is not a directory; fix it by hand");
    if (!dir.exists || dir.uid != observed.uid || dir.gid != observed.gid || dir.mode != 0750)
      dirs.paths.push_back(dir.path);
  }
  if (!dirs.paths.empty()) {
    std::string names;
    for (const auto& path : dirs.paths) names += (names.empty() ? "" : ", ") + path;
    plan.actions.push_back(make_action<PydioSharedAction>(
        "make " + names + " (" + observed.web_user + ", mode 0750)", std::move(dirs)));
    return plan;  // the rest lives in these directories
  }
  // A bootstrap.json the web user owns was re-written by Pydio's installer (it replaces the
  // file): keep its owner and mode, keep only its database settings in line.
  const bool pydio_owned = observed.bootstrap && observed.bootstrap->uid != 0;
  const bool wrong_mode =
      observed.bootstrap && !pydio_owned &&
      (observed.bootstrap->gid != observed.gid || observed.bootstrap->mode != kBootstrapMode);
  if (observed.bootstrap_text || wrong_mode) {
    WriteBootstrap write{
        observed.bootstrap_path,
        observed.bootstrap_text ? *observed.bootstrap_text : observed.bootstrap->text,
        std::nullopt,
        kBootstrapMode,
        0,
        observed.gid,
        observed.term};
    if (observed.bootstrap) write.before = observed.bootstrap->text;
    if (pydio_owned) {
      write.mode = observed.bootstrap->mode;
      write.uid = observed.bootstrap->uid;
      write.gid = observed.bootstrap->gid;
    }
    const std::string what =
        !observed.bootstrap ? "write"
        : observed.bootstrap_text
            ? "update the database settings of"
            : "set owner root:" + std::to_string(observed.gid) + " mode 0640 of";
    plan.actions.push_back(make_action<PydioSharedAction>(
        what + " " + observed.bootstrap_path + " from the desired state's database",
        std::move(write)));
  }
  const std::string url = observed.public_url.empty() ? "web.publicUrl" : observed.public_url;
  plan.note = observed.first_run_done ? "first run done"
                                      : "Pydio's installer has not run: open " + url + " once";
  if (pydio_owned)
    plan.note += "; bootstrap.json re-written by Pydio, its database settings kept in line";
  return plan;
}

bool PydioSharedResource::applies_to(const PassContext& ctx) const {
  // A node that mounts both Pydio volumes: compute nodes and storage nodes (the leader is one,
  // also without compute, common/volume_clients.hpp). Nothing here needs Pydio on this node.
  return ctx.self != nullptr &&
         common::node_mounts_volume(*ctx.desired, *ctx.self, common::kConfigVolume) &&
         common::node_mounts_volume(*ctx.desired, *ctx.self, common::kDataVolume);
}

Expected<Plan> PydioSharedResource::observe_and_plan(const PassContext& ctx) const {
  if (ctx.health == nullptr) return Status::error("pydio-shared: pass context lacks health view");
  if (!ctx.secrets) return Status::error("pydio-shared: no secrets yet (the DB password)");
  const common::WebSpec& web = ctx.desired->web;
  auto uid = resolve_web_user(web.user);
  if (!uid) return uid.status();
  auto gid = resolve_web_group(web.group);
  if (!gid) return gid.status();
  const std::string config =
      common::normalize_mount_path(ctx.desired->find_volume(common::kConfigVolume)->mountpoint);
  PydioSharedObservation observed;
  observed.uid = *uid;
  observed.gid = *gid;
  observed.web_user = web.user + ":" + web.group;
  observed.term = ctx.leader_term;
  observed.public_url = web.public_url;
  MountProbe probe = ctx.health->mount_probe(config);
  if (probe.health != MountHealth::kOk) {
    observed.waiting = "mount " + config + ": " + mount_health_name(probe.health);
    return plan_pydio_shared(observed);
  }
  const std::string plugins = config + "/appdata/plugins";
  const std::string boot_conf = plugins + "/boot.conf";
  observed.bootstrap_path = boot_conf + "/bootstrap.json";
  struct Looked {
    std::vector<SharedDirState> dirs;
    std::optional<PydioFile> bootstrap;
    bool first_run_done = false;
  };
  const std::string bootstrap_path = observed.bootstrap_path;
  auto looked = run_abandonable<Looked>(
      [plugins, boot_conf, bootstrap_path]() -> Expected<Looked> {
        Looked result;
        result.dirs = {lstat_dir(plugins), lstat_dir(boot_conf)};
        if (result.dirs[1].is_directory) {
          auto file = read_pydio_file(bootstrap_path);
          if (!file) return file.status();
          result.bootstrap = *file;
          result.first_run_done = exists_nofollow(boot_conf + "/first_run_passed");
        }
        return result;
      },
      kLookTimeout, "look at " + boot_conf);
  if (!looked) return looked.status();
  observed.dirs = looked->dirs;
  observed.bootstrap = looked->bootstrap;
  observed.first_run_done = looked->first_run_done;
  std::optional<std::string> existing;
  if (observed.bootstrap) existing = observed.bootstrap->text;
  auto text = bootstrap_json(ctx.desired->database, ctx.secrets->db_password, existing);
  if (!text) return text.status().with_context(observed.bootstrap_path);
  if (*text && existing && ctx.desired->database.galera() && ctx.cluster != nullptr) {
    // A switch to the local proxies waits until every compute node runs its own
    // (pydio_db_switch.hpp).
    const auto now = pydio_address_in(*existing);
    const auto next = common::pydio_database_address(ctx.desired->database);
    if (!now || now->host != next.host || now->port != next.port) {
      std::vector<std::string> names;
      std::vector<std::string> addresses;
      for (const auto& node : ctx.desired->nodes) {
        if (!node.has_role(common::Role::kCompute)) continue;
        names.push_back(node.name);
        addresses.push_back(node.address);
      }
      observed.waiting =
          proxies_not_ready(ctx.desired->generation, names, ctx.cluster->node_reports(addresses));
      if (!observed.waiting.empty()) return plan_pydio_shared(observed);
    }
  }
  observed.bootstrap_text = *text;
  return plan_pydio_shared(observed);
}

Status PydioSharedResource::apply(const PassContext& ctx, const Action& action) {
  const std::string context = name() + ": " + action.description;
  return visit_action<PydioSharedAction>(name(), action, [&](const auto& step) -> Status {
    if (Status leading = check_leader_action(ctx, step.term, context); !leading) return leading;
    using Step = std::decay_t<decltype(step)>;
    const Step copy = step;
    return run_abandonable<bool>(
               [copy]() -> Expected<bool> {
                 if constexpr (std::is_same_v<Step, MakeBootConfDirs>) {
                   for (const auto& path : copy.paths) {
                     auto dir = open_directory_nofollow(path, MissingDirs::kCreate, 0750);
                     if (!dir) return dir.status();
                     if (::fchown((*dir)->get(), copy.uid, copy.gid) != 0 ||
                         ::fchmod((*dir)->get(), 0750) != 0)
                       return Status::error("chown " + path + ": " + common::errno_text(errno));
                   }
                 } else {
                   auto dir = open_directory_nofollow(common::dir_of(copy.path));
                   if (!dir) return dir.status();
                   if (!dir->has_value()) return Status::error(common::dir_of(copy.path) + ": missing");
                   if (!copy.before) {
                     Status made = create_new_file_at((*dir)->get(), common::base_of(copy.path), copy.path,
                                                      copy.text, copy.mode, copy.uid, copy.gid);
                     if (!made) return made;
                     return true;
                   }
                   auto now = read_pydio_file(copy.path);
                   if (!now) return now.status();
                   if (!now->has_value() || (*now)->text != *copy.before)
                     return Status::error(copy.path + ": changed since planned; planning again");
                   Status written = replace_file_at((*dir)->get(), common::base_of(copy.path), copy.path,
                                                    copy.text, copy.mode, copy.uid, copy.gid);
                   if (!written) return written;
                 }
                 return true;
               },
               kLookTimeout, context)
        .status();
  });
}

}  // namespace pydio::agent
