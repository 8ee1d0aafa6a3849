#pragma once
// The backup folder on the backup volume as root reads and changes it (the layout is
// common/db_backup_catalog.hpp). Reached only through a live glusterfs mount (an unmounted
// mountpoint would put the backups on the node's own disk), each directory opened without
// following links and checked: root's, and writable by nobody else, so what the agent lists
// and restores is what an agent wrote.

#include <cstdint>
#include <string>
#include <vector>

#include "common/db_backup_catalog.hpp"
#include "common/file_ops.hpp"
#include "common/status.hpp"

namespace pydio::agent {

enum class CreateBackupDir { kNo, kYes };

// The folder `dir` ("<mountpoint>/pydio-agent/db-backups") opened. Error when `mountpoint` is
// not a FUSE mount right now, when a component is a link, or when pydio-agent or db-backups is
// not root's or is writable by group or others (db-backups: any group/other access). kYes
// creates the two missing folders (root 0700).
common::Expected<common::OwnedFd> open_backup_dir(const std::string& mountpoint,
                                                  const std::string& dir, CreateBackupDir create);

struct BackupListing {
  std::vector<common::BackupManifest> good;  // a manifest and a stream of its size
  std::vector<std::string> problems;         // one line per entry that is not a good backup
  std::vector<std::string> partial;          // NAME of each NAME.partial (being taken, or left)
  // NAME of each NAME.xbstream without a manifest and each NAME.json.tmp: a backup cut short
  // after its stream was complete (also named in `problems`).
  std::vector<std::string> orphans;
};

// What the folder holds. Entries that are not NAME.json, NAME.xbstream or NAME.partial are
// named in `problems`; so is a manifest without its stream or with another size.
common::Expected<BackupListing> list_backups(int dir_fd);

// Removes NAME.json, then NAME.xbstream: a crash between the two leaves a stream without a
// manifest, which is listed as a problem, never as a backup.
common::Status remove_backup(int dir_fd, const std::string& name);

// Free and total bytes of the filesystem holding `dir_fd`.
struct SpaceOnTarget {
  std::int64_t free_bytes = 0;
  std::int64_t total_bytes = 0;
};
common::Expected<SpaceOnTarget> space_on_target(int dir_fd);

}  // namespace pydio::agent
