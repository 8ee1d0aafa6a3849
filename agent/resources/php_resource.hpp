#pragma once
// PHP for Apache on every compute node (web.php): Apache's modules php<v> and mpm_prefork
// enabled (mod_php does not run under a threaded MPM; an MPM change needs a full restart, a
// graceful one keeps the old MPM), the agent's drop-in <conf.d>/99-pydio-agent.ini rendered
// from web.php (compared by text, written atomically), PHP's upload temporary directory
// (web.tempDir, node-local, web user 0700), every extension Pydio uses enabled for Apache's
// PHP (phpenmod), and the probe page the health monitor asks (<phpProbeDir>/probe.php, root
// 0644). Apache is reloaded gracefully only when one of these changed, never restarted for a
// settings change.
//
// After a reload the probe's ini values must equal the drop-in's: a later-sorting file or a
// php_admin_value overriding ours is an error naming the setting. The status note gives PHP's
// version and, for PHP >= 8, that Pydio 8 predates PHP 8 (docs/operations.md).
//
// Remembers across passes that a reload (or restart) is owed and when Apache last reloaded,
// so the reconciler keeps one instance for the life of the daemon.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/health/php_probe.hpp"
#include "agent/reconcile/resource.hpp"

namespace pydio::agent {

struct LinkApacheModule {
  static constexpr const char* kKind = "enable-apache-module";
  std::string link;    // <apache>/mods-enabled/php8.2.load
  std::string target;  // ../mods-available/php8.2.load
};
struct UnlinkApacheModule {
  static constexpr const char* kKind = "disable-apache-module";
  std::string link;  // <apache>/mods-enabled/mpm_event.load
};
struct WritePhpDropin {
  static constexpr const char* kKind = "write-php-dropin";
  std::string path;
  std::string text;
};
struct MakePhpTempDir {
  static constexpr const char* kKind = "make-php-temp-dir";
  std::string path;
  uid_t uid = 0;
  gid_t gid = 0;
};
struct WriteProbePage {
  static constexpr const char* kKind = "write-probe-page";
  std::string path;  // <phpProbeDir>/probe.php
  std::string text;
};
struct EnablePhpExtension {
  static constexpr const char* kKind = "enable-php-extension";
  std::string version;
  std::string ini_name;
};
struct ReloadApacheForPhp {
  static constexpr const char* kKind = "reload-apache";
};
struct RestartApacheForMpm {
  static constexpr const char* kKind = "restart-apache";
};
using PhpAction =
    std::variant<LinkApacheModule, UnlinkApacheModule, WritePhpDropin, MakePhpTempDir,
                 WriteProbePage, EnablePhpExtension, ReloadApacheForPhp, RestartApacheForMpm>;

// An Apache module file under mods-enabled: link name and what the link must hold.
struct ModuleLink {
  std::string link;
  std::string target;
  bool present = false;  // observed: a symlink (or file) is there
  bool is_mpm = false;   // mpm_prefork.load: a change needs a restart
};

struct PhpExtensionState {
  std::string ini_name;     // "intl"
  std::string loaded_name;  // "intl"
  std::string conf_file;    // <conf.d>/20-intl.ini
  bool available = false;   // mods-available/intl.ini exists (its package is installed)
  bool enabled = false;     // conf_file exists
};

struct PhpObservation {
  std::vector<ModuleLink> wanted_links;      // php<v>.load/.conf, mpm_prefork.load/.conf
  std::vector<std::string> other_mpm_links;  // mods-enabled/mpm_event.load, ... (present)
  bool conf_dir_exists = false;              // /etc/php/<v>/apache2/conf.d
  std::optional<std::string> dropin_text;
  std::optional<std::string> probe_text;
  bool temp_dir_ok = false;      // a real directory, web user's, 0700
  std::string temp_dir_problem;  // something else is there (a link, a file): an error
  uid_t web_uid = 0;
  gid_t web_gid = 0;
  std::vector<PhpExtensionState> extensions;
  bool apache_running = false;
  bool reload_pending = false;
  bool restart_pending = false;
  // The probe's last answer, and whether it came late enough after the last reload to show
  // the configuration Apache runs now.
  PhpProbeResult probe;
  bool probe_current = false;
};

struct PhpWant {
  common::PhpSpec php;
  std::string dropin_path;
  std::string dropin_text;
  std::string probe_path;
  std::string probe_text;
};

// Pure. Actions in order: module links (and other MPMs off), drop-in, temp dir, probe page,
// missing extensions (phpenmod), then restart (MPM changed) or graceful reload (anything else
// changed, or owed) when Apache runs. In sync: the note with PHP's version; an error when the
// probe shows settings that differ from the drop-in or an enabled extension not loaded.
common::Expected<Plan> plan_php(const PhpWant& want, const PhpObservation& observed);

// "PHP 8.2.36 (apache2handler, www-data); 99-pydio-agent.ini current; Pydio 8 predates PHP 8:
// ..." — the in-sync note.
std::string php_status_note(const PhpWant& want, const PhpProbeResult& probe);

class PhpResource : public Resource {
 public:
  std::string name() const override { return "php"; }
  std::vector<std::string> depends_on() const override { return {"packages"}; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;

 private:
  common::Status apply_step(const PassContext& ctx, const LinkApacheModule& step);
  common::Status apply_step(const PassContext& ctx, const UnlinkApacheModule& step);
  common::Status apply_step(const PassContext& ctx, const WritePhpDropin& step);
  common::Status apply_step(const PassContext& ctx, const MakePhpTempDir& step);
  common::Status apply_step(const PassContext& ctx, const WriteProbePage& step);
  common::Status apply_step(const PassContext& ctx, const EnablePhpExtension& step);
  common::Status apply_step(const PassContext& ctx, const ReloadApacheForPhp& step);
  common::Status apply_step(const PassContext& ctx, const RestartApacheForMpm& step);

  std::atomic<bool> reload_pending_{false};
  std::atomic<bool> restart_pending_{false};
  // steady_clock ticks of the last reload or restart this resource made (0: none).
  std::atomic<std::chrono::steady_clock::rep> reloaded_at_{0};
};

// The probe page's settings and path for this pass (also used by the vhost's Alias).
std::string php_probe_path(const common::LocalConfig& local);

}  // namespace pydio::agent
