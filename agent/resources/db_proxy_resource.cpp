#include "agent/resources/db_proxy_resource.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "agent/host/services.hpp"
#include "agent/resources/db_proxy_config.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

HaproxyControl control(const PassContext& ctx, const HaproxyPaths& paths) {
  return HaproxyControl(*ctx.runner, ctx.services->uses_systemd(), paths);
}

bool is_up(const ServerStat& server) {
  return server.status.rfind("UP", 0) == 0 || server.status == "no check";
}

}  // namespace

Plan plan_db_proxy(const std::string& want_text, const std::string& config_path,
                   const DbProxyObservation& observed) {
  Plan plan;
  if (!observed.running && !observed.start_held_back.empty()) {
    plan.waiting_for = observed.start_held_back;
    return plan;
  }
  const bool write = observed.current_text != want_text;
  if (write) {
    plan.actions.push_back(make_action<DbProxyAction>(
        "write " + config_path + " (" + (observed.current_text ? "changed" : "new") +
            "), validated by haproxy -c",
        WriteDbProxyConfig{config_path}));
  }
  if (!observed.running) {
    std::string description = "start the database proxy (HAProxy)";
    if (observed.start_number > 1)
      description += " (start " + std::to_string(observed.start_number) + " by this agent)";
    plan.actions.push_back(make_action<DbProxyAction>(description, StartDbProxy{}));
  } else if (write || observed.reload_pending) {
    plan.actions.push_back(make_action<DbProxyAction>(
        "reload the database proxy (its configuration changed; connections are kept)",
        ReloadDbProxy{}));
  }
  if (plan.actions.empty()) plan.note = observed.members;
  return plan;
}

std::string describe_db_proxy(const std::vector<ServerStat>& servers) {
  std::string in_use;
  std::string states;
  for (const auto& server : servers) {
    if (in_use.empty() && is_up(server)) in_use = server.name;
    if (!states.empty()) states += ", ";
    states += server.name + " " + server.status;
    if (!is_up(server) && !server.last_check.empty()) states += " (" + server.last_check + ")";
    states += " scur " + std::to_string(server.sessions);
  }
  if (servers.empty()) return "no members in show stat";
  return (in_use.empty() ? "uses none: no member is up; " : "uses " + in_use + "; ") + states;
}

bool DbProxyResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kCompute) &&
         ctx.desired->database.galera();
}

Expected<Plan> DbProxyResource::observe_and_plan(const PassContext& ctx) const {
  if (ctx.services == nullptr || ctx.runner == nullptr)
    return Status::error("db-proxy: pass context lacks services or runner");
  // The packages resource installs it (installPackages); here its absence is a clear error.
  if (std::string missing = HaproxyControl::missing_binary(); !missing.empty())
    return Status::error("db-proxy: " + missing);
  const std::string text = db_proxy_config_text(*ctx.desired, paths_);
  DbProxyObservation observed;
  auto current = common::read_optional_file(paths_.config);
  if (!current) return current.status();
  observed.current_text = *current;
  HaproxyControl haproxy = control(ctx, paths_);
  const auto now = RestartGuard::Clock::now();
  observed.running = haproxy.is_running();
  observed.reload_pending = reload_pending_->load();
  if (observed.running) {
    auto csv = haproxy.admin_command("show stat");
    auto servers = csv ? parse_show_stat(*csv, kDbProxyBackend)
                       : Expected<std::vector<ServerStat>>(csv.status());
    observed.members = servers ? describe_db_proxy(*servers)
                               : "member states unknown: " + servers.status().message();
  } else {
    observed.start_held_back = restarts_->hold_back("the database proxy", now).value_or("");
    observed.start_number = restarts_->next_start_number();
  }
  Plan plan = plan_db_proxy(text, paths_.config, observed);
  // Seen down: recorded on real passes only (the restart backoff counts from it).
  if (!observed.running) plan.remember = [guard = restarts_, now] { guard->mark_down(now); };
  return plan;
}

Status DbProxyResource::apply(const PassContext& ctx, const Action& action) {
  return visit_action<DbProxyAction>(name(), action,
                                     [&](const auto& step) { return apply_step(ctx, step); });
}

void DbProxyResource::carry_over(const Resource& previous) {
  if (auto* old = dynamic_cast<const DbProxyResource*>(&previous)) {
    reload_pending_ = old->reload_pending_;
    restarts_ = old->restarts_;
  }
}

Status DbProxyResource::apply_step(const PassContext& ctx, const WriteDbProxyConfig& step) {
  const std::string text = db_proxy_config_text(*ctx.desired, paths_);
  Status installed = control(ctx, paths_).install_config(step.path, text);
  if (!installed) return installed;
  *reload_pending_ = true;
  return Status::ok();
}

Status DbProxyResource::apply_step(const PassContext& ctx, const StartDbProxy&) {
  restarts_->record_start(RestartGuard::Clock::now());
  Status started = control(ctx, paths_).start();
  // A fresh start reads the configuration as it is now: nothing left to reload.
  if (started) *reload_pending_ = false;
  return started.with_context("start the database proxy");
}

Status DbProxyResource::apply_step(const PassContext& ctx, const ReloadDbProxy&) {
  if (!*reload_pending_) return Status::ok();
  Status reloaded = control(ctx, paths_).reload();
  if (reloaded) *reload_pending_ = false;
  return reloaded.with_context("reload the database proxy");
}

}  // namespace pydio::agent
