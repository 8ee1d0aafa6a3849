#pragma once
// File steps inside a directory only root may change (the agent's folder on pydio-config, which
// the web application's user must not be able to steer). Nothing here follows a symlink: the
// directory is opened with O_DIRECTORY|O_NOFOLLOW below an already open parent, and every file
// is opened relative to it with O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC and checked with fstat (a FIFO
// planted in place of a file is refused, not waited on).
// Thread-safe: no shared state. Calls block on the file system (run them abandonably on FUSE).

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>

#include "common/file_ops.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// An open file descriptor, closed when destroyed.
using Fd = common::OwnedFd;

// What is wrong with a directory that should be root's 0700 (pure: from its fstat);
// "" when it is root-owned, a directory and open to nobody else.
std::string untrusted_dir_problem(const std::string& path, bool is_directory, uid_t uid,
                                  mode_t mode);

struct TrustedDir {
  Fd fd;                  // valid when `untrusted` is empty and the directory exists
  bool exists = false;    // false: nothing there (and `create` was not asked)
  std::string untrusted;  // why it is not read from: a symlink, not a directory, not root 0700
};

// Opens `<parent>/<name>` (parent: a path whose components root owns, e.g. a mountpoint) and
// checks it is a root-owned 0700 directory. `create`: make it (root 0700) when missing. An error
// only for I/O failures; an untrusted directory is a result, `untrusted` says why.
common::Expected<TrustedDir> open_trusted_dir(const std::string& parent, const std::string& name,
                                              bool create);

// The content of regular, root-owned file `name` in `dir` of at most `max_bytes`; nullopt when
// there is none. `untrusted` receives why a file there is not read (a symlink, a FIFO, owned by
// someone else, too large); the result is then nullopt too.
common::Expected<std::optional<std::string>> read_trusted_file(const TrustedDir& dir,
                                                               const std::string& name,
                                                               std::size_t max_bytes,
                                                               std::string& untrusted);

// Replaces `name` in `dir` with `content` (temporary file created O_EXCL|O_NOFOLLOW, fsync,
// renameat). Failure leaves `name` as it was.
common::Status write_trusted_file(const TrustedDir& dir, const std::string& name,
                                  const std::string& content, mode_t mode);

}  // namespace pydio::agent
