#pragma once
// The catalog of database backups (docs/operations.md, "Backups"): one folder on the backup
// volume, <mountpoint>/pydio-agent/db-backups (root:root 0700 below the volume root, which is
// root:root 0755, so the web user can neither read nor rename it). Per backup NAME:
//   NAME.xbstream  the output of `mariadb-backup --backup --stream=xbstream`, root 0600;
//   NAME.json      its manifest (below), written and synced after the stream is complete:
//                  a stream without a manifest is not a backup;
//   NAME.partial   the stream while it is being taken (removed when that fails).
// NAME = "<YYYYMMDDTHHMMSSZ>-<node name>": names sort by the time the backup started.
// Pure: reading and writing the folder is agent/host/db_backup_store.hpp.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/desired_state.hpp"
#include "common/status.hpp"

namespace pydio::common {

inline constexpr const char* kBackupDirBelowVolume = "pydio-agent/db-backups";
inline constexpr const char* kBackupStreamSuffix = ".xbstream";
inline constexpr const char* kBackupManifestSuffix = ".json";
inline constexpr const char* kBackupPartialSuffix = ".partial";

struct BackupManifest {
  std::string name;
  std::string node;              // the db node that took it
  std::int64_t started_at = 0;   // seconds since the epoch (UTC); a UTC time in JSON
  std::int64_t finished_at = 0;
  std::int64_t bytes = 0;        // size of NAME.xbstream
  std::string sha256;            // "sha256:<64 lowercase hex>" of NAME.xbstream
  std::string server_version;    // the server's VERSION() when it was taken
  std::int64_t galera_seqno = -1;  // wsrep_last_committed when it ended; -1 without Galera
  bool operator==(const BackupManifest&) const;
};

// "<mountpoint of database.backup.volume>/pydio-agent/db-backups"; "" when the desired state
// has no database.backup or its volume is missing.
std::string db_backup_dir(const DesiredState& desired);

// NAME for a backup started at `started_at` on `node`.
std::string backup_name(std::int64_t started_at, const std::string& node);
// nullopt when `name` has the NAME form (so it is safe as a file name), else what is wrong.
std::optional<std::string> backup_name_problem(const std::string& name);

std::string manifest_to_json(const BackupManifest& manifest);
// The manifest in `text`; an error naming the field when it is not one, or when its name is
// not `expected_name` (the file it was read from).
Expected<BackupManifest> parse_manifest(const std::string& text, const std::string& expected_name);

// The backups to delete, oldest first, so that what is left satisfies `spec`: at most `keep`,
// at most maxTotalMB in all, and at least minFreePercent of the target's `total_bytes` free
// (`free_bytes` now; each deletion frees its size). The newest backup is never among them.
// `backups` in any order.
std::vector<BackupManifest> backups_to_prune(std::vector<BackupManifest> backups,
                                             const BackupSpec& spec, std::int64_t total_bytes,
                                             std::int64_t free_bytes);

// The newest of `backups` (by finished_at, then name); nullopt when empty.
std::optional<BackupManifest> newest_backup(const std::vector<BackupManifest>& backups);

}  // namespace pydio::common
