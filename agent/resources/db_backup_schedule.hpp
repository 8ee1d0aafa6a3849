#pragma once
// When the leader asks which db member for a backup (resource db-backup, leader only; docs/
// operations.md, "Backups"). Pure: the inputs are the db members' node reports, read from the
// JSON the agents publish (GET /v1/peer/node: "database" and "dbBackup").

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/desired_state.hpp"

namespace pydio::agent {

// What one db member says about itself and the backup folder.
struct BackupMemberView {
  std::string name;
  std::string address;
  bool answered = false;
  bool serving = false;                 // Synced in the primary component, or a lone server
  bool mounted = false;                 // the backup volume is mounted there
  std::string backup_running;           // name of the backup it is taking, "" when none
  std::int64_t newest_finished_at = -1;  // the newest good backup in the folder, -1 when none
  std::string newest_name;
  std::string last_error;               // its last attempt's error, "" when it succeeded
};

// Reads a member from its node report (an unanswered or malformed one: answered = false).
BackupMemberView backup_member_view(const std::string& name, const std::string& address,
                                    const nlohmann::json* report, std::int64_t now);

struct BackupDecision {
  std::optional<BackupMemberView> start_on;  // ask this member now
  std::string waiting_for;                   // nothing to do until this happens
  std::string note;                          // in sync: when the last one was, when the next is
};

// Retry no sooner than this after asking (a failing member is not asked on every pass).
inline constexpr std::int64_t kBackupRetrySeconds = 120;

// A backup is due when the newest good one (over all members' views of the folder) is older
// than the interval, or none exists; never while one runs; not within kBackupRetrySeconds (or
// the interval, if shorter) of the last request. It goes to the last serving member (with the
// backup volume mounted) in document order: Pydio's proxy and the lease prefer the first, so the
// copy reads where the writes are not. The first serving member is asked only when no other
// serves; while another serves without the volume mounted yet, the backup waits for it.
BackupDecision decide_db_backup(const common::BackupSpec& spec,
                                const std::vector<BackupMemberView>& members, std::int64_t now,
                                std::int64_t last_request_at);

// What agentctl status says of the backups: a warning when the newest good backup is older
// than twice the interval (or there is none), else a note naming it; `summary` is the JSON
// form {"newest": name|null, "finishedAt", "ageSeconds", "intervalSeconds", "stale": bool}.
struct BackupStatusLines {
  std::string warning;
  std::string note;
  nlohmann::json summary;
};
BackupStatusLines backup_status_lines(const common::BackupSpec& spec,
                                      const std::vector<BackupMemberView>& members,
                                      std::int64_t now);

// The newest good backup any member reports: (finished_at, name); (-1, "") when none.
std::pair<std::int64_t, std::string> newest_reported_backup(
    const std::vector<BackupMemberView>& members);

}  // namespace pydio::agent
