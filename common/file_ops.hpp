#pragma once
// Small file-system steps shared by the daemon and its resources: read a small file, replace a file
// atomically, replace a symlink atomically. Each returns a Status whose message names the path and
// the errno text.

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/status.hpp"

namespace pydio::common {

// Owns one file descriptor and closes it (move-only).
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

// "/a/b/c" -> "/a/b" and "c" ("/c" -> "/" and "c"; "c" -> "." and "c").
std::string dir_of(const std::string& path);
std::string base_of(const std::string& path);

// Unlinks `path`; a path that is already gone is success.
Status remove_if_present(const std::string& path);

// "0750": permission bits as operators read them in messages.
std::string octal_mode(mode_t mode);

// The whole content, nullopt when the file does not exist. Any other failure is an error,
// including a path that is not a regular file: a FIFO planted there is refused at once, never
// waited on (opened O_NONBLOCK, then fstat'ed). Follows symbolic links.
Expected<std::optional<std::string>> read_optional_file(const std::string& path);

// Writes `content` to a temporary file in the same directory, sets mode and owner, fsyncs and
// renames it over `path`. Success: `path` holds exactly `content`. Failure: `path` is as it was
// and no temporary file is left behind.
Status write_file_atomically(const std::string& path, const std::string& content, mode_t mode,
                             uid_t uid = 0, gid_t gid = 0);

// Makes `path` a symlink to `target` (replacing whatever entry is there, but never a
// directory) through a temporary link renamed over it.
Status replace_symlink(const std::string& path, const std::string& target);

// The target of the symlink at `path`; nullopt when `path` is missing or not a symlink.
std::optional<std::string> read_symlink(const std::string& path);

// Ok when `path` lies on a FUSE filesystem (statfs f_type); an error naming the path otherwise.
// Used before writing under a FUSE mountpoint: with the mount gone the write would land on the
// root filesystem.
Status require_fuse_filesystem(const std::string& path);

// "<message>" for errno, e.g. "No such file or directory".
std::string errno_text(int error_number);
// "<what>: <errno_text(errno)>" as an error (read errno before anything else can change it).
Status errno_status(const std::string& what);

// "regular file", "directory", "fifo", "symbolic link", ... for st_mode, in error messages.
std::string file_type_name(mode_t mode);

}  // namespace pydio::common
