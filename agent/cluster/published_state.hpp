#pragma once
// The desired state as published on the shared pydio-config volume:
//   <pydio-config mountpoint>/pydio-agent/desired-state.json      the document's exact bytes
//   <pydio-config mountpoint>/pydio-agent/desired-state.json.sig  its detached signature
// Every agent that mounts pydio-config follows this file; the leader writes it. Writes are a
// compare-and-set on the generation: under an exclusive POSIX lock on
// pydio-agent/desired-state.lock (GlusterFS passes fcntl locks to the bricks), the file is
// re-read and replaced (temporary file + rename) only if it still holds the generation the
// writer expects. Two writers can therefore never silently overwrite each other's change.
// Readers hold a shared lock on the same file, so they never see a new document with the old
// signature. All file operations run abandonably (abandonable.hpp): a hung mount gives an
// error, not a hang.
//
// The agent's folder must be root's, mode 0700, and both files regular, root-owned and at most
// kMaxDocumentBytes: the web application (www-data) may not steer what root reads. Nothing is
// followed through a symlink (cluster/trusted_dir.hpp); a folder or file that fails these
// checks is not read from, and PublishedState::untrusted says why.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/desired_state.hpp"
#include "common/status.hpp"

namespace pydio::agent {

using common::kConfigVolume;
inline constexpr std::chrono::milliseconds kSharedFileTimeout{5000};
inline constexpr const char* kAgentFolder = "pydio-agent";

// The published file's path, or "" when the desired state has no pydio-config volume.
std::string published_state_path(const common::DesiredState& desired);

struct PublishedState {
  std::string text;
  std::string signature;        // "" when no signature file is there
  std::int64_t generation = 0;  // 0 unless the text is a valid document signed by the key given
  std::string untrusted;        // non-empty: the folder or a file failed the checks above and
                                // was not read (text and signature are then empty)
};

// nullopt when nothing is published yet. The path's directory lives on the FUSE mount; when
// the mount is absent the path resolves on the bare mountpoint and is simply not found.
// `public_pem`: the cluster's signing key, which the generation is only read under.
common::Expected<std::optional<PublishedState>> read_published_state(const std::string& path,
                                                                     const std::string& public_pem);

// Replaces the published document with `text` and `signature` if the published generation
// (signed by `public_pem`) is still `expected_generation` (0: nothing validly published yet).
// Error on a lost race, naming both generations, on an untrusted folder, and on any I/O
// failure; the published file is then unchanged.
common::Status publish_state(const std::string& path, const std::string& text,
                             const std::string& signature, const std::string& public_pem,
                             std::int64_t expected_generation);

}  // namespace pydio::agent
