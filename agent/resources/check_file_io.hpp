#pragma once
// The file-system steps of the health file (<docroot>/<healthFile>), made safe against the web
// user, who may own the docroot: nothing here follows a symbolic link (the docroot is opened
// one component at a time with O_NOFOLLOW, the file relative to it), opens block on a FIFO
// (O_NONBLOCK), or writes, replaces or unlinks an entry that is not a regular file owned by
// root. Someone else's entry is reported, never touched.

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/status.hpp"

namespace pydio::agent {

// An open file descriptor, closed on destruction.
class OwnedFd {
 public:
  explicit OwnedFd(int fd = -1) : fd_(fd) {}
  OwnedFd(OwnedFd&& other) noexcept : fd_(other.release()) {}
  OwnedFd& operator=(OwnedFd&& other) noexcept;
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  ~OwnedFd();
  int get() const { return fd_; }
  int release();

 private:
  int fd_;
};

enum class EntryKind { kMissing, kRegular, kDirectory, kSymlink, kFifo, kSocket, kDevice };

// What is at a path, seen with fstatat(AT_SYMLINK_NOFOLLOW).
struct DirectoryEntry {
  EntryKind kind = EntryKind::kMissing;
  mode_t mode = 0;  // permission bits
  uid_t uid = 0;
  gid_t gid = 0;
  std::string content;  // read only for a regular file owned by root (at most 4 KiB)
};

// "a symbolic link", "a FIFO", "a regular file owned by uid 33", ...: what was found, for
// error lines.
std::string describe_entry(const DirectoryEntry& entry);

// True for the only kind of entry the agent may rewrite or unlink: a regular file of root's.
bool is_root_regular_file(const DirectoryEntry& entry);

// The directory `dir` (absolute, normalized) opened O_DIRECTORY|O_NOFOLLOW, each component
// relative to the one before, so no component can be a link. nullopt when a component is
// missing; an error naming the component when one is a link or not a directory.
common::Expected<std::optional<OwnedFd>> open_directory_nofollow(const std::string& dir);

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
