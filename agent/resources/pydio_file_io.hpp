#pragma once
// Reading and rewriting Pydio's own files (operator-installed Pydio) without following a link:
// the install directory may hold directories the web user can write (data/), so each file is
// reached through its directory opened component by component with O_NOFOLLOW (nofollow_dir).

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/status.hpp"

namespace pydio::agent {

struct PydioFile {
  std::string text;
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The regular file at `path` (at most 1 MiB); nullopt when it or its directory is missing; an
// error for a link, a FIFO or anything else that is not a regular file.
common::Expected<std::optional<PydioFile>> read_pydio_file(const std::string& path);

// Makes `name` in the directory `dir_fd` hold `text` with the given mode and owner: a temporary
// file (O_EXCL|O_NOFOLLOW), fsynced, renamed over it. `path` names it in errors.
common::Status replace_file_at(int dir_fd, const std::string& name, const std::string& path,
                               const std::string& text, mode_t mode, uid_t uid, gid_t gid);

// Like replace_file_at, but `name` must not exist: the complete temporary file is hard-linked
// to it (EEXIST: an error, nothing replaced), so a file someone else made meanwhile is kept.
common::Status create_new_file_at(int dir_fd, const std::string& name, const std::string& path,
                                  const std::string& text, mode_t mode, uid_t uid, gid_t gid);

// The suffix of the copy of a file as it was before the agent's first edit.
inline constexpr const char* kOriginalSuffix = ".pydio-agent-orig";

// Replaces `path`, which must still hold `before.text`, by `text` with before's mode and owner:
// first, once, a copy of `before` at <path>.pydio-agent-orig (never overwritten), then a
// temporary file renamed over it. Failure: `path` is as it was.
common::Status rewrite_pydio_file(const std::string& path, const PydioFile& before,
                                  const std::string& text);

}  // namespace pydio::agent
