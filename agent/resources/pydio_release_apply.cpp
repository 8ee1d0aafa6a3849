// PydioReleaseResource::apply(): each step of plan_pydio_release().

#include "agent/cluster/abandonable.hpp"
#include "agent/host/release_fetch.hpp"
#include "agent/host/release_links.hpp"
#include "agent/host/release_unpack.hpp"
#include "agent/host/root_only_path.hpp"
#include "agent/host/services.hpp"
#include "agent/resources/apache_vhost_resource.hpp"
#include "agent/resources/layout_resource.hpp"
#include "agent/resources/pydio_release_resource.hpp"
#include "agent/resources/pydio_wiring_resource.hpp"
#include "agent/resources/release_stage.hpp"

namespace pydio::agent {

using common::Status;

namespace {

// Generous: a release archive is tens of MB, read from the config volume.
constexpr std::chrono::minutes kFetchTimeout{10};

std::string trimmed_dir(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

std::string docroot_of(const PassContext& ctx) { return trimmed_dir(ctx.desired->web.docroot); }

std::string releases_dir_of(const PassContext& ctx) { return docroot_of(ctx) + "/releases"; }

std::string archive_dir_of(const PassContext& ctx) {
  return trimmed_dir(ctx.local->state_dir) + "/releases";
}

std::string version_in(const std::string& releases_dir, const std::string& id) {
  auto marker = read_release_marker(releases_dir, id);
  return marker && *marker ? (*marker)->version : id;
}

// Puts `current` and `previous` back as they were before a switch.
Status restore_links(const std::string& docroot, const std::string& old_current,
                     const std::string& old_previous) {
  // Nothing served before: no link, as before (a release that never passed is not served).
  Status current = old_current.empty() ? remove_release_link(docroot, kCurrentLink)
                                       : point_release_link(docroot, kCurrentLink, old_current);
  if (!current) return current;
  return old_previous.empty() ? remove_release_link(docroot, kPreviousLink)
                              : point_release_link(docroot, kPreviousLink, old_previous);
}

}  // namespace

ReleaseSwitchHooks real_release_switch_hooks() {
  ReleaseSwitchHooks hooks;
  hooks.reload = [](const PassContext& ctx) {
    if (ctx.services == nullptr) return Status::error("reload Apache: no services in the pass");
    return ctx.services->reload(Service::kApache);
  };
  hooks.check = [](const ReleaseCheckRequest& request) { return check_release(request); };
  return hooks;
}

Status PydioReleaseResource::apply(const PassContext& ctx, const Action& action) {
  Status status = visit_action<PydioReleaseAction>(
      name(), action, [&](const auto& step) { return apply_step(ctx, step); });
  publish_report(ctx);
  return status;
}

void PydioReleaseResource::publish_report(const PassContext& ctx) const {
  if (ctx.release_report == nullptr) return;
  auto observed = observe(ctx);
  if (observed) ctx.release_report->set(release_report_of(*observed));
}

Status PydioReleaseResource::apply_step(const PassContext& ctx, const StageReleaseStep& step) {
  const common::WebSpec& web = ctx.desired->web;
  const auto* config = ctx.desired->find_volume(common::kConfigVolume);
  if (config == nullptr) return Status::error("stage release: no pydio-config volume");
  // Checked before anything is copied: bad ground changes nothing.
  Status ground = check_root_only_path(releases_dir_of(ctx));
  if (!ground) return ground.with_context("stage release " + short_sha(step.sha256));
  const std::string hex = release_hex(step.sha256);
  const std::string source =
      trimmed_dir(config->mountpoint) + "/pydio-agent/releases/" + hex + ".tar.gz";
  const std::string archive_dir = archive_dir_of(ctx);
  // The source is on a FUSE mount: a hung one must not hold this resource forever.
  const std::string sha = step.sha256;
  auto fetched = run_abandonable<bool>(
      [source, archive_dir, sha]() -> common::Expected<bool> {
        Status copied = fetch_release_archive(source, archive_dir, sha);
        if (!copied) return copied;
        return true;
      },
      kFetchTimeout, "copy " + source);
  if (!fetched) return fetched.status().with_context("stage release " + short_sha(step.sha256));
  const std::string releases_dir = releases_dir_of(ctx);
  Status unpacked =
      unpack_release(*ctx.runner, archive_dir + "/" + hex + ".tar.gz", releases_dir, step.id);
  if (!unpacked) return unpacked.with_context("stage release " + short_sha(step.sha256));

  auto uid = resolve_web_user(web.user);
  if (!uid) return uid.status();
  auto gid = resolve_web_group(web.group);
  if (!gid) return gid.status();
  StageRelease stage;
  stage.releases_dir = releases_dir;
  stage.id = step.id;
  stage.sha256 = step.sha256;
  stage.cache_root = trimmed_dir(common::web_local_cache_dir(web));
  stage.wiring = wiring_targets(*ctx.desired);
  stage.uid = *uid;
  stage.gid = *gid;
  auto version = finish_staged_release(*ctx.runner, stage);
  if (!version) return version.status().with_context("stage release " + short_sha(step.sha256));
  return Status::ok();
}

Status PydioReleaseResource::apply_step(const PassContext& ctx, const SwitchReleaseStep& step) {
  const std::string docroot = docroot_of(ctx);
  const std::string releases_dir = releases_dir_of(ctx);
  Status ground = check_root_only_path(releases_dir);
  if (!ground) return ground.with_context("switch release " + short_sha(step.sha256));
  auto marker = read_release_marker(releases_dir, step.id);
  if (!marker) return marker.status();
  if (!*marker || (*marker)->sha256 != step.sha256)
    return Status::error("switch release: " + releases_dir + "/" + step.id + " is not staged");
  auto old_current = read_release_link(docroot, kCurrentLink);
  if (!old_current) return old_current.status();
  auto old_previous = read_release_link(docroot, kPreviousLink);
  if (!old_previous) return old_previous.status();
  ReleaseSwitchRecord record{step.sha256, step.id, (*marker)->version, *old_current, *old_previous};
  // Durable before any link changes: an agent killed after this finds the check still owed.
  Status recorded = save_release_switch(ctx.local->state_dir, record);
  if (!recorded) return recorded.with_context("switch to release " + record.version);

  if (!old_current->empty() && *old_current != step.id) {
    Status kept = point_release_link(docroot, kPreviousLink, *old_current);
    if (!kept) return kept;
  }
  Status switched = point_release_link(docroot, kCurrentLink, step.id);
  if (!switched) return switched;
  return reload_and_check(ctx, record);
}

Status PydioReleaseResource::apply_step(const PassContext& ctx,
                                        const CheckSwitchedReleaseStep& step) {
  Status ground = check_root_only_path(releases_dir_of(ctx));
  if (!ground) return ground.with_context("check release " + step.record.version);
  return reload_and_check(ctx, step.record);
}

Status PydioReleaseResource::apply_step(const PassContext& ctx, const ForgetReleaseSwitchStep&) {
  return forget_release_switch(ctx.local->state_dir);
}

Status PydioReleaseResource::reload_and_check(const PassContext& ctx,
                                              const ReleaseSwitchRecord& record) {
  const common::WebSpec& web = ctx.desired->web;
  const std::string docroot = docroot_of(ctx);
  const std::string releases_dir = releases_dir_of(ctx);
  const std::string& state_dir = ctx.local->state_dir;
  Status reloaded = hooks_.reload(ctx);
  if (!reloaded) {
    // Apache did not take the switch: not the release's fault. Back as it was, try again later.
    Status restored = restore_links(docroot, record.old_current, record.old_previous);
    if (restored) restored = forget_release_switch(state_dir);
    return Status::error(
        "switch to release " + record.version + ": reload Apache: " + reloaded.message() +
        (restored ? "; links put back" : "; putting the links back failed: " + restored.message()));
  }
  ReleaseCheckRequest request;
  request.alias = web.alias;
  const std::string server_name = vhost_server_name(web);
  request.host = server_name.empty() ? "localhost" : server_name;
  request.version = record.version;
  request.error_log = apache_log_dir(ctx.local->apache_config_dir) + "/pydio-error.log";
  const std::string reason = hooks_.check(request);
  if (reason.empty()) return forget_release_switch(state_dir);

  // The check failed: serve what was served before, and remember not to try this one again.
  ReleaseFailure failure;
  failure.release = record.release;
  failure.version = record.version;
  failure.reason = reason;
  Status restored = restore_links(docroot, record.old_current, record.old_previous);
  if (!record.old_current.empty()) {
    failure.switched_back_to = version_in(releases_dir, record.old_current);
    if (restored) {
      Status back = hooks_.reload(ctx);
      if (!back) restored = back.with_context("reload Apache after switching back");
    }
  }
  Status saved = save_release_failure(state_dir, failure);
  // Settled once the links are back (else the next start checks again and switches back).
  Status forgotten = restored ? forget_release_switch(state_dir) : Status::ok();
  std::string message = release_failure_message(failure);
  if (!restored) message += "; switching back failed: " + restored.message();
  if (!saved) message += "; " + saved.message();
  if (!forgotten) message += "; " + forgotten.message();
  return Status::error(message);
}

Status PydioReleaseResource::apply_step(const PassContext& ctx, const PruneReleasesStep&) {
  const std::string docroot = docroot_of(ctx);
  Status ground = check_root_only_path(releases_dir_of(ctx));
  if (!ground) return ground.with_context("prune releases");
  const common::ReleaseTarget target = common::release_target(ctx.desired->web, ctx.self->name);
  std::set<std::string> keep;
  for (const auto& sha : {target.current, target.stage})
    if (!sha.empty()) keep.insert(common::release_id(sha));
  for (const char* link : {kCurrentLink, kPreviousLink}) {
    auto id = read_release_link(docroot, link);
    if (!id) return id.status();
    if (!id->empty()) keep.insert(*id);
  }
  ReleaseDirs dirs{releases_dir_of(ctx), trimmed_dir(common::web_local_cache_dir(ctx.desired->web)),
                   archive_dir_of(ctx)};
  return prune_releases(*ctx.runner, dirs, keep);
}

Status PydioReleaseResource::apply_step(const PassContext& ctx, const ForgetReleaseFailureStep&) {
  return forget_release_failure(ctx.local->state_dir);
}

}  // namespace pydio::agent
