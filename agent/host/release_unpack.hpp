#pragma once
// Unpacks a verified release archive beside the releases a node already has: into
// <releases_dir>/.<id>.partial with tar (files owned by root, then chmod -R go-w,ug-s: nobody
// but root can write and no set-id bit is left, whatever the umask; the archive's one top
// directory stripped). Only a complete, edited tree is later renamed to
// <releases_dir>/<id> (release_stage.hpp), so a crash leaves a .partial, never a half release.

#include <string>

#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// ".<id>.partial": the name of a release's tree while it is being made.
std::string partial_release_name(const std::string& id);

// Makes <releases_dir>/.<id>.partial hold the archive's content, replacing any earlier
// partial. `releases_dir` is created (root 0755) when missing; no component may be a link.
// Failure: an error carrying tar's output; the partial tree may be left (the next try
// replaces it, pruning removes it).
common::Status unpack_release(common::ProcessRunner& runner, const std::string& archive,
                              const std::string& releases_dir, const std::string& id);

}  // namespace pydio::agent
