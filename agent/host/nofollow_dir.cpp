#include "agent/host/nofollow_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

DirectoryEntry entry_of(const struct stat& st) {
  DirectoryEntry entry;
  if (S_ISREG(st.st_mode)) {
    entry.kind = EntryKind::kRegular;
  } else if (S_ISDIR(st.st_mode)) {
    entry.kind = EntryKind::kDirectory;
  } else if (S_ISLNK(st.st_mode)) {
    entry.kind = EntryKind::kSymlink;
  } else if (S_ISFIFO(st.st_mode)) {
    entry.kind = EntryKind::kFifo;
  } else if (S_ISSOCK(st.st_mode)) {
    entry.kind = EntryKind::kSocket;
  } else {
    entry.kind = EntryKind::kDevice;
  }
  entry.mode = st.st_mode & 07777;
  entry.uid = st.st_uid;
  entry.gid = st.st_gid;
  return entry;
}

std::string describe_entry(const DirectoryEntry& entry) {
  switch (entry.kind) {
    case EntryKind::kMissing:
      return "nothing";
    case EntryKind::kDirectory:
      return "a directory";
    case EntryKind::kSymlink:
      return "a symbolic link";
    case EntryKind::kFifo:
      return "a FIFO";
    case EntryKind::kSocket:
      return "a socket";
    case EntryKind::kDevice:
      return "a device node";
    case EntryKind::kRegular:
      break;
  }
  if (entry.uid != 0) return "a regular file owned by uid " + std::to_string(entry.uid);
  return "a regular file owned by root";
}

namespace {

int open_component(int parent_fd, const std::string& component) {
  return ::openat(parent_fd, component.c_str(),
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
}

// The error for a component that could not be opened as a directory: what is there, and
// where the link points when it is one.
Status component_error(int parent_fd, const std::string& component, const std::string& so_far,
                       const std::string& dir, int error_number) {
  struct stat st {};
  if (::fstatat(parent_fd, component.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      S_ISDIR(st.st_mode)) {
    return Status::error("open " + so_far + ": " + common::errno_text(error_number));
  }
  std::string found = describe_entry(entry_of(st));
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    const ssize_t n = ::readlinkat(parent_fd, component.c_str(), target, sizeof target - 1);
    if (n >= 0) found += " to " + std::string(target, static_cast<std::size_t>(n));
  }
  return Status::error(so_far + " is " + found +
                       ", not a directory; the agent follows no link to " + dir);
}

}  // namespace

Expected<std::optional<OwnedFd>> open_directory_nofollow(const std::string& dir,
                                                         MissingDirs missing, mode_t create_mode) {
  if (dir.empty() || dir.front() != '/') return Status::error(dir + ": not an absolute path");
  OwnedFd current(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (current.get() < 0) return Status::error("open /: " + common::errno_text(errno));
  std::string so_far;
  std::size_t start = 1;
  while (start < dir.size()) {
    std::size_t end = dir.find('/', start);
    if (end == std::string::npos) end = dir.size();
    const std::string component = dir.substr(start, end - start);
    start = end + 1;
    if (component.empty()) continue;
    so_far += "/" + component;
    if (component == "..") return Status::error(dir + ": '..' is not allowed in the path");
    int fd = open_component(current.get(), component);
    if (fd < 0 && errno == ENOENT) {
      if (missing == MissingDirs::kReport) return std::optional<OwnedFd>();
      // mkdirat never follows a link at the new name; the open below refuses one planted
      // between the two calls.
      if (::mkdirat(current.get(), component.c_str(), create_mode) != 0 && errno != EEXIST) {
        return Status::error("mkdir " + so_far + ": " + common::errno_text(errno));
      }
      fd = open_component(current.get(), component);
    }
    if (fd < 0) return component_error(current.get(), component, so_far, dir, errno);
    current = OwnedFd(fd);
  }
  return std::optional<OwnedFd>(std::move(current));
}

}  // namespace pydio::agent
