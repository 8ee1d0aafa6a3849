#pragma once
// Root unpacks (tar -C) and deletes (rm -rf) releases by path below the docroot. A path is only
// as safe as its least trusted directory: if another user (the web user) owns or can write any
// directory from / down, it can swap a component for a link between the agent's checks and
// tar/rm, and root then writes or deletes elsewhere. The release steps therefore run only
// below directories that only root can change.

#include <string>

#include "common/status.hpp"

namespace pydio::agent {

// Checks every directory from / down to `dir` (absolute), each seen with lstat: each must be a
// directory (no link), owned by uid 0, and not group- or world-writable. A root-owned sticky
// directory (/tmp) may be writable by others when the next component exists: the sticky bit
// keeps them from renaming or removing root's entry. A missing tail is allowed (root creates
// it) when the last existing directory is not writable by others at all. Error: names the
// directory, its owner and mode, and what to do; nothing is changed either way.
common::Status check_root_only_path(const std::string& dir);

}  // namespace pydio::agent
