#pragma once
// Removes a directory tree root does not fully own (a release's cache is the web user's) with
// GNU rm, which descends with openat and O_NOFOLLOW and checks each directory it enters, so a
// link the web user swaps in during the walk is removed, never followed. --one-file-system
// keeps it off anything mounted below.

#include <string>

#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// Removes `path` (absolute) and everything below it; a missing path is success.
common::Status remove_tree(common::ProcessRunner& runner, const std::string& path);

}  // namespace pydio::agent
