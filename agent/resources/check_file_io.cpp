#include "agent/resources/check_file_io.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

constexpr std::size_t kMaxContent = 4096;  // the health file holds "OK\n"

Status fail(const std::string& what, const std::string& path, int error_number) {
  return Status::error(what + " " + path + ": " + common::errno_text(error_number));
}

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

Status refuse(const std::string& path, const DirectoryEntry& entry, const std::string& action) {
  return Status::error(path + ": " + describe_entry(entry) + " is in the way; the agent does not " +
                       action + " an entry that is not a regular file of root's (remove it by " +
                       "hand if it is not needed)");
}

std::string temp_name(const std::string& name) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return "." + name + ".pydio-agent-" + std::to_string(rng() % 1000000000);
}

Status write_all(int fd, const std::string& content) {
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::error(common::errno_text(errno));
    }
    written += static_cast<std::size_t>(n);
  }
  return Status::ok();
}

// Moves `temp` to `name` without replacing anything that is there.
int move_without_replacing(int dir_fd, const std::string& temp, const std::string& name) {
  if (::renameat2(dir_fd, temp.c_str(), dir_fd, name.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  // A file system without RENAME_NOREPLACE: link() never replaces either.
  if (::linkat(dir_fd, temp.c_str(), dir_fd, name.c_str(), 0) != 0) return -1;
  ::unlinkat(dir_fd, temp.c_str(), 0);
  return 0;
}

}  // namespace

OwnedFd& OwnedFd::operator=(OwnedFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

OwnedFd::~OwnedFd() {
  if (fd_ >= 0) ::close(fd_);
}

int OwnedFd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
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

bool is_root_regular_file(const DirectoryEntry& entry) {
  return entry.kind == EntryKind::kRegular && entry.uid == 0;
}

Expected<std::optional<OwnedFd>> open_directory_nofollow(const std::string& dir) {
  if (dir.empty() || dir.front() != '/') return Status::error(dir + ": not an absolute path");
  OwnedFd current(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (current.get() < 0) return fail("open", "/", errno);
  std::string so_far;
  std::size_t start = 1;
  while (start < dir.size()) {
    std::size_t end = dir.find('/', start);
    if (end == std::string::npos) end = dir.size();
    const std::string component = dir.substr(start, end - start);
    start = end + 1;
    if (component.empty()) continue;
    so_far += "/" + component;
    const int fd = ::openat(current.get(), component.c_str(),
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      const int error_number = errno;
      if (error_number == ENOENT) return std::optional<OwnedFd>();
      struct stat st {};
      if (::fstatat(current.get(), component.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          !S_ISDIR(st.st_mode)) {
        return Status::error(so_far + " is " + describe_entry(entry_of(st)) +
                             ", not a directory; the agent follows no link to " + dir);
      }
      return fail("open", so_far, error_number);
    }
    current = OwnedFd(fd);
  }
  return std::optional<OwnedFd>(std::move(current));
}

Expected<DirectoryEntry> inspect_entry(int dir_fd, const std::string& name,
                                       const std::string& path) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return DirectoryEntry{};
    return fail("lstat", path, errno);
  }
  DirectoryEntry entry = entry_of(st);
  if (!is_root_regular_file(entry)) return entry;
  OwnedFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return DirectoryEntry{};
    return fail("open", path, errno);
  }
  // The entry may have been swapped since fstatat: what was opened is what counts.
  if (::fstat(fd.get(), &st) != 0) return fail("fstat", path, errno);
  entry = entry_of(st);
  if (!is_root_regular_file(entry)) return entry;
  char buffer[kMaxContent];
  const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
  if (n < 0) return fail("read", path, errno);
  entry.content.assign(buffer, static_cast<std::size_t>(n));
  return entry;
}

Status write_root_file(int dir_fd, const std::string& name, const std::string& path,
                       const std::string& content, mode_t mode, Existing existing) {
  const std::string temp = temp_name(name);
  OwnedFd fd(::openat(dir_fd, temp.c_str(),
                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
  if (fd.get() < 0) return fail("create temporary file for", path, errno);
  auto abandon = [&](const std::string& what, int error_number) {
    ::unlinkat(dir_fd, temp.c_str(), 0);
    return fail(what, path, error_number);
  };
  if (Status written = write_all(fd.get(), content); !written.is_ok()) {
    ::unlinkat(dir_fd, temp.c_str(), 0);
    return Status::error("write " + path + ": " + written.message());
  }
  if (::fchown(fd.get(), 0, 0) != 0) return abandon("chown", errno);
  if (::fchmod(fd.get(), mode) != 0) return abandon("chmod", errno);
  if (::fsync(fd.get()) != 0) return abandon("fsync", errno);
  if (::close(fd.release()) != 0) return abandon("close", errno);

  if (existing == Existing::kMustBeAbsent) {
    if (move_without_replacing(dir_fd, temp, name) == 0) return Status::ok();
    const int error_number = errno;
    ::unlinkat(dir_fd, temp.c_str(), 0);
    if (error_number != EEXIST) return fail("create", path, error_number);
    auto found = inspect_entry(dir_fd, name, path);
    if (!found) return found.status();
    return refuse(path, *found, "replace");
  }
  // Only a root-owned regular file is replaced. Should the entry be swapped between this
  // check and the rename, renameat() still replaces only the directory entry: it never writes
  // through a link nor changes the file the entry named.
  auto found = inspect_entry(dir_fd, name, path);
  if (!found) {
    ::unlinkat(dir_fd, temp.c_str(), 0);
    return found.status();
  }
  if (found->kind != EntryKind::kMissing && !is_root_regular_file(*found)) {
    ::unlinkat(dir_fd, temp.c_str(), 0);
    return refuse(path, *found, "replace");
  }
  if (::renameat(dir_fd, temp.c_str(), dir_fd, name.c_str()) != 0) {
    return abandon("rename into", errno);
  }
  ::fsync(dir_fd);  // best effort: the rename is visible already
  return Status::ok();
}

Status remove_root_file(int dir_fd, const std::string& name, const std::string& path) {
  auto found = inspect_entry(dir_fd, name, path);
  if (!found) return found.status();
  if (found->kind == EntryKind::kMissing) return Status::ok();
  if (!is_root_regular_file(*found)) return refuse(path, *found, "remove");
  // As in write_root_file(): unlinkat() removes a directory entry, never what a link names.
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
    return fail("remove", path, errno);
  }
  return Status::ok();
}

}  // namespace pydio::agent
