// PhpResource::apply(): each step of plan_php().

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "agent/host/nofollow_dir.hpp"
#include "agent/host/services.hpp"
#include "agent/resources/php_resource.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Command;
using common::Status;

namespace {

constexpr std::chrono::seconds kPhpenmodTimeout{30};
constexpr std::chrono::seconds kStopTimeout{30};
constexpr mode_t kTempDirMode = 0700;
constexpr mode_t kProbeDirMode = 0755;

Status checked_run(common::ProcessRunner& runner, const Command& command, const std::string& what) {
  common::RunResult result = runner.run(command);
  if (result.succeeded()) return Status::ok();
  return Status::error(what + ": " + result.describe_failure(command.argv));
}

}  // namespace

Status PhpResource::apply(const PassContext& ctx, const Action& action) {
  return visit_action<PhpAction>(name(), action,
                                 [&](const auto& step) { return apply_step(ctx, step); });
}

Status PhpResource::apply_step(const PassContext&, const LinkApacheModule& step) {
  // A foreign file under the link's name goes (mods-enabled is Apache's, owned by root).
  if (::unlink(step.link.c_str()) != 0 && errno != ENOENT)
    return Status::error("remove " + step.link + ": " + common::errno_text(errno));
  if (::symlink(step.target.c_str(), step.link.c_str()) != 0)
    return Status::error("symlink " + step.link + ": " + common::errno_text(errno));
  if (step.link.find("mpm_") != std::string::npos) {
    restart_pending_ = true;
  } else {
    reload_pending_ = true;
  }
  return Status::ok();
}

Status PhpResource::apply_step(const PassContext&, const UnlinkApacheModule& step) {
  if (::unlink(step.link.c_str()) != 0 && errno != ENOENT)
    return Status::error("remove " + step.link + ": " + common::errno_text(errno));
  restart_pending_ = true;
  return Status::ok();
}

Status PhpResource::apply_step(const PassContext&, const WritePhpDropin& step) {
  Status written = common::write_file_atomically(step.path, step.text, 0644);
  if (!written) return written.with_context("write " + step.path);
  reload_pending_ = true;
  return Status::ok();
}

Status PhpResource::apply_step(const PassContext&, const MakePhpTempDir& step) {
  // Node-local and root's down to the last component; that one is the web user's.
  const std::string parent = step.path.substr(0, step.path.rfind('/'));
  auto parent_dir = open_directory_nofollow(parent.empty() ? "/" : parent, MissingDirs::kCreate);
  if (!parent_dir) return parent_dir.status().with_context("create " + parent);
  auto dir = open_directory_nofollow(step.path, MissingDirs::kCreate, kTempDirMode);
  if (!dir) return dir.status().with_context("create " + step.path);
  if (::fchown((*dir)->get(), step.uid, step.gid) != 0)
    return Status::error("chown " + step.path + ": " + common::errno_text(errno));
  if (::fchmod((*dir)->get(), kTempDirMode) != 0)
    return Status::error("chmod " + step.path + ": " + common::errno_text(errno));
  return Status::ok();
}

Status PhpResource::apply_step(const PassContext&, const WriteProbePage& step) {
  const std::string dir = step.path.substr(0, step.path.rfind('/'));
  auto opened = open_directory_nofollow(dir, MissingDirs::kCreate, kProbeDirMode);
  if (!opened) return opened.status().with_context("create " + dir);
  Status written = common::write_file_atomically(step.path, step.text, 0644);
  return written.with_context("write " + step.path);
}

Status PhpResource::apply_step(const PassContext& ctx, const EnablePhpExtension& step) {
  Command command({"phpenmod", "-v", step.version, "-s", "apache2", step.ini_name},
                  kPhpenmodTimeout);
  Status enabled = checked_run(*ctx.runner, command, "phpenmod " + step.ini_name);
  if (enabled) reload_pending_ = true;
  return enabled;
}

Status PhpResource::apply_step(const PassContext& ctx, const ReloadApacheForPhp&) {
  if (!reload_pending_) return Status::ok();
  Status reloaded = ctx.services->reload(Service::kApache);
  if (!reloaded) return reloaded;
  reload_pending_ = false;
  reloaded_at_ = std::chrono::steady_clock::now().time_since_epoch().count();
  return Status::ok();
}

// A graceful reload keeps the MPM Apache started with: a new one needs the main process to
// go. Under systemd `systemctl restart`; else apache2ctl stop, wait until it is gone, start.
Status PhpResource::apply_step(const PassContext& ctx, const RestartApacheForMpm&) {
  if (ctx.services->uses_systemd()) {
    Status restarted =
        checked_run(*ctx.runner, Command({"systemctl", "restart", "apache2"}, kStopTimeout * 3),
                    "restart apache2");
    if (!restarted) return restarted;
  } else {
    Command stop({"apache2ctl", "stop"}, kStopTimeout);
    stop.extra_env["APACHE_CONFDIR"] = ctx.local->apache_config_dir;
    Status stopped = checked_run(*ctx.runner, stop, "stop apache2 for its MPM change");
    if (!stopped) return stopped;
    const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
    while (ctx.services->is_running(Service::kApache)) {
      if (std::chrono::steady_clock::now() > deadline)
        return Status::error("stop apache2 for its MPM change: still running after " +
                             std::to_string(kStopTimeout.count()) + " s");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    Status started = ctx.services->start(Service::kApache);
    if (!started) return started;
  }
  restart_pending_ = false;
  reload_pending_ = false;
  reloaded_at_ = std::chrono::steady_clock::now().time_since_epoch().count();
  return Status::ok();
}

}  // namespace pydio::agent
