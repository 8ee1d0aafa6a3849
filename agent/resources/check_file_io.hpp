#pragma once
// The file-system steps of the health file (<docroot>/<healthFile>), made safe against the web
// user, who may own the docroot: nothing here follows a symbolic link (the docroot is opened
// one component at a time with O_NOFOLLOW, the file relative to it), opens block on a FIFO
// (O_NONBLOCK), or writes, replaces or unlinks an entry that is not a regular file owned by
// root. Someone else's entry is reported, never touched.

#include <sys/types.h>

#include <string>

#include "agent/host/nofollow_dir.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// True for the only kind of entry the agent may rewrite or unlink: a regular file of root's.
bool is_root_regular_file(const DirectoryEntry& entry);

// What is at `name` in `dir_fd`; `path` (<dir>/<name>) only names it in errors. Reads the
// content of a root-owned regular file with O_NOFOLLOW|O_NONBLOCK.
common::Expected<DirectoryEntry> inspect_entry(int dir_fd, const std::string& name,
                                               const std::string& path);

enum class Existing { kMustBeAbsent, kMayBeRootFile };

// Writes `content` (owner root:root, `mode`) to a new temporary file in `dir_fd`
// (O_CREAT|O_EXCL|O_NOFOLLOW) and moves it to `name`. kMustBeAbsent: only when nothing is at
// `name` (renameat2 RENAME_NOREPLACE, or link() where the file system lacks it).
// kMayBeRootFile: replaces a root-owned regular file, checked just before; anything else at
// `name` is refused with an error naming `path` and what was found.
// Failure leaves `name` as it was and no temporary file behind.
common::Status write_root_file(int dir_fd, const std::string& name, const std::string& path,
                               const std::string& content, mode_t mode, Existing existing);

// Unlinks `name` in `dir_fd` when it is a root-owned regular file; succeeds when nothing is
// there; refuses anything else with an error naming `path` and what was found.
common::Status remove_root_file(int dir_fd, const std::string& name, const std::string& path);

}  // namespace pydio::agent
