#pragma once
// Copies a published Pydio release archive from the config volume to the node, hashing it
// while copying (docs/operations.md, "Releases on a node"). The archive is the one the desired
// state names by sha256: a copy whose hash differs is deleted, so nothing unverified is ever
// unpacked. Both ends are reached without following a link (nofollow_dir.hpp).

#include <string>

#include "common/status.hpp"

namespace pydio::agent {

// "<64 lowercase hex>" of `sha256` ("sha256:<hex>" or the bare hex); "" when it is neither.
std::string release_hex(const std::string& sha256);

// Copies `source` (a regular file) to <dest_dir>/<hex>.tar.gz (dest_dir created root 0700 when
// missing), where hex is release_hex(expected_sha256). Success: the file is there, complete,
// root 0600, and its sha256 is the expected one. Failure: no file of that name is left (a
// mismatch names both hashes: "... has sha256:<got>, the desired state names sha256:<want>").
// An existing destination with the expected hash is kept without copying.
common::Status fetch_release_archive(const std::string& source, const std::string& dest_dir,
                                     const std::string& expected_sha256);

// The sha256 ("sha256:<hex>") of the regular file at `path`, read without following a link.
common::Expected<std::string> sha256_of_file(const std::string& path);

}  // namespace pydio::agent
