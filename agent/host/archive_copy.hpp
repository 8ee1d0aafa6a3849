#pragma once
// The byte-level half of agentctl app publish: copying an operator's archive into the agent's
// own directory while hashing it, and hashing a stored copy again. Root copies a file a user
// may still be writing or swapping; everything the agent then checks (listing, VERSION, hash)
// is read from its copy, which only root can reach, never from the operator's path again.

#include <cstdint>
#include <string>

#include "common/status.hpp"

namespace pydio::agent {

struct ArchiveCopy {
  std::string sha256;     // "sha256:<64 lowercase hex>" of exactly the bytes written
  std::int64_t size = 0;  // bytes
};

// Opens `source` (O_NOFOLLOW: its last component must not be a symbolic link; it must be a
// regular file of at most `max_bytes`) and writes it to a new file `name` in the directory
// `dir_fd` (O_EXCL, mode 0600, owned by the caller), then fsyncs it. Failure: `name` does not
// exist (removed) and the error names `source` or the copy.
common::Expected<ArchiveCopy> copy_archive(const std::string& source, int dir_fd,
                                           const std::string& name, std::int64_t max_bytes);

// The same from an open descriptor read to its end (a pipe: a backup streamed by
// mariadb-backup); `source` names it in errors. `bytes_per_second` > 0 paces the copy (and so
// the writer upstream, blocked on the pipe) to at most that rate.
common::Expected<ArchiveCopy> copy_stream(int source_fd, const std::string& source, int dir_fd,
                                          const std::string& name, std::int64_t max_bytes,
                                          std::int64_t bytes_per_second = 0);

// "sha256:<hex>" of the file `name` in `dir_fd`, read anew (O_NOFOLLOW), at most `max_bytes`.
common::Expected<std::string> sha256_file_at(int dir_fd, const std::string& name,
                                             std::int64_t max_bytes);

}  // namespace pydio::agent
