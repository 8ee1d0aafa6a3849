#include "agent/resources/pydio_release_resource.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>

#include "agent/cluster/abandonable.hpp"
#include "agent/host/nofollow_dir.hpp"
#include "agent/host/release_fetch.hpp"
#include "agent/host/release_links.hpp"
#include "agent/resources/release_stage.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

constexpr std::chrono::seconds kLookTimeout{10};

std::string trimmed_dir(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

const InstalledRelease* find_installed(const PydioReleaseObservation& observed,
                                       const std::string& sha256) {
  for (const auto& release : observed.installed)
    if (release.sha256 == sha256) return &release;
  return nullptr;
}

const InstalledRelease* find_by_id(const PydioReleaseObservation& observed, const std::string& id) {
  for (const auto& release : observed.installed)
    if (release.id == id) return &release;
  return nullptr;
}

std::string version_of(const PydioReleaseObservation& observed, const std::string& sha256) {
  if (const InstalledRelease* installed = find_installed(observed, sha256))
    return installed->version;
  auto known = observed.known_versions.find(sha256);
  return known != observed.known_versions.end() ? known->second : short_sha(sha256);
}

bool exists_nofollow(const std::string& dir, const std::string& name) {
  auto opened = open_directory_nofollow(dir);
  if (!opened || !opened->has_value()) return false;
  struct stat st {};
  return ::fstatat((*opened)->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISREG(st.st_mode);
}

}  // namespace

bool switch_check_owed(const PydioReleaseObservation& observed) {
  const auto& record = observed.switch_record;
  return record && !observed.target.current.empty() && record->id == observed.current_id &&
         record->release == observed.target.current;
}

NodeReleaseReport release_report_of(const PydioReleaseObservation& observed) {
  NodeReleaseReport report;
  report.release_mode = true;
  // An unchecked release is not vouched for: until its check passes the node reports the one it
  // switched from (the one a failed check goes back to), so the rollout does not move on.
  const bool owed = switch_check_owed(observed);
  const std::string current_id = owed ? observed.switch_record->old_current : observed.current_id;
  const std::string previous_id =
      owed ? observed.switch_record->old_previous : observed.previous_id;
  if (const InstalledRelease* current = find_by_id(observed, current_id)) {
    report.current = current->sha256;
    report.version = current->version;
  }
  if (const InstalledRelease* previous = find_by_id(observed, previous_id)) {
    report.previous = previous->sha256;
    report.previous_version = previous->version;
  }
  for (const auto& release : observed.installed) {
    if (release.id == current_id) continue;
    report.staged.push_back(release.sha256);
    report.staged_versions.push_back(release.version);
  }
  if (observed.failure) {
    report.failed = true;
    report.failed_release = observed.failure->release;
    report.failed_reason = observed.failure->reason;
  }
  return report;
}

Expected<Plan> plan_pydio_release(const PydioReleaseObservation& observed) {
  Plan plan;
  const common::ReleaseTarget& target = observed.target;
  if (target.current.empty()) {
    plan.note = "no release to serve";
    return plan;
  }
  const bool failed_here = observed.failure && observed.failure->release == target.current;
  if (observed.failure && !failed_here) {
    plan.actions.push_back(make_action<PydioReleaseAction>(
        "forget that release " + observed.failure->version +
            " failed its check here (the desired state no longer names it)",
        ForgetReleaseFailureStep{}));
  }
  const bool check_owed = switch_check_owed(observed);
  if (check_owed) {
    const ReleaseSwitchRecord& record = *observed.switch_record;
    const InstalledRelease* from = find_by_id(observed, record.old_current);
    plan.actions.push_back(make_action<PydioReleaseAction>(
        "check release " + record.version +
            ": the agent stopped between switching current to it and checking it; reload "
            "Apache gracefully, check the start page" +
            (from == nullptr ? std::string(" (nothing to switch back to)")
                             : " (switch back to " + from->version + " if it fails)"),
        CheckSwitchedReleaseStep{record}));
  } else if (observed.switch_record) {
    plan.actions.push_back(make_action<PydioReleaseAction>(
        "forget the record of a switch to release " + observed.switch_record->version +
            " that did not happen or was undone (current is " +
            (observed.current_id.empty() ? std::string("none") : observed.current_id) + ")",
        ForgetReleaseSwitchStep{}));
  }
  bool current_available = find_installed(observed, target.current) != nullptr;
  for (const std::string& sha : {target.current, target.stage}) {
    if (sha.empty() || find_installed(observed, sha) != nullptr) continue;
    if (sha == target.stage && sha == target.current) continue;
    if (observed.published.count(sha) == 0) {
      plan.waiting_for = "release " + version_of(observed, sha) + ": " +
                         observed.archive_source_dir + "/" + release_hex(sha) +
                         ".tar.gz on pydio-config (agentctl app publish stores it)";
      continue;
    }
    plan.actions.push_back(make_action<PydioReleaseAction>(
        "stage release " + version_of(observed, sha) + " (" + short_sha(sha) +
            "): copy and verify it from pydio-config, unpack into " + observed.dirs.releases_dir +
            "/" + common::release_id(sha) + ", point it into the volumes",
        StageReleaseStep{sha, common::release_id(sha)}));
    if (sha == target.current) current_available = true;
  }
  const std::string target_id = common::release_id(target.current);
  const bool switching = observed.current_id != target_id && !failed_here && current_available;
  if (switching) {
    const InstalledRelease* from = find_by_id(observed, observed.current_id);
    plan.actions.push_back(make_action<PydioReleaseAction>(
        (from == nullptr
             ? "serve release " + version_of(observed, target.current) + " (nothing current yet)"
             : "switch from release " + from->version + " to " +
                   version_of(observed, target.current)) +
            ": link current to releases/" + target_id +
            ", reload Apache gracefully, check the start page (switch back if it fails)",
        SwitchReleaseStep{target.current, target_id}));
  }
  // What stays: the targets, the current release, and the previous one (after a switch the
  // current one becomes the previous).
  std::set<std::string> keep{target_id, observed.current_id};
  if (!target.stage.empty()) keep.insert(common::release_id(target.stage));
  if (!switching) keep.insert(observed.previous_id);
  if (check_owed) {  // what a failed check puts back
    keep.insert(observed.switch_record->old_current);
    keep.insert(observed.switch_record->old_previous);
  }
  keep.erase("");
  const auto steps = prune_steps(observed.dirs, observed.release_names, observed.cache_names,
                                 observed.archive_names, keep);
  if (!steps.empty()) {
    std::string names;
    for (const auto& step : steps) names += (names.empty() ? "" : ", ") + step.path;
    plan.actions.push_back(make_action<PydioReleaseAction>(
        "remove releases no longer needed: " + names, PruneReleasesStep{}));
  }
  if (failed_here && plan.actions.empty() && plan.waiting_for.empty())
    return Status::error(release_failure_message(*observed.failure));
  plan.note = release_status_note(release_report_of(observed));
  return plan;
}

std::vector<std::string> PydioReleaseResource::depends_on() const {
  // The vhost serves <docroot>/current and Apache runs, and the PHP probe page that reports
  // the release PHP runs is in place: the check after a switch needs all three.
  return {std::string("fuse-mount/") + common::kDataVolume,
          std::string("fuse-mount/") + common::kConfigVolume, "apache-vhost", "php"};
}

bool PydioReleaseResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kCompute) &&
         ctx.desired->web.release.has_value() &&
         ctx.desired->find_volume(common::kConfigVolume) != nullptr &&
         ctx.desired->find_volume(common::kDataVolume) != nullptr;
}

Expected<PydioReleaseObservation> PydioReleaseResource::observe(const PassContext& ctx) const {
  if (ctx.local == nullptr) return Status::error("pydio-release: pass context lacks local config");
  const common::WebSpec& web = ctx.desired->web;
  PydioReleaseObservation observed;
  observed.target = common::release_target(web, ctx.self->name);
  if (web.release) observed.known_versions[web.release->sha256] = web.release->version;
  const std::string docroot = trimmed_dir(web.docroot);
  observed.dirs.releases_dir = docroot + "/releases";
  observed.dirs.cache_dir = trimmed_dir(common::web_local_cache_dir(web));
  observed.dirs.archive_dir = trimmed_dir(ctx.local->state_dir) + "/releases";
  if (const auto* config = ctx.desired->find_volume(common::kConfigVolume))
    observed.archive_source_dir = trimmed_dir(config->mountpoint) + "/pydio-agent/releases";

  auto names = directory_names(observed.dirs.releases_dir);
  if (!names) return names.status();
  observed.release_names = *names;
  for (const auto& name : observed.release_names) {
    if (!is_release_id(name)) continue;
    auto marker = read_release_marker(observed.dirs.releases_dir, name);
    if (!marker) return marker.status();
    if (*marker && common::release_id((*marker)->sha256) == name)
      observed.installed.push_back(InstalledRelease{name, (*marker)->sha256, (*marker)->version});
  }
  for (const std::string& sha : {observed.target.current, observed.target.stage}) {
    // The config volume is read only for a release the node still lacks, and on a thread of
    // its own: a hung FUSE mount must not hold the resource (nor a dry run).
    if (sha.empty() || find_installed(observed, sha) != nullptr) continue;
    const std::string dir = observed.archive_source_dir;
    const std::string name = release_hex(sha) + ".tar.gz";
    auto published = run_abandonable<bool>(
        [dir, name]() -> Expected<bool> { return exists_nofollow(dir, name); }, kLookTimeout,
        "look for " + dir + "/" + name);
    if (!published) return published.status();
    if (*published) observed.published.insert(sha);
  }
  auto current = read_release_link(docroot, kCurrentLink);
  if (!current) return current.status();
  observed.current_id = *current;
  auto previous = read_release_link(docroot, kPreviousLink);
  if (!previous) return previous.status();
  observed.previous_id = *previous;
  auto failure = load_release_failure(ctx.local->state_dir);
  if (!failure) return failure.status();
  observed.failure = *failure;
  auto record = load_release_switch(ctx.local->state_dir);
  if (!record) return record.status();
  observed.switch_record = *record;
  auto caches = directory_names(observed.dirs.cache_dir);
  if (!caches) return caches.status();
  observed.cache_names = *caches;
  auto archives = directory_names(observed.dirs.archive_dir);
  if (!archives) return archives.status();
  observed.archive_names = *archives;
  return observed;
}

Expected<Plan> PydioReleaseResource::observe_and_plan(const PassContext& ctx) const {
  auto observed = observe(ctx);
  if (!observed) return observed.status();
  auto plan = plan_pydio_release(*observed);
  if (ctx.release_report != nullptr) {
    // Published on real passes only (a dry run changes nothing anyone reads).
    auto report = release_report_of(*observed);
    auto* holder = ctx.release_report;
    if (plan) plan->remember = [holder, report] { holder->set(report); };
  }
  return plan;
}

}  // namespace pydio::agent
