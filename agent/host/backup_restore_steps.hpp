#pragma once
// The host steps of `agentctl db restore` on the node that restores (docs/operations.md,
// "Restoring a backup"): check a backup stream against its manifest, unpack it into an empty
// datadir (mbstream -x), make it consistent (mariadb-backup --prepare), give it to mysql and,
// for Galera, write the grastate.dat that lets the restored data start a new cluster.
// Processes through the ProcessRunner only, with argv: no path or name reaches a shell.
// REQUIRES (all but verify_backup_stream): mariadbd is stopped.

#include <optional>
#include <string>

#include "agent/host/galera_position.hpp"
#include "common/db_backup_catalog.hpp"
#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// Reads `stream` (a regular file, no link followed) whole: its size and sha256 must be the
// manifest's. An error names what differs; nothing is changed.
common::Status verify_backup_stream(const std::string& stream,
                                    const common::BackupManifest& manifest);

// `mbstream -x -C <datadir>` with the stream file as its stdin (common/runner_stdin_file.hpp:
// the system runner itself, not a ProcessRunner seam). `datadir` must exist and be empty.
common::Status extract_backup(const std::string& stream, const std::string& datadir);
// `mariadb-backup --prepare --target-dir=<datadir>`: applies the redo log the backup carries.
common::Status prepare_backup(common::ProcessRunner& runner, const std::string& datadir);
// `chown -R mysql:mysql <datadir>` (mbstream wrote root's files).
common::Status give_datadir_to_mysql(common::ProcessRunner& runner, const std::string& datadir);

// Pure: the position in xtrabackup_galera_info ("<uuid>:<seqno>", as --galera-info writes it);
// nullopt when the text holds none.
std::optional<GaleraPosition> parse_galera_info(const std::string& text);
// Pure: a grastate.dat at `position` that Galera accepts to bootstrap from.
std::string render_grastate(const GaleraPosition& position);
// Writes <datadir>/grastate.dat (owner mysql, 0660) from <datadir>/xtrabackup_galera_info,
// with safe_to_bootstrap: 1: the restored data starts a new cluster at the backup's position.
// Returns the position written.
common::Expected<GaleraPosition> write_restored_grastate(const std::string& datadir);

}  // namespace pydio::agent
