#pragma once
// The Pydio vhost on every compute node: <apache>/sites-available/pydio.conf rendered from the
// desired state's web section, enabled by a plain symlink sites-enabled/pydio.conf, the Debian
// default site (000-default) disabled so that requests without a matching Host header (a
// balancer's health probe) reach this vhost, Apache running, and a graceful reload after a
// change. The docroot directory exists (checked and created without following a link: the web
// user may own directories on its path).
//
// A new vhost never replaces a working one unchecked: apply() writes it, runs
// `apache2ctl configtest`, and on failure puts the previous file (and symlink) back and returns
// an error carrying configtest's output.
//
// The object remembers across passes that a reload is owed (a change was written but the
// reload failed or has not run yet), so the reconciler must keep one instance for the life of
// the daemon. Not thread-safe against itself: the reconciler runs one operation per resource
// at a time.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "agent/host/restart_guard.hpp"
#include "agent/reconcile/resource.hpp"
#include "common/desired_state.hpp"

namespace pydio::agent {

// The resource's actions (see action.hpp).
struct EnsureDocroot {
  static constexpr const char* kKind = "ensure-docroot";
  std::string path;
};
struct WriteVhost {
  static constexpr const char* kKind = "write-vhost";
  std::string path;
  bool enable = false;  // the site is not enabled yet: the write enables it too
};
struct EnableSite {
  static constexpr const char* kKind = "enable-site";
  std::string path;
  std::string target;
};
struct DisableDefaultSite {
  static constexpr const char* kKind = "disable-default-site";
  std::string path;
};
struct StartApache {
  static constexpr const char* kKind = "start-apache";
};
struct ReloadApache {
  static constexpr const char* kKind = "reload-apache";
};
using ApacheVhostAction = std::variant<EnsureDocroot, WriteVhost, EnableSite, DisableDefaultSite,
                                       StartApache, ReloadApache>;

struct VhostPaths {
  std::string available;             // <apache>/sites-available/pydio.conf
  std::string enabled;               // <apache>/sites-enabled/pydio.conf
  std::string enabled_target;        // what the symlink holds: ../sites-available/pydio.conf
  std::string default_site_enabled;  // <apache>/sites-enabled/000-default.conf
};

VhostPaths vhost_paths(const std::string& apache_config_dir);

// ServerName: web.serverName, else the host part of web.publicUrl, else empty (no ServerName).
std::string vhost_server_name(const common::WebSpec& web);

// The anchored Request_URI regex of the health file, e.g. ^/pydio/check\.txt$.
std::string health_uri_regex(const common::WebSpec& web);

// web with trustedProxies resolved (the lb nodes' addresses when not given): what is rendered.
common::WebSpec vhost_web(const common::DesiredState& desired);

// The complete vhost file. Fails, naming the field, when a value cannot be written into an
// Apache configuration safely (quotes, backslashes, '$', control characters). `probe_dir`
// (agent.json phpProbeDir) is served as /.pydio-agent/ to local requests only, unlogged.
common::Expected<std::string> vhost_text(const common::WebSpec& web,
                                         const std::string& probe_dir = "/var/www/pydio-agent");

struct VhostObservation {
  std::optional<std::string> current_text;  // sites-available/pydio.conf; nullopt when missing
  bool site_enabled = false;          // sites-enabled/pydio.conf is a symlink to that file
  bool default_site_enabled = false;  // sites-enabled/000-default.conf is a symlink
  bool docroot_exists = false;
  bool apache_running = false;
  bool reload_pending = false;        // a change was applied and Apache not reloaded since
  // Restart backoff (restart_guard.hpp): why a start must wait, "" when it may go ahead.
  std::string start_held_back;
  int start_number = 1;  // the agent's how-many-th start of Apache this would be
};

struct VhostWant {
  std::string text;     // vhost_text()
  VhostPaths paths;
  std::string docroot;
};

// Pure. Actions, in order: ensure-docroot, write-vhost (also enables the site, so that
// configtest sees the new file) or enable-site, disable-default-site, then start-apache when
// Apache is down (unless its restart backoff holds it back: then it waits), else reload-apache
// when anything above changes or a reload is owed.
Plan plan_vhost(const VhostWant& want, const VhostObservation& observed);

using VhostRenderer = std::function<common::Expected<std::string>(const common::WebSpec&,
                                                                   const std::string& probe_dir)>;

class ApacheVhostResource : public Resource {
 public:
  // `render` is vhost_text in production; a test passes a renderer that produces a broken
  // file to prove the working configuration survives it.
  explicit ApacheVhostResource(VhostRenderer render = vhost_text) : render_(std::move(render)) {}
  std::string name() const override { return "apache-vhost"; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;

 private:
  common::Status apply_step(const PassContext& ctx, const EnsureDocroot& step);
  common::Status apply_step(const PassContext& ctx, const WriteVhost& step);
  common::Status apply_step(const PassContext& ctx, const EnableSite& step);
  common::Status apply_step(const PassContext& ctx, const DisableDefaultSite& step);
  common::Status apply_step(const PassContext& ctx, const StartApache& step);
  common::Status apply_step(const PassContext& ctx, const ReloadApache& step);
  common::Status apply_validated_change(const PassContext& ctx, const VhostPaths& paths,
                                        const std::optional<std::string>& new_text);
  common::Status disable_default_site(const VhostPaths& paths);

  VhostRenderer render_;
  std::atomic<bool> reload_pending_{false};
  std::shared_ptr<RestartGuard> restarts_ = std::make_shared<RestartGuard>();  // Apache dying right after each start is not restarted in a storm
};

}  // namespace pydio::agent
