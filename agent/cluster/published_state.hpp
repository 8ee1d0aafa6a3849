#pragma once
// The desired state as published on the shared pydio-config volume:
//   <pydio-config mountpoint>/pydio-agent/desired-state.json
// Every agent that mounts pydio-config follows this file; the leader writes it. Writes are a
// compare-and-set on the generation: under an exclusive POSIX lock on
// pydio-agent/desired-state.lock (GlusterFS passes fcntl locks to the bricks), the file is
// re-read and replaced (temporary file + rename) only if it still holds the generation the
// writer expects. Two writers can therefore never silently overwrite each other's change.
// All file operations run abandonably (abandonable.hpp): a hung mount gives an error, not a hang.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/desired_state.hpp"
#include "common/status.hpp"

namespace pydio::agent {

using common::kConfigVolume;
inline constexpr std::chrono::milliseconds kSharedFileTimeout{5000};

// The published file's path, or "" when the desired state has no pydio-config volume.
std::string published_state_path(const common::DesiredState& desired);

struct PublishedState {
  std::string text;
  std::int64_t generation = 0;  // 0 when the text is not a valid document
};

// nullopt when nothing is published yet. The path's directory lives on the FUSE mount; when
// the mount is absent the path resolves on the bare mountpoint and is simply not found.
common::Expected<std::optional<PublishedState>> read_published_state(const std::string& path);

// Replaces the published document with `text` if the published generation is still
// `expected_generation` (0: nothing published yet). Error on a lost race, naming both
// generations, and on any I/O failure; the published file is then unchanged.
common::Status publish_state(const std::string& path, const std::string& text,
                             std::int64_t expected_generation);

}  // namespace pydio::agent
