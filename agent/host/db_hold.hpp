#pragma once
// A hold on this db node's MariaDB server (`agentctl db restore`, docs/operations.md
// "Restoring a backup"): while <state_dir>/db-hold.json exists, the db-server resource never
// starts, initializes, recovers or bootstraps mariadbd, and stops it cleanly when it runs
// (unless the hold says keep_running: the restore started it itself). A file, root 0600 in the
// agent's state directory, so that a hold survives an agent restart: a restore interrupted
// half-way leaves the members stopped until an operator releases them (`agentctl db release`).

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.hpp"

namespace pydio::agent {

inline constexpr const char* kDbHoldFileName = "db-hold.json";

struct DbHold {
  std::string reason;         // shown as "held: <reason>" in the db-server line of status
  std::int64_t since = 0;     // seconds since the epoch (UTC)
  bool keep_running = false;  // a running server is left running (the restore started it)
  bool operator==(const DbHold& other) const {
    return reason == other.reason && since == other.since && keep_running == other.keep_running;
  }
};

std::string db_hold_path(const std::string& state_dir);

// Pure: the file's text, and back. A text that is not a hold reads as a hold whose reason says
// so (failing safe: a damaged file keeps the server stopped until a release removes it).
std::string db_hold_to_json(const DbHold& hold);
DbHold parse_db_hold(const std::string& text);

// nullopt when not held; an error only when the file exists but cannot be read.
common::Expected<std::optional<DbHold>> read_db_hold(const std::string& state_dir);
// Writes the hold atomically, root 0600. Replaces one already there.
common::Status write_db_hold(const std::string& state_dir, const DbHold& hold);
// Removes the hold; success when there was none.
common::Status remove_db_hold(const std::string& state_dir);

}  // namespace pydio::agent
