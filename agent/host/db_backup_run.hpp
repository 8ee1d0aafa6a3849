#pragma once
// Taking one backup on this db node (docs/operations.md, "Backups"): mariadb-backup streams
// (xbstream) straight into NAME.partial in the backup folder, hashed on the way; once it
// exits 0 and the file is synced, the file becomes NAME.xbstream and its manifest NAME.json is
// written. Then retention (common::backups_to_prune) and the off-site hook. Nothing is staged
// on the database's own disk.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/db_backup_catalog.hpp"
#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

struct BackupRequest {
  std::string name;        // common::backup_name(started_at, node)
  std::string node;
  std::int64_t started_at = 0;
  std::string mountpoint;  // of the backup volume
  std::string dir;         // common::db_backup_dir()
  common::BackupSpec spec;
  std::vector<std::string> backup_argv;  // writes the stream to stdout (mariadb_backup_argv)
  std::string server_version;
  std::int64_t galera_seqno = -1;
  // Told mariadb-backup's PID once it runs, and 0 before it is reaped; false from it means
  // "stop now" (the agent is stopping): the child is ended at once.
  std::function<bool(int)> on_child;
};

struct BackupOutcome {
  common::BackupManifest manifest;
  std::vector<std::string> pruned;  // names of the backups retention removed
  std::string hook_problem;         // "" when the hook ran and exited 0, or none is set
};

// `mariadb-backup --backup --stream=xbstream` as root over the server's socket, with the
// server's own defaults file when the agent runs it directly (`defaults_file` "" otherwise);
// --galera-info with Galera, so a restore knows the cluster position it holds.
std::vector<std::string> mariadb_backup_argv(const std::string& defaults_file,
                                             const std::string& datadir,
                                             const std::string& socket, bool galera,
                                             const std::string& scratch_dir);

// Takes the backup. `now` gives the finish time. Error: names the step; no NAME.partial,
// NAME.xbstream or NAME.json is left behind; older backups are untouched.
common::Expected<BackupOutcome> take_db_backup(const BackupRequest& request,
                                               common::ProcessRunner& runner,
                                               std::int64_t (*now)());

// Ok when `hook` is a regular file (not a link) owned by root, not writable by group or
// others, below directories only root can change: the agent runs it as root.
common::Status check_offsite_hook(const std::string& hook);

}  // namespace pydio::agent
