#include "agent/resources/haproxy_resource.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "agent/host/services.hpp"
#include "agent/resources/haproxy_config.hpp"
#include "agent/resources/haproxy_stat.hpp"
#include "common/file_ops.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

HaproxyControl control(const PassContext& ctx, const HaproxyPaths& paths) {
  return HaproxyControl(*ctx.runner, ctx.services->uses_systemd(), paths);
}

Expected<std::string> render(const PassContext& ctx, const HaproxyPaths& paths) {
  if (ctx.self == nullptr) return Status::error("haproxy: this node is not in the desired state");
  return haproxy_config_text(*ctx.desired, *ctx.self, paths);
}

// What identifies one version of the certificate file: a renewal writes a new file (new inode or
// mtime). "" without TLS; "missing" when it cannot be read (haproxy -c then says why).
std::string certificate_identity(const common::DesiredState& desired) {
  const std::string& path = desired.load_balancer.tls_certificate;
  if (path.empty()) return "";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

Plan plan_haproxy(const std::string& want_text, const std::string& config_path,
                  const HaproxyObservation& observed) {
  Plan plan;
  const bool write = observed.current_text != want_text;
  if (write) {
    plan.actions.push_back(make_action<HaproxyAction>(
        "write " + config_path + " (" + (observed.current_text ? "changed" : "new") +
            "), validated by haproxy -c",
        WriteHaproxyConfig{config_path}));
  }
  if (!observed.running) {
    plan.actions.push_back(make_action<HaproxyAction>("start HAProxy", StartHaproxy{}));
  } else if (write) {
    plan.actions.push_back(make_action<HaproxyAction>(
        "reload HAProxy (its configuration changed; connections are kept)", ReloadHaproxy{}));
  } else if (observed.reload_pending) {
    plan.actions.push_back(make_action<HaproxyAction>(
        "reload HAProxy (a reload is owed: a change not loaded yet, or the agent started since "
        "HAProxy did; connections are kept)",
        ReloadHaproxy{}));
  } else if (!observed.certificate_changed.empty()) {
    plan.actions.push_back(
        make_action<HaproxyAction>("reload HAProxy (certificate " + observed.certificate_changed +
                                       " changed; checked by haproxy -c; connections are kept)",
                                   ReloadHaproxy{true}));
  }
  if (plan.actions.empty()) plan.note = observed.servers;
  return plan;
}

Plan plan_haproxy_retirement(const HaproxyLeftover& leftover) {
  Plan plan;
  if (leftover.running) {
    plan.actions.push_back(make_action<HaproxyAction>(
        "stop HAProxy: this node no longer has role lb (its listeners and stats port close)",
        StopHaproxy{}));
  }
  if (leftover.agent_config) {
    plan.actions.push_back(make_action<HaproxyAction>(
        "move " + leftover.config_path + " aside to " + leftover.aside_path +
            " (kept, not deleted; this node no longer has role lb)",
        SetHaproxyConfigAside{leftover.config_path, leftover.aside_path}));
  }
  return plan;
}

std::string haproxy_aside_path(const std::string& config_path, const std::string& utc_time) {
  std::string stamp;
  for (char c : utc_time)
    if (c != '-' && c != ':') stamp += c;
  return config_path + ".pydio-agent-removed-" + stamp;
}

bool is_agent_haproxy_config(const std::string& text) {
  return text.rfind(kHaproxyConfigHeader, 0) == 0;
}

bool HaproxyResource::retiring(const PassContext& ctx) const {
  // Only on a node the document lists without lb: a node not (yet) in it decides nothing.
  if (ctx.self == nullptr || ctx.self->has_role(common::Role::kLb)) return false;
  auto text = common::read_optional_file(paths_.config);
  return text && *text && is_agent_haproxy_config(**text);
}

bool HaproxyResource::applies_to(const PassContext& ctx) const {
  return (ctx.self != nullptr && ctx.self->has_role(common::Role::kLb)) || retiring(ctx);
}

Expected<Plan> HaproxyResource::observe_and_plan_retirement(const PassContext& ctx) const {
  HaproxyLeftover leftover;
  leftover.config_path = paths_.config;
  auto current = common::read_optional_file(paths_.config);
  if (!current) return current.status();
  leftover.agent_config = *current && is_agent_haproxy_config(**current);
  leftover.running = control(ctx, paths_).is_running();
  leftover.aside_path =
      haproxy_aside_path(paths_.config, common::format_utc(common::utc_now_seconds()));
  return plan_haproxy_retirement(leftover);
}

Expected<Plan> HaproxyResource::observe_and_plan(const PassContext& ctx) const {
  if (ctx.services == nullptr || ctx.runner == nullptr)
    return Status::error("haproxy: pass context lacks services or runner");
  if (ctx.self != nullptr && !ctx.self->has_role(common::Role::kLb))
    return observe_and_plan_retirement(ctx);
  // The packages resource installs it (installPackages); here its absence is a clear error.
  if (std::string missing = HaproxyControl::missing_binary(); !missing.empty())
    return Status::error(missing);
  auto text = render(ctx, paths_);
  if (!text) return text.status();
  HaproxyObservation observed;
  auto current = common::read_optional_file(paths_.config);
  if (!current) return current.status();
  observed.current_text = *current;
  HaproxyControl haproxy = control(ctx, paths_);
  observed.running = haproxy.is_running();
  observed.reload_pending = reload_pending_->load();
  if (observed.running) {
    const std::string identity = certificate_identity(*ctx.desired);
    std::lock_guard<std::mutex> lock(loaded_certificate_->mutex);
    if (!identity.empty() && identity != loaded_certificate_->identity)
      observed.certificate_changed = ctx.desired->load_balancer.tls_certificate;
  }
  if (observed.running) {
    auto csv = haproxy.admin_command("show stat");
    auto servers = csv ? parse_show_stat(*csv) : Expected<std::vector<ServerStat>>(csv.status());
    observed.servers = servers ? describe_servers(*servers)
                               : "server states unknown: " + servers.status().message();
  }
  return plan_haproxy(*text, paths_.config, observed);
}

Status HaproxyResource::apply(const PassContext& ctx, const Action& action) {
  return visit_action<HaproxyAction>(name(), action,
                                     [&](const auto& step) { return apply_step(ctx, step); });
}

void HaproxyResource::carry_over(const Resource& previous) {
  if (auto* old = dynamic_cast<const HaproxyResource*>(&previous)) {
    reload_pending_ = old->reload_pending_;
    loaded_certificate_ = old->loaded_certificate_;
  }
}

Status HaproxyResource::apply_step(const PassContext& ctx, const WriteHaproxyConfig& step) {
  auto text = render(ctx, paths_);
  if (!text) return text.status();
  Status installed = control(ctx, paths_).install_config(step.path, *text);
  if (!installed) return installed;
  *reload_pending_ = true;
  return Status::ok();
}

Status HaproxyResource::apply_step(const PassContext& ctx, const StartHaproxy&) {
  // Taken before HAProxy reads the file: a renewal during the start is seen on the next pass.
  const std::string identity = certificate_identity(*ctx.desired);
  Status started = control(ctx, paths_).start();
  // A fresh start reads the configuration as it is now: nothing left to reload.
  if (started) {
    *reload_pending_ = false;
    std::lock_guard<std::mutex> lock(loaded_certificate_->mutex);
    loaded_certificate_->identity = identity;
  }
  return started;
}

Status HaproxyResource::apply_step(const PassContext& ctx, const StopHaproxy&) {
  return control(ctx, paths_).stop();
}

Status HaproxyResource::apply_step(const PassContext&, const SetHaproxyConfigAside& step) {
  // Never over an earlier copy: each one is kept.
  if (::renameat2(AT_FDCWD, step.from.c_str(), AT_FDCWD, step.to.c_str(), RENAME_NOREPLACE) != 0)
    return Status::error("move " + step.from + " aside to " + step.to + ": " +
                         common::errno_text(errno));
  spdlog::info("haproxy: this node no longer has role lb; its configuration is kept as {}",
               step.to);
  return Status::ok();
}

Status HaproxyResource::apply_step(const PassContext& ctx, const ReloadHaproxy& step) {
  if (!*reload_pending_ && !step.certificate_changed) return Status::ok();
  const std::string identity = certificate_identity(*ctx.desired);
  HaproxyControl haproxy = control(ctx, paths_);
  if (step.certificate_changed) {
    // A renewed file HAProxy cannot load would fail the new worker: check it first, and keep
    // the running HAProxy (with the certificate it has) when it is refused.
    Status accepted = haproxy.check_config(paths_.config);
    if (!accepted)
      return Status::error(accepted.message() + "; HAProxy keeps the certificate it loaded");
  }
  Status reloaded = haproxy.reload();
  if (reloaded) {
    *reload_pending_ = false;
    std::lock_guard<std::mutex> lock(loaded_certificate_->mutex);
    loaded_certificate_->identity = identity;
  }
  return reloaded;
}

}  // namespace pydio::agent
