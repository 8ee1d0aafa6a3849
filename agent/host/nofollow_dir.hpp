#pragma once
// Directories opened, created and inspected without following a symbolic link. Root works on
// paths below directories other users can write (the docroot below a tree of the web user's,
// the Pydio folders on the FUSE mounts): a path-based mkdir, stat or chown there follows a
// link that user planted and acts elsewhere (/etc). Here every component is opened with
// O_DIRECTORY|O_NOFOLLOW relative to the one before, and work is done relative to the opened
// directory, so a link anywhere on the path is refused with an error naming it.

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>

#include "common/file_ops.hpp"
#include "common/status.hpp"

namespace pydio::agent {

using common::OwnedFd;

enum class EntryKind { kMissing, kRegular, kDirectory, kSymlink, kFifo, kSocket, kDevice };

// What is at a path, seen with fstatat(AT_SYMLINK_NOFOLLOW).
struct DirectoryEntry {
  EntryKind kind = EntryKind::kMissing;
  mode_t mode = 0;  // permission bits
  uid_t uid = 0;
  gid_t gid = 0;
  std::string content;  // read only for a regular file owned by root (at most 4 KiB)
};

// The entry a stat() result describes (content left empty).
DirectoryEntry entry_of(const struct stat& st);

// "a symbolic link", "a FIFO", "a regular file owned by uid 33", ...: what was found, for
// error lines.
std::string describe_entry(const DirectoryEntry& entry);

enum class MissingDirs {
  kReport,  // a missing component gives nullopt
  kCreate,  // a missing component is created (mkdirat, owned by the caller) and then opened
};

// The directory `dir` (absolute, normalized) opened O_DIRECTORY|O_NOFOLLOW, each component
// relative to the one before, so no component can be a link. kReport: nullopt when a
// component is missing. kCreate: missing components are created with `create_mode` (never
// nullopt). An error naming the component when one is a link or not a directory; with
// kCreate, directories created before such an error stay.
common::Expected<std::optional<OwnedFd>> open_directory_nofollow(
    const std::string& dir, MissingDirs missing = MissingDirs::kReport, mode_t create_mode = 0755);

}  // namespace pydio::agent
