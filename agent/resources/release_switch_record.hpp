#pragma once
// The switch of this node's `current` link in progress (<state dir>/release-switch.json, root
// only). pydio-release writes it (fsynced) before it touches a link and removes it once the
// links are settled: the check passed, or the node switched back. An agent killed in between
// finds it at its next start with `current` already on the new release, which nobody has
// checked: the record says so, and which release a failed check switches back to.

#include <optional>
#include <string>

#include "common/status.hpp"

namespace pydio::agent {

inline constexpr const char* kReleaseSwitchFile = "release-switch.json";

struct ReleaseSwitchRecord {
  std::string release;       // sha256 switched to
  std::string id;            // its release id (<docroot>/releases/<id>)
  std::string version;       // its version
  std::string old_current;   // the release id `current` named before; "" none
  std::string old_previous;  // the one `previous` named before; "" none
  bool operator==(const ReleaseSwitchRecord& other) const {
    return release == other.release && id == other.id && version == other.version &&
           old_current == other.old_current && old_previous == other.old_previous;
  }
};

std::string release_switch_text(const ReleaseSwitchRecord& record);
std::optional<ReleaseSwitchRecord> parse_release_switch(const std::string& text);

// nullopt when the file is missing; an unreadable or malformed file is an error naming it.
common::Expected<std::optional<ReleaseSwitchRecord>> load_release_switch(
    const std::string& state_dir);
// Atomic and fsynced (common::write_file_atomically), 0600.
common::Status save_release_switch(const std::string& state_dir, const ReleaseSwitchRecord& record);
common::Status forget_release_switch(const std::string& state_dir);

}  // namespace pydio::agent
