#include "agent/resources/pydio_seed.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>

#include "agent/cluster/abandonable.hpp"
#include "agent/health/health_view.hpp"
#include "agent/host/nofollow_dir.hpp"
#include "agent/host/release_links.hpp"
#include "agent/resources/layout_resource.hpp"
#include "agent/resources/pydio_file_io.hpp"
#include "common/file_ops.hpp"
#include "common/mount_table.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

// Below a FUSE mount every step runs where it can be abandoned (a hung mount blocks it).
constexpr std::chrono::seconds kLookTimeout{5};
constexpr std::chrono::seconds kSeedTimeout{60};

bool is_directory_nofollow(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists_nofollow(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// The regular file `name` in `dir_fd`, never through a link and never blocking on a FIFO;
// nullopt for anything else (skipped). At most 64 MiB.
Expected<std::optional<std::string>> read_regular_at(int dir_fd, const std::string& name,
                                                     const std::string& path) {
  common::OwnedFd fd(
      ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return std::optional<std::string>();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::optional<std::string>();
  if (st.st_size > (64 << 20)) return Status::error(path + ": larger than 64 MiB; not seeding it");
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::error("read " + path + ": " + common::errno_text(errno));
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return std::optional<std::string>(std::move(text));
}

// Copies the tree open at `source_fd` into `target_fd`, both directories opened without
// following links (the web user may own either: Pydio's data/ is writable by it, so a link
// planted there must not make root copy /etc/shadow onto the volume). Directories are made as
// needed, files created O_EXCL (an existing one is never overwritten), all owned by the web
// user. Links and special files in the source are skipped.
Status seed_tree(int source_fd, const std::string& source, int target_fd, const std::string& target,
                 uid_t uid, gid_t gid) {
  const int list_fd = ::dup(source_fd);
  DIR* dir = list_fd < 0 ? nullptr : ::fdopendir(list_fd);
  if (dir == nullptr) {
    if (list_fd >= 0) ::close(list_fd);
    return Status::error("list " + source + ": " + common::errno_text(errno));
  }
  Status result = Status::ok();
  while (struct dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    const std::string from = source + "/" + name;
    const std::string to = target + "/" + name;
    common::OwnedFd sub_source(
        ::openat(source_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (sub_source.get() >= 0) {
      if (::mkdirat(target_fd, name.c_str(), 0750) != 0 && errno != EEXIST) {
        result = Status::error("mkdir " + to + ": " + common::errno_text(errno));
        break;
      }
      common::OwnedFd sub(::openat(target_fd, name.c_str(), O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub.get() < 0 || ::fchown(sub.get(), uid, gid) != 0) {
        result = Status::error("open " + to + ": " + common::errno_text(errno));
        break;
      }
      result = seed_tree(sub_source.get(), from, sub.get(), to, uid, gid);
      if (!result) break;
      continue;
    }
    auto file = read_regular_at(source_fd, name, from);
    if (!file) {
      result = file.status();
      break;
    }
    if (!file->has_value()) continue;  // a link, a FIFO, gone: skipped
    common::OwnedFd out(::openat(target_fd, name.c_str(),
                                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640));
    if (out.get() < 0) {
      if (errno == EEXIST) continue;  // never overwritten: Pydio may have changed it
      result = Status::error("create " + to + ": " + common::errno_text(errno));
      break;
    }
    const std::string& text = **file;
    if (::write(out.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
        ::fchown(out.get(), uid, gid) != 0) {
      result = Status::error("write " + to + ": " + common::errno_text(errno));
      break;
    }
  }
  ::closedir(dir);
  return result;
}


Status seed(const SeedAppdata& step) {
  auto target = open_directory_nofollow(step.target);
  if (!target) return target.status();
  if (!target->has_value()) return Status::error(step.target + ": missing");
  auto source = open_directory_nofollow(step.source);
  if (!source) return source.status();
  if (!source->has_value()) return Status::error(step.source + ": missing");
  Status seeded =
      seed_tree((*source)->get(), step.source, (*target)->get(), step.target, step.uid, step.gid);
  if (!seeded) return seeded;
  auto folder = open_directory_nofollow(common::dir_of(step.marker));
  if (!folder) return folder.status();
  if (!folder->has_value()) return Status::error(common::dir_of(step.marker) + ": missing");
  const std::string text = nlohmann::json{{"source", step.source}}.dump() + "\n";
  return replace_file_at((*folder)->get(), common::base_of(step.marker), step.marker, text, 0644, 0, 0);
}

}  // namespace

Expected<Plan> plan_pydio_seed(const PydioSeedObservation& observed) {
  Plan plan;
  if (!observed.waiting.empty()) {
    plan.waiting_for = observed.waiting;
    return plan;
  }
  if (observed.seeded) return plan;
  if (!observed.target_ready) {
    plan.waiting_for = observed.target + " (made by the leader's pydio-shared)";
    return plan;
  }
  if (observed.source.empty()) {
    plan.note = "not seeded yet; no Pydio on this node to seed " + observed.target + " from";
    return plan;
  }
  plan.actions.push_back(make_action<PydioSeedAction>(
      "seed " + observed.target + " from " + observed.source + " (once; existing files kept)",
      SeedAppdata{observed.source, observed.target, observed.marker, observed.uid, observed.gid}));
  return plan;
}

bool PydioSeedResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kCompute) &&
         ctx.desired->find_volume(common::kConfigVolume) != nullptr &&
         ctx.desired->find_volume(common::kDataVolume) != nullptr;
}

Expected<Plan> PydioSeedResource::observe_and_plan(const PassContext& ctx) const {
  if (ctx.health == nullptr) return Status::error("pydio-seed: pass context lacks health view");
  const common::WebSpec& web = ctx.desired->web;
  auto uid = resolve_web_user(web.user);
  if (!uid) return uid.status();
  auto gid = resolve_web_group(web.group);
  if (!gid) return gid.status();
  const std::string config =
      common::normalize_mount_path(ctx.desired->find_volume(common::kConfigVolume)->mountpoint);
  PydioSeedObservation observed;
  observed.uid = *uid;
  observed.gid = *gid;
  observed.target = config + "/appdata/plugins";
  observed.marker = config + "/" + kSeedMarker;
  MountProbe probe = ctx.health->mount_probe(config);
  if (probe.health != MountHealth::kOk) {
    observed.waiting = "mount " + config + ": " + mount_health_name(probe.health);
    return plan_pydio_seed(observed);
  }
  std::string pydio = common::normalize_mount_path(common::web_install_dir(web));
  if (web.release) {
    // Release mode: the release this node serves by its real path: the seeding opens its
    // source without following a link, and <docroot>/current (web_install_dir) is one.
    auto id = read_release_link(common::normalize_mount_path(web.docroot), kCurrentLink);
    pydio = id && !id->empty() ? common::normalize_mount_path(web.docroot) + "/releases/" + *id : "";
  }
  const std::string source = pydio + "/data/plugins";
  if (!pydio.empty() && is_directory_nofollow(source)) observed.source = source;
  struct Looked {
    bool target_ready = false;
    bool seeded = false;
  };
  const std::string target = observed.target;
  const std::string marker = observed.marker;
  auto looked = run_abandonable<Looked>(
      [target, marker]() -> Expected<Looked> {
        return Looked{is_directory_nofollow(target), exists_nofollow(marker)};
      },
      kLookTimeout, "look at " + target);
  if (!looked) return looked.status();
  observed.target_ready = looked->target_ready;
  observed.seeded = looked->seeded;
  return plan_pydio_seed(observed);
}

Status PydioSeedResource::apply(const PassContext& /*ctx*/, const Action& action) {
  const std::string context = name() + ": " + action.description;
  return visit_action<PydioSeedAction>(name(), action, [&](const SeedAppdata& step) -> Status {
    const SeedAppdata copy = step;
    return run_abandonable<bool>(
               [copy]() -> Expected<bool> {
                 Status seeded = seed(copy);
                 if (!seeded) return seeded;
                 return true;
               },
               kSeedTimeout, context)
        .status();
  });
}

}  // namespace pydio::agent
