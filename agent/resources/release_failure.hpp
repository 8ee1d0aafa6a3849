#pragma once
// The release that failed its check on this node (<state dir>/release-failed.json), so the
// node does not switch to it again while the desired state still names it (each try would
// serve a broken Pydio until the check fails). Forgotten once the target names another one.

#include <optional>
#include <string>

#include "common/status.hpp"

namespace pydio::agent {

inline constexpr const char* kReleaseFailedFile = "release-failed.json";

struct ReleaseFailure {
  std::string release;           // sha256 of the release that failed
  std::string version;           // its version
  std::string reason;            // the check's reason (a PHP error line)
  std::string switched_back_to;  // the version served again; "" when there was none
  bool operator==(const ReleaseFailure& other) const {
    return release == other.release && version == other.version && reason == other.reason &&
           switched_back_to == other.switched_back_to;
  }
};

std::string release_failure_text(const ReleaseFailure& failure);
std::optional<ReleaseFailure> parse_release_failure(const std::string& text);

// "release fixture-3 failed its check on this node: <reason>; switched back to fixture-2".
std::string release_failure_message(const ReleaseFailure& failure);

// nullopt when the file is missing; an unreadable or malformed file is an error naming it.
common::Expected<std::optional<ReleaseFailure>> load_release_failure(const std::string& state_dir);
common::Status save_release_failure(const std::string& state_dir, const ReleaseFailure& failure);
common::Status forget_release_failure(const std::string& state_dir);

}  // namespace pydio::agent
