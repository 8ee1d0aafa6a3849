#include "agent/resources/apache_vhost_resource.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "agent/host/nofollow_dir.hpp"
#include "agent/host/services.hpp"
#include "agent/resources/vhost_client_address.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Command;
using common::Expected;
using common::Status;

namespace {

constexpr const char* kSiteFile = "pydio.conf";
constexpr const char* kDefaultSite = "000-default.conf";
constexpr std::chrono::seconds kConfigtestTimeout{30};

// Apache's config parser expands ${VAR}, ends quoted strings at '"' and treats '\' as an
// escape; a value with any of these (or a control character) could change the meaning of
// the file, so it is refused rather than escaped.
Status check_config_safe(const std::string& field, const std::string& value) {
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\\' || c == '$') {
      return Status::error(field + ": contains a character that cannot be written into an "
                                   "Apache configuration (quote, backslash, '$' or control)");
    }
  }
  return Status::ok();
}

Status check_host_name(const std::string& field, const std::string& value) {
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) return Status::error(field + ": '" + value + "' is not a host name");
  }
  return Status::ok();
}

std::string regex_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string("\\.^$|?*+()[]{}").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string trim_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

bool is_enabled_link(const VhostPaths& paths) {
  auto target = common::read_symlink(paths.enabled);
  return target && (*target == paths.enabled_target || *target == paths.available);
}

bool is_symlink(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

}  // namespace

VhostPaths vhost_paths(const std::string& apache_config_dir) {
  const std::string dir = trim_trailing_slashes(apache_config_dir);
  VhostPaths paths;
  paths.available = dir + "/sites-available/" + kSiteFile;
  paths.enabled = dir + "/sites-enabled/" + kSiteFile;
  paths.enabled_target = std::string("../sites-available/") + kSiteFile;  // as a2ensite makes it
  paths.default_site_enabled = dir + "/sites-enabled/" + kDefaultSite;
  return paths;
}

std::string vhost_server_name(const common::WebSpec& web) {
  if (!web.server_name.empty()) return web.server_name;
  std::string rest = web.public_url;
  auto scheme = rest.find("://");
  if (scheme != std::string::npos) rest = rest.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  auto at = rest.rfind('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    return close == std::string::npos ? rest : rest.substr(0, close + 1);
  }
  return rest.substr(0, rest.find(':'));
}

std::string health_uri_regex(const common::WebSpec& web) {
  std::string alias = trim_trailing_slashes(web.alias);
  std::string uri = (alias == "/" ? "" : alias) + "/" + web.health_file;
  return "^" + regex_escape(uri) + "$";
}

Expected<std::string> vhost_text(const common::WebSpec& web, const std::string& probe_dir) {
  for (const auto& [field, value] :
       {std::pair<std::string, std::string>{"web.docroot", web.docroot},
        {"web.installDir", common::web_install_dir(web)},
        {"web.alias", web.alias},
        {"web.healthFile", web.health_file},
        {"phpProbeDir (agent.json)", probe_dir}}) {
    Status safe = check_config_safe(field, value);
    if (!safe) return safe;
    if (value.empty()) return Status::error(field + ": must not be empty");
  }
  const std::string server_name = vhost_server_name(web);
  Status host_ok = check_host_name(web.server_name.empty() ? "web.publicUrl" : "web.serverName",
                                   server_name);
  if (!host_ok) return host_ok;

  const std::string docroot = trim_trailing_slashes(web.docroot);
  const std::string alias = trim_trailing_slashes(web.alias);
  std::ostringstream out;
  out << "# Managed by pydio-agent, rendered from the desired state (web). Edits are replaced.\n"
      << remoteip_module_lines(web.trusted_proxies) << "<VirtualHost *:80>\n";
  if (!server_name.empty()) out << "    ServerName " << server_name << "\n";
  const std::string probe = trim_trailing_slashes(probe_dir);
  out << "    # The agent's PHP probe (its health verdict): local requests only, never logged.\n"
      << "    Alias \"/.pydio-agent/\" \"" << probe << "/\"\n"
      << "    <Directory \"" << probe << "\">\n"
      << "        Options None\n"
      << "        AllowOverride None\n"
      << "        Require local\n"
      << "    </Directory>\n"
      << "    SetEnvIf Request_URI \"^/\\.pydio-agent/\" dontlog\n";
  const auto directory = [&out](const std::string& dir) {
    out << "    <Directory \"" << dir << "\">\n"
        << "        Options FollowSymLinks\n"
        << "        AllowOverride All\n"
        << "        Require all granted\n"
        << "    </Directory>\n";
  };
  // An operator-installed Pydio outside the docroot (web.installDir) is served under the alias;
  // the health file stays the agent's, in the docroot.
  // Release mode: Pydio is <docroot>/current (web_install_dir), a link into <docroot>/releases
  // that the docroot's FollowSymLinks lets Apache follow; the docroot stays a real directory.
  const std::string install_dir = trim_trailing_slashes(common::web_install_dir(web));
  if (install_dir != docroot) {
    out << "    Alias \"" << (alias == "/" ? "" : alias) << "/" << web.health_file << "\" \""
        << docroot << "/" << web.health_file << "\"\n";
  }
  out << "    Alias \"" << alias << "\" \"" << install_dir << "\"\n";
  if (!web.release) directory(install_dir);
  if (web.release || install_dir != docroot) directory(docroot);
  if (web.release) {
    // The agent's marker in each release names its sha256 and version: not for visitors.
    out << "    <FilesMatch \"^\\.pydio-agent-release\\.json$\">\n"
        << "        Require all denied\n"
        << "    </FilesMatch>\n";
  }
  out << "    # The balancer probes the health file every few seconds: keep it out of the log.\n"
      << "    SetEnvIf Request_URI \"" << health_uri_regex(web) << "\" dontlog\n"
      << client_address_lines(web.trusted_proxies)
      << "    ErrorLog ${APACHE_LOG_DIR}/pydio-error.log\n"
      << "    CustomLog ${APACHE_LOG_DIR}/pydio-access.log "
      << access_log_format(web.trusted_proxies) << " env=!dontlog\n"
      << "</VirtualHost>\n";
  return out.str();
}

common::WebSpec vhost_web(const common::DesiredState& desired) {
  common::WebSpec web = desired.web;
  web.trusted_proxies = common::effective_trusted_proxies(desired);
  return web;
}

Plan plan_vhost(const VhostWant& want, const VhostObservation& observed) {
  Plan plan;
  bool config_changes = false;
  if (!observed.docroot_exists) {
    plan.actions.push_back(make_action<ApacheVhostAction>("create docroot " + want.docroot,
                                                          EnsureDocroot{want.docroot}));
  }
  if (observed.current_text != want.text) {
    std::string description = "write " + want.paths.available + " (" +
                              (observed.current_text ? "changed" : "new") +
                              "), validated by apache2ctl configtest";
    if (!observed.site_enabled) description += ", and enable it";
    plan.actions.push_back(make_action<ApacheVhostAction>(
        description, WriteVhost{want.paths.available, !observed.site_enabled}));
    config_changes = true;
  } else if (!observed.site_enabled) {
    plan.actions.push_back(make_action<ApacheVhostAction>(
        "enable site pydio: symlink " + want.paths.enabled + " -> " + want.paths.enabled_target,
        EnableSite{want.paths.enabled, want.paths.enabled_target}));
    config_changes = true;
  }
  if (observed.default_site_enabled) {
    plan.actions.push_back(make_action<ApacheVhostAction>(
        "disable site 000-default (it would take requests without a matching Host, such as "
        "balancer probes)",
        DisableDefaultSite{want.paths.default_site_enabled}));
    config_changes = true;
  }
  if (!observed.apache_running && !observed.start_held_back.empty()) {
    plan.waiting_for = observed.start_held_back;
  } else if (!observed.apache_running) {
    std::string description = "start Apache";
    if (observed.start_number > 1)
      description += " (start " + std::to_string(observed.start_number) + " by this agent)";
    plan.actions.push_back(make_action<ApacheVhostAction>(description, StartApache{}));
  } else if (config_changes || observed.reload_pending) {
    plan.actions.push_back(make_action<ApacheVhostAction>(
        "reload Apache gracefully (its configuration changed)", ReloadApache{}));
  }
  return plan;
}

bool ApacheVhostResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kCompute);
}

Expected<Plan> ApacheVhostResource::observe_and_plan(const PassContext& ctx) const {
  if (ctx.services == nullptr || ctx.local == nullptr) {
    return Status::error("apache-vhost: pass context lacks services or local config");
  }
  auto text = render_(vhost_web(*ctx.desired), ctx.local->php_probe_dir);
  if (!text) return text.status().with_context("render vhost");
  VhostWant want{*text, vhost_paths(ctx.local->apache_config_dir),
                 trim_trailing_slashes(ctx.desired->web.docroot)};

  VhostObservation observed;
  auto current = common::read_optional_file(want.paths.available);
  if (!current) return current.status();
  observed.current_text = *current;
  observed.site_enabled = is_enabled_link(want.paths);
  observed.default_site_enabled = is_symlink(want.paths.default_site_enabled);
  // The web user may own directories on the docroot's path: a link there is refused, never
  // followed (observe and apply both open it component by component).
  auto docroot = open_directory_nofollow(want.docroot);
  if (!docroot) return docroot.status().with_context("web.docroot");
  observed.docroot_exists = docroot->has_value();
  const auto now = RestartGuard::Clock::now();
  observed.apache_running = ctx.services->is_running(Service::kApache);
  observed.reload_pending = reload_pending_.load();
  if (!observed.apache_running) {
    observed.start_held_back = restarts_->hold_back("Apache", now).value_or("");
    observed.start_number = restarts_->next_start_number();
  }
  Plan plan = plan_vhost(want, observed);
  if (!observed.apache_running) {
    // Seen down: recorded on real passes only (the restart backoff counts from it).
    plan.remember = [guard = restarts_, now] { guard->mark_down(now); };
  }
  return plan;
}

Status ApacheVhostResource::apply(const PassContext& ctx, const Action& action) {
  return visit_action<ApacheVhostAction>(name(), action,
                                         [&](const auto& step) { return apply_step(ctx, step); });
}

Status ApacheVhostResource::apply_step(const PassContext&, const EnsureDocroot& step) {
  auto docroot = open_directory_nofollow(step.path, MissingDirs::kCreate);
  if (!docroot) return docroot.status().with_context("create docroot " + step.path);
  return Status::ok();
}

Status ApacheVhostResource::apply_step(const PassContext& ctx, const WriteVhost& step) {
  auto text = render_(vhost_web(*ctx.desired), ctx.local->php_probe_dir);
  if (!text) return text.status().with_context("render vhost");
  return apply_validated_change(ctx, vhost_paths(ctx.local->apache_config_dir), *text)
      .with_context("write " + step.path);
}

Status ApacheVhostResource::apply_step(const PassContext& ctx, const EnableSite& step) {
  return apply_validated_change(ctx, vhost_paths(ctx.local->apache_config_dir), std::nullopt)
      .with_context("enable site " + step.path);
}

Status ApacheVhostResource::apply_step(const PassContext& ctx, const DisableDefaultSite&) {
  return disable_default_site(vhost_paths(ctx.local->apache_config_dir));
}

Status ApacheVhostResource::apply_step(const PassContext& ctx, const StartApache&) {
  restarts_->record_start(RestartGuard::Clock::now());
  Status started = ctx.services->start(Service::kApache);
  // A fresh start reads the configuration as it is now: nothing left to reload.
  if (started) reload_pending_ = false;
  return started;
}

Status ApacheVhostResource::apply_step(const PassContext& ctx, const ReloadApache&) {
  // Only when a change was really made (a failed write leaves nothing to reload).
  if (!reload_pending_) return Status::ok();
  Status reloaded = ctx.services->reload(Service::kApache);
  if (reloaded) reload_pending_ = false;
  return reloaded;
}

// Puts the new file (when given) and the enabling symlink in place, then lets Apache judge
// the whole configuration. On rejection everything goes back as it was, so the configuration
// Apache would load on its next start or reload is the previous, working one.
Status ApacheVhostResource::apply_validated_change(const PassContext& ctx,
                                                   const VhostPaths& paths,
                                                   const std::optional<std::string>& new_text) {
  auto old_text = common::read_optional_file(paths.available);
  if (!old_text) return old_text.status();
  const bool link_was_ok = is_enabled_link(paths);
  const std::string aside =
      paths.enabled.substr(0, paths.enabled.rfind('/')) + "/.pydio.conf.pydio-agent-replaced";
  bool moved_aside = false;

  if (new_text) {
    Status written = common::write_file_atomically(paths.available, *new_text, 0644);
    if (!written) return written;
  }
  auto rollback = [&]() -> std::string {
    std::string problems;
    if (!link_was_ok) {
      ::unlink(paths.enabled.c_str());
      if (moved_aside && ::rename(aside.c_str(), paths.enabled.c_str()) != 0) {
        problems += "; restore " + paths.enabled + ": " + common::errno_text(errno);
      }
    }
    if (new_text) {
      if (*old_text) {
        Status restored = common::write_file_atomically(paths.available, **old_text, 0644);
        if (!restored) problems += "; restore: " + restored.message();
      } else if (::unlink(paths.available.c_str()) != 0 && errno != ENOENT) {
        problems += "; remove new file: " + common::errno_text(errno);
      }
    }
    return problems;
  };

  if (!link_was_ok) {
    // A foreign file or link under our name is kept aside (not matched by *.conf) until the
    // new configuration is accepted, then dropped.
    struct stat st {};
    if (::lstat(paths.enabled.c_str(), &st) == 0) {
      if (::rename(paths.enabled.c_str(), aside.c_str()) != 0) {
        int saved = errno;
        std::string problems = rollback();
        return Status::error("move aside " + paths.enabled + ": " + common::errno_text(saved) + problems);
      }
      moved_aside = true;
    }
    if (::symlink(paths.enabled_target.c_str(), paths.enabled.c_str()) != 0) {
      int saved = errno;
      std::string problems = rollback();
      return Status::error("symlink " + paths.enabled + ": " + common::errno_text(saved) + problems);
    }
  }

  Command configtest({"apache2ctl", "configtest"}, kConfigtestTimeout);
  configtest.extra_env["APACHE_CONFDIR"] = ctx.local->apache_config_dir;
  common::RunResult result = ctx.runner->run(configtest);
  if (!result.succeeded()) {
    std::string problems = rollback();
    return Status::error("rejected, previous configuration kept: " +
                         result.describe_failure(configtest.argv) + problems);
  }
  if (moved_aside) ::unlink(aside.c_str());
  reload_pending_ = true;
  return Status::ok();
}

Status ApacheVhostResource::disable_default_site(const VhostPaths& paths) {
  // Only the symlink goes; sites-available/000-default.conf stays for `a2ensite 000-default`.
  if (!is_symlink(paths.default_site_enabled)) return Status::ok();
  if (::unlink(paths.default_site_enabled.c_str()) != 0 && errno != ENOENT) {
    return Status::error("disable site: remove " + paths.default_site_enabled + ": " +
                         common::errno_text(errno));
  }
  reload_pending_ = true;
  return Status::ok();
}

}  // namespace pydio::agent
