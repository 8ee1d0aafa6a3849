#include "agent/resources/gluster_tls_resource.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "agent/host/pid_file.hpp"
#include "agent/host/process_start.hpp"
#include "agent/host/service_paths.hpp"
#include "common/volume_clients.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

constexpr unsigned kKeyMode = 0600;
constexpr unsigned kPublicMode = 0644;
constexpr unsigned kDirMode = 0755;

std::string files_path(const char* file) { return std::string(kGlusterTlsFilesDir) + "/" + file; }

Expected<TlsPathState> observe_path(const std::string& path) {
  TlsPathState state;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return state;
    return Status::error("lstat " + path + ": " + common::errno_text(errno));
  }
  state.exists = true;
  state.modified = static_cast<double>(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
  state.mode = st.st_mode & 07777;
  state.uid = st.st_uid;
  if (S_ISLNK(st.st_mode)) {
    state.link_target = common::read_symlink(path).value_or("");
  } else if (S_ISREG(st.st_mode)) {
    state.regular = true;
    auto text = common::read_optional_file(path);
    if (!text) return text.status();
    state.content = text->value_or("");
  }
  return state;
}

const GlusterTlsFile* find_file(const GlusterTlsTarget& target, const std::string& path) {
  for (const auto& file : target.files)
    if (file.path == path) return &file;
  return nullptr;
}

// What differs between `file` and `found`, "" when nothing.
std::string file_difference(const GlusterTlsFile& file, const TlsPathState& found) {
  if (!found.exists) return "missing";
  if (!found.regular) return "not a regular file";
  if (found.content != file.content) return "other content";
  if (found.mode != file.mode)
    return "mode " + common::octal_mode(found.mode) + ", want " + common::octal_mode(file.mode);
  if (found.uid != 0) return "owned by uid " + std::to_string(found.uid) + ", want root";
  return "";
}

Status apply_step(const GlusterTlsTarget& target, const WriteGlusterTlsFile& step) {
  const GlusterTlsFile* file = find_file(target, step.path);
  if (file == nullptr) return Status::error(step.path + " is not a gluster TLS file");
  // /var/lib/glusterd exists only where glusterfs-server is installed; a compute node may have
  // the client alone.
  const std::string dir = step.path.substr(0, step.path.rfind('/'));
  if (::mkdir(dir.c_str(), kDirMode) != 0 && errno != EEXIST)
    return Status::error("mkdir " + dir + ": " + common::errno_text(errno));
  return common::write_file_atomically(file->path, file->content, file->mode);
}

Status apply_step(const GlusterTlsTarget&, const LinkGlusterTlsFile& step) {
  return common::replace_symlink(step.path, step.target);
}

}  // namespace

GlusterTlsTarget gluster_tls_target(const trust::NodePki& pki) {
  GlusterTlsTarget target;
  target.files = {{files_path("glusterfs.key"), pki.node_key_pem, kKeyMode},
                  {files_path("glusterfs.pem"), pki.node_cert_pem, kPublicMode},
                  {files_path("glusterfs.ca"), pki.ca_cert_pem, kPublicMode},
                  {kSecureAccessFile, kSecureAccessText, kPublicMode}};
  for (const char* file : {"glusterfs.key", "glusterfs.pem", "glusterfs.ca"})
    target.links.push_back({std::string(kGlusterSslCertPath) + "/" + file, files_path(file)});
  return target;
}

Expected<Plan> plan_gluster_tls(const GlusterTlsObservation& observed) {
  Plan plan;
  if (!observed.pki) {
    plan.waiting_for = "this node's certificate (agentctl init or join)";
    return plan;
  }
  const GlusterTlsTarget target = gluster_tls_target(*observed.pki);
  const auto found = [&](const std::string& path) {
    auto it = observed.paths.find(path);
    return it == observed.paths.end() ? TlsPathState{} : it->second;
  };
  for (const auto& file : target.files) {
    const std::string difference = file_difference(file, found(file.path));
    if (difference.empty()) continue;
    plan.actions.push_back(make_action<GlusterTlsAction>(
        "write " + file.path + " (" + common::octal_mode(file.mode) + ", root; " + difference + ")",
        WriteGlusterTlsFile{file.path}));
  }
  for (const auto& link : target.links) {
    const TlsPathState state = found(link.path);
    if (state.exists && !state.regular && state.link_target == link.target) continue;
    const std::string was = !state.exists               ? "missing"
                            : state.regular             ? "a regular file"
                            : state.link_target.empty() ? "not a symlink"
                                                        : "points to " + state.link_target;
    plan.actions.push_back(
        make_action<GlusterTlsAction>("link " + link.path + " -> " + link.target + " (" + was + ")",
                                      LinkGlusterTlsFile{link.path, link.target}));
  }
  const TlsPathState secure_access = found(kSecureAccessFile);
  if (plan.actions.empty() && observed.glusterd_pid && observed.glusterd_started &&
      secure_access.exists &&
      *observed.glusterd_started + kGlusterdStartSlackSeconds < secure_access.modified) {
    return Status::error("glusterd (pid " + std::to_string(*observed.glusterd_pid) +
                         ") has run since before " + kSecureAccessFile +
                         " was written, so its management port speaks plain and the other "
                         "nodes' TLS clients cannot use it: restart glusterd once (systemctl "
                         "restart glusterd; bricks and mounts keep running)");
  }
  return plan;
}

bool GlusterTlsResource::applies_to(const PassContext& ctx) const {
  return ctx.desired->security.gluster_tls && ctx.self != nullptr &&
         (ctx.self->has_role(common::Role::kStorage) ||
          common::node_mounts_any_volume(*ctx.desired, *ctx.self));
}

Expected<Plan> GlusterTlsResource::observe_and_plan(const PassContext& ctx) const {
  GlusterTlsObservation observed;
  auto pki = trust::read_pki(ctx.local->pki_dir);
  if (!pki) return pki.status();
  observed.pki = *pki;
  if (observed.pki) {
    const GlusterTlsTarget target = gluster_tls_target(*observed.pki);
    for (const auto& file : target.files) {
      auto state = observe_path(file.path);
      if (!state) return state.status();
      observed.paths[file.path] = *state;
    }
    for (const auto& link : target.links) {
      auto state = observe_path(link.path);
      if (!state) return state.status();
      observed.paths[link.path] = *state;
    }
  }
  if (ctx.self != nullptr && ctx.self->has_role(common::Role::kStorage)) {
    observed.glusterd_pid = live_pid(kGlusterdPidFile, {"glusterd"});
    if (observed.glusterd_pid)
      observed.glusterd_started = process_start_seconds(*observed.glusterd_pid);
  }
  return plan_gluster_tls(observed);
}

Status GlusterTlsResource::apply(const PassContext& ctx, const Action& action) {
  auto pki = trust::read_pki(ctx.local->pki_dir);
  if (!pki) return pki.status().with_context(name());
  if (!*pki) return Status::error(name() + ": this node has no certificate yet");
  const GlusterTlsTarget target = gluster_tls_target(**pki);
  return visit_action<GlusterTlsAction>(name(), action, [&](const auto& step) {
    return apply_step(target, step).with_context(name());
  });
}

}  // namespace pydio::agent
