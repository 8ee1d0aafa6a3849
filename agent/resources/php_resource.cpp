#include "agent/resources/php_resource.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "agent/health/health_view.hpp"
#include "agent/health/php_prober.hpp"
#include "agent/host/release_links.hpp"
#include "agent/host/services.hpp"
#include "agent/resources/layout_resource.hpp"
#include "agent/resources/php_settings.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

constexpr mode_t kTempDirMode = 0700;
constexpr const char* kProbeLockName = ".pydio-agent-probe.lock";

std::string trim_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string module_name(const std::string& link) {
  std::string file = link.substr(link.rfind('/') + 1);
  return file.substr(0, file.rfind('.'));
}

bool exists_nofollow(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += (text.empty() ? "" : "; ") + line;
  return text;
}

bool has_extension(const PhpProbeResult& probe, const std::string& loaded_name) {
  return std::find(probe.extensions.begin(), probe.extensions.end(), loaded_name) !=
         probe.extensions.end();
}

}  // namespace

std::string php_probe_path(const common::LocalConfig& local) {
  return trim_trailing_slashes(local.php_probe_dir) + "/" + kProbeFile;
}

std::string php_status_note(const PhpWant& want, const PhpProbeResult& probe) {
  std::string note = "PHP " + probe.version + " (" + probe.sapi +
                     (probe.user.empty() ? "" : ", " + probe.user) + "); " +
                     want.dropin_path.substr(want.dropin_path.rfind('/') + 1) + " current";
  if (!probe.version.empty() && probe.version[0] >= '8') {
    note +=
        "; Pydio 8 asks PHP >= 5.5.9 and predates PHP 8: production needs PHP 7.x "
        "(web.php.version, docs/operations.md)";
  }
  for (const auto& line : probe.notes) note += "; " + line;
  return note;
}

Expected<Plan> plan_php(const PhpWant& want, const PhpObservation& observed) {
  const std::string& version = want.php.version;
  if (!observed.conf_dir_exists) {
    return Status::error("PHP " + version +
                         " for Apache is not installed: " + php_apache_conf_dir(version) +
                         " is missing (package libapache2-mod-php" + version + ")");
  }
  if (!observed.temp_dir_problem.empty()) return Status::error(observed.temp_dir_problem);
  std::vector<std::string> unavailable;
  for (const auto& extension : observed.extensions) {
    if (!extension.available)
      unavailable.push_back("extension " + extension.ini_name + ": " +
                            php_mods_available_dir(version) + "/" + extension.ini_name +
                            ".ini is missing (its php" + version + "-* package is not installed)");
  }
  if (!unavailable.empty()) return Status::error(joined(unavailable));

  Plan plan;
  bool reload = observed.reload_pending;
  bool restart = observed.restart_pending;
  for (const auto& module : observed.wanted_links) {
    if (module.present) continue;
    plan.actions.push_back(make_action<PhpAction>("enable Apache module " +
                                                      module_name(module.link) + ": symlink " +
                                                      module.link + " -> " + module.target,
                                                  LinkApacheModule{module.link, module.target}));
    (module.is_mpm ? restart : reload) = true;
  }
  for (const auto& link : observed.other_mpm_links) {
    plan.actions.push_back(make_action<PhpAction>(
        "disable Apache module " + module_name(link) + " (mod_php needs mpm_prefork)",
        UnlinkApacheModule{link}));
    restart = true;
  }
  if (observed.dropin_text != want.dropin_text) {
    plan.actions.push_back(
        make_action<PhpAction>("write " + want.dropin_path + " (" +
                                   (observed.dropin_text ? "changed" : "new") + ") from web.php",
                               WritePhpDropin{want.dropin_path, want.dropin_text}));
    reload = true;
  }
  if (!observed.temp_dir_ok) {
    plan.actions.push_back(make_action<PhpAction>(
        "create PHP's temporary directory " + want.php.temp_dir + " (web user, 0700, node-local)",
        MakePhpTempDir{want.php.temp_dir, observed.web_uid, observed.web_gid}));
  }
  if (observed.probe_text != want.probe_text) {
    plan.actions.push_back(
        make_action<PhpAction>("write the PHP probe page " + want.probe_path + " (root 0644)",
                               WriteProbePage{want.probe_path, want.probe_text}));
  }
  for (const auto& extension : observed.extensions) {
    if (extension.enabled) continue;
    plan.actions.push_back(make_action<PhpAction>(
        "extension " + extension.ini_name + " not loaded by Apache's PHP (" + extension.conf_file +
            " missing): phpenmod -v " + version + " -s apache2 " + extension.ini_name,
        EnablePhpExtension{version, extension.ini_name}));
    reload = true;
  }
  if (observed.apache_running && restart) {
    plan.actions.push_back(make_action<PhpAction>(
        "restart Apache: its MPM changes to mpm_prefork (mod_php needs it; a graceful reload "
        "keeps the old MPM)",
        RestartApacheForMpm{}));
  } else if (observed.apache_running && reload) {
    plan.actions.push_back(make_action<PhpAction>(
        "reload Apache gracefully (PHP's configuration changed)", ReloadApacheForPhp{}));
  }
  if (!plan.actions.empty()) return plan;

  // On disk all is as it should be: now what Apache's PHP really runs.
  if (!observed.apache_running) {
    plan.waiting_for = "Apache to run (apache-vhost starts it)";
    return plan;
  }
  const PhpProbeResult& probe = observed.probe;
  if (probe.state == PhpProbeState::kBroken || probe.state == PhpProbeState::kHung) {
    plan.note = "PHP probe: " + probe.problem + " (the health verdict says php: ...)";
    plan.recheck_soon = true;
    return plan;
  }
  if (probe.state != PhpProbeState::kOk || !observed.probe_current) {
    // On disk all is done; what Apache runs is checked in a few seconds.
    plan.note = "checking Apache's PHP with the probe after the reload";
    plan.recheck_soon = true;
    return plan;
  }
  std::vector<std::string> problems;
  for (const auto& extension : observed.extensions) {
    if (!has_extension(probe, extension.loaded_name))
      problems.push_back("extension " + extension.ini_name + " not loaded by Apache's PHP (" +
                         extension.conf_file + " exists: see Apache's error log)");
  }
  for (const auto& line : ini_mismatches(want.php, probe.ini)) problems.push_back(line);
  if (!problems.empty()) return Status::error(joined(problems));
  plan.note = php_status_note(want, probe);
  return plan;
}

bool PhpResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kCompute);
}

Expected<Plan> PhpResource::observe_and_plan(const PassContext& ctx) const {
  if (ctx.services == nullptr || ctx.local == nullptr || ctx.health == nullptr)
    return Status::error("php: pass context lacks services, local config or health view");
  const common::PhpSpec& php = ctx.desired->web.php;
  const std::string& version = php.version;
  PhpWant want;
  want.php = php;
  want.dropin_path = php_dropin_path(version);
  want.dropin_text = php_dropin_text(php);
  want.probe_path = php_probe_path(*ctx.local);
  ProbePageSettings page;
  page.node_name = ctx.self->name;
  for (const auto& volume : ctx.desired->volumes) page.mountpoints.push_back(volume.mountpoint);
  page.lock_path = trim_trailing_slashes(php.temp_dir) + "/" + kProbeLockName;
  page.release_version_file =
      trim_trailing_slashes(ctx.desired->web.docroot) + "/" + kCurrentLink + "/conf/VERSION";
  want.probe_text = php_probe_page(page);

  PhpObservation observed;
  const std::string apache = trim_trailing_slashes(ctx.local->apache_config_dir);
  for (const std::string& module : {"php" + version, std::string("mpm_prefork")}) {
    for (const char* suffix : {".load", ".conf"}) {
      const std::string file = module + suffix;
      // Only what the distribution ships: php8.2.conf exists, mpm_prefork.conf too.
      if (!exists_nofollow(apache + "/mods-available/" + file)) continue;
      ModuleLink link{apache + "/mods-enabled/" + file, "../mods-available/" + file, false,
                      module == "mpm_prefork"};
      link.present = exists_nofollow(link.link);
      observed.wanted_links.push_back(link);
    }
  }
  if (!exists_nofollow(apache + "/mods-available/php" + version + ".load")) {
    return Status::error("Apache module php" + version + " is not available: " + apache +
                         "/mods-available/php" + version +
                         ".load is missing (package "
                         "libapache2-mod-php" +
                         version + ")");
  }
  for (const char* other : {"mpm_event", "mpm_worker"}) {
    for (const char* suffix : {".load", ".conf"}) {
      const std::string link = apache + "/mods-enabled/" + other + suffix;
      if (exists_nofollow(link)) observed.other_mpm_links.push_back(link);
    }
  }
  struct stat st {};
  observed.conf_dir_exists = ::stat(php_apache_conf_dir(version).c_str(), &st) == 0;
  auto dropin = common::read_optional_file(want.dropin_path);
  if (!dropin) return dropin.status();
  observed.dropin_text = *dropin;
  auto probe_page = common::read_optional_file(want.probe_path);
  if (!probe_page) return probe_page.status();
  observed.probe_text = *probe_page;

  auto uid = resolve_web_user(ctx.desired->web.user);
  if (!uid) return uid.status();
  auto gid = resolve_web_group(ctx.desired->web.group);
  if (!gid) return gid.status();
  observed.web_uid = *uid;
  observed.web_gid = *gid;
  if (::lstat(php.temp_dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      observed.temp_dir_problem = "web.php.tempDir " + php.temp_dir + ": not a directory (" +
                                  common::file_type_name(st.st_mode) + "); remove it";
    }
    observed.temp_dir_ok =
        S_ISDIR(st.st_mode) && st.st_uid == *uid && (st.st_mode & 07777) == kTempDirMode;
  } else if (errno != ENOENT) {
    return Status::error("lstat " + php.temp_dir + ": " + common::errno_text(errno));
  }

  for (const auto& extension : pydio_php_extensions()) {
    PhpExtensionState state{extension.ini_name, extension.loaded_name, "", false, false};
    auto available = common::read_optional_file(php_mods_available_dir(version) + "/" +
                                                extension.ini_name + ".ini");
    if (!available) return available.status();
    state.available = available->has_value();
    const int priority = state.available ? php_module_priority(**available) : 20;
    state.conf_file = php_apache_conf_dir(version) + "/" + std::to_string(priority) + "-" +
                      extension.ini_name + ".ini";
    state.enabled = ::stat(state.conf_file.c_str(), &st) == 0;
    observed.extensions.push_back(state);
  }

  observed.apache_running = ctx.services->is_running(Service::kApache);
  observed.reload_pending = reload_pending_.load();
  observed.restart_pending = restart_pending_.load();
  observed.probe = ctx.health->php_probe();
  const auto reloaded_at =
      std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(reloaded_at_));
  // A request sent just before the reload may have been answered by an old worker.
  observed.probe_current =
      reloaded_at_ == 0 ||
      observed.probe.finished_at >= reloaded_at + PhpProber::kEvery + std::chrono::seconds(1);
  return plan_php(want, observed);
}

}  // namespace pydio::agent
