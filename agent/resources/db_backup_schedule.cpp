#include "agent/resources/db_backup_schedule.hpp"

#include <algorithm>

#include "agent/cluster/peer_client.hpp"
#include "common/galera_bootstrap.hpp"
#include "common/text.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

namespace {

// A member's database report older than this says nothing about now.
constexpr std::int64_t kReportMaxAgeSeconds = 120;
// A backup that claims to have finished later than this after now was timed by a clock that
// is wrong (a node booted before its clock was set): it must not put off the next one.
constexpr std::int64_t kClockSlackSeconds = 300;

bool from_the_future(std::int64_t finished_at, std::int64_t now) {
  return finished_at > now + kClockSlackSeconds;
}

std::string age_text(std::int64_t seconds) {
  if (seconds < 120) return std::to_string(seconds) + " s";
  if (seconds < 7200) return std::to_string(seconds / 60) + " min";
  return std::to_string(seconds / 3600) + " h";
}

}  // namespace

BackupMemberView backup_member_view(const std::string& name, const std::string& address,
                                    const nlohmann::json* report, std::int64_t now) {
  BackupMemberView view;
  view.name = name;
  view.address = address;
  if (report == nullptr || !report->is_object()) return view;
  const auto database = report->find("database");
  if (database == report->end()) return view;
  const common::DbMemberReport member =
      common::db_member_report_from(name, *database, now, kReportMaxAgeSeconds);
  view.answered = member.error.empty();
  // `primary` is galera_serving(): Synced, in the primary component, ready.
  view.serving = view.answered && member.running && (!member.galera || member.primary);
  const auto backup = report->find("dbBackup");
  if (backup == report->end() || !backup->is_object()) return view;
  // A peer's report: a field of the wrong type counts as missing.
  const nlohmann::json& b = *backup;
  view.mounted = bool_field(b, "mounted");
  if (b.contains("running") && b["running"].is_object())
    view.backup_running = text_field(b["running"], "name", "?");
  if (b.contains("last") && b["last"].is_object() && !bool_field(b["last"], "ok"))
    view.last_error = text_field(b["last"], "error");
  const nlohmann::json newest = object_field(object_field(b, "catalog"), "newest");
  if (!newest.empty()) {
    view.newest_finished_at = int_field(newest, "finishedAtSeconds", -1);
    view.newest_name = text_field(newest, "name");
  }
  return view;
}

std::pair<std::int64_t, std::string> newest_reported_backup(
    const std::vector<BackupMemberView>& members) {
  std::pair<std::int64_t, std::string> newest{-1, ""};
  for (const auto& m : members)
    if (m.newest_finished_at > newest.first) newest = {m.newest_finished_at, m.newest_name};
  return newest;
}

BackupStatusLines backup_status_lines(const common::BackupSpec& spec,
                                      const std::vector<BackupMemberView>& members,
                                      std::int64_t now) {
  BackupStatusLines lines;
  const auto [newest_at, newest_name] = newest_reported_backup(members);
  const bool future = from_the_future(newest_at, now);
  const bool stale =
      newest_at < 0 || future || now - newest_at > 2 * std::int64_t{spec.interval_seconds};
  lines.summary = {
      {"newest", newest_at < 0 ? nlohmann::json(nullptr) : nlohmann::json(newest_name)},
      {"finishedAt",
       newest_at < 0 ? nlohmann::json(nullptr) : nlohmann::json(common::format_utc(newest_at))},
      {"ageSeconds", newest_at < 0 ? nlohmann::json(nullptr) : nlohmann::json(now - newest_at)},
      {"intervalSeconds", spec.interval_seconds},
      {"stale", stale}};
  std::string errors;
  for (const auto& m : members)
    if (!m.last_error.empty()) errors += "; " + m.name + ": " + m.last_error;
  const std::string interval = age_text(spec.interval_seconds);
  if (newest_at < 0) {
    lines.warning = "no good database backup yet (one is due every " + interval + ")" + errors;
  } else if (future) {
    lines.warning = "the newest database backup, " + newest_name + ", claims to have finished " +
                    age_text(newest_at - now) +
                    " from now: a node's clock is wrong (check NTP); "
                    "backups are taken as if there were none";
  } else if (stale) {
    lines.warning = "the newest good database backup, " + newest_name + ", is " +
                    age_text(now - newest_at) + " old: more than twice the interval (" + interval +
                    ")" + errors;
  } else {
    lines.note = "database backup " + newest_name + " finished " + age_text(now - newest_at) +
                 " ago (every " + interval + ")";
  }
  return lines;
}

BackupDecision decide_db_backup(const common::BackupSpec& spec,
                                const std::vector<BackupMemberView>& members, std::int64_t now,
                                std::int64_t last_request_at) {
  BackupDecision decision;
  for (const auto& m : members) {
    if (!m.backup_running.empty()) {
      decision.note = "backup " + m.backup_running + " is being taken on " + m.name;
      return decision;
    }
  }
  const auto [newest_at, newest_name] = newest_reported_backup(members);
  const std::int64_t due_at =
      newest_at < 0 || from_the_future(newest_at, now) ? 0 : newest_at + spec.interval_seconds;
  if (now < due_at) {
    decision.note = "last backup " + newest_name + " (" + age_text(now - newest_at) +
                    " ago); the next is due in " + age_text(due_at - now);
    return decision;
  }
  const std::int64_t retry = std::min<std::int64_t>(kBackupRetrySeconds, spec.interval_seconds);
  if (last_request_at > 0 && now - last_request_at < retry) {
    std::string why;
    for (const auto& m : members)
      if (!m.last_error.empty()) why = "; " + m.name + " said: " + m.last_error;
    decision.waiting_for = "the backup asked for " + age_text(now - last_request_at) +
                           " ago to appear (asked again in " +
                           age_text(retry - (now - last_request_at)) + why + ")";
    return decision;
  }
  // The first serving member takes the writes (Pydio's proxies and the lease use it): it is
  // asked only when no other member serves. A backup there desyncs the member writes go to,
  // and a write failed during one (db_backup, on a loaded machine, when db1 alone had mounted).
  const auto serves = [](const BackupMemberView& m) { return m.serving; };
  const auto writer = std::find_if(members.begin(), members.end(), serves);
  if (writer == members.end()) {
    decision.waiting_for =
        "a db member that serves (Synced in the primary component), to take the due backup";
    return decision;
  }
  const BackupMemberView* last_mounted = nullptr;  // the last serving member after the writer
  std::vector<std::string> unmounted;
  for (auto it = writer + 1; it != members.end(); ++it) {
    if (!it->serving) continue;
    if (it->mounted) {
      last_mounted = &*it;
    } else {
      unmounted.push_back(it->name);
    }
  }
  if (last_mounted != nullptr) {
    decision.start_on = *last_mounted;
    return decision;
  }
  if (unmounted.empty() && writer->mounted) {
    decision.start_on = *writer;  // the only member that serves
    return decision;
  }
  if (unmounted.empty()) {
    decision.waiting_for =
        writer->name + " (the only db member that serves) to mount the backup volume";
  } else {
    decision.waiting_for = common::join(unmounted, " or ") +
                           " to mount the backup volume and take the due backup (" + writer->name +
                           " takes the writes: it is asked only when no other member serves)";
  }
  return decision;
}

}  // namespace pydio::agent
