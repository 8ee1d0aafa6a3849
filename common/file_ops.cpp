#include "common/file_ops.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

namespace pydio::common {

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

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Status remove_if_present(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Status::error("remove " + path + ": " + errno_text(errno));
  return Status::ok();
}

namespace {

// A name that no glob of Apache's (sites-enabled/*.conf) or a reader of `path` matches.
std::string temp_name_for(const std::string& path) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return dir_of(path) + "/." + base_of(path) + ".pydio-agent-" + std::to_string(rng() % 1000000000);
}

Status fail(const std::string& what, const std::string& path, int error_number) {
  return Status::error(what + " " + path + ": " + errno_text(error_number));
}

// Renames `temp` over `path` and syncs the directory so the rename survives a crash (best
// effort: it is visible already). On failure `temp` is removed and `path` is untouched.
Status rename_into_place(const std::string& temp, const std::string& path) {
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    return fail("rename to", path, saved);
  }
  const int dir_fd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return Status::ok();
}

}  // namespace

std::string errno_text(int error_number) { return std::strerror(error_number); }

Status errno_status(const std::string& what) {
  const int error_number = errno;
  return Status::error(what + ": " + errno_text(error_number));
}

std::string file_type_name(mode_t mode) {
  if (S_ISREG(mode)) return "regular file";
  if (S_ISDIR(mode)) return "directory";
  if (S_ISLNK(mode)) return "symbolic link";
  if (S_ISFIFO(mode)) return "fifo";
  if (S_ISSOCK(mode)) return "socket";
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  return "unknown type";
}

Expected<std::optional<std::string>> read_optional_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO planted at `path` returns at once instead of waiting forever
  // for a writer; the type check then refuses it (and devices, sockets, directories).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return fail("read", path, errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int saved = errno;
    ::close(fd);
    return fail("stat", path, saved);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::error("read " + path + ": not a regular file (" + file_type_name(st.st_mode) +
                         ")");
  }
  std::string content;
  std::vector<char> buffer(16384);
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      return fail("read", path, saved);
    }
    if (n == 0) break;
    content.append(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return std::optional<std::string>(std::move(content));
}

Status write_file_atomically(const std::string& path, const std::string& content, mode_t mode,
                             uid_t uid, gid_t gid) {
  const std::string temp = temp_name_for(path);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail("create", temp, errno);
  auto abandon = [&](const std::string& what, int error_number) {
    ::close(fd);
    ::unlink(temp.c_str());
    return fail(what, temp, error_number);
  };
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return abandon("write", errno);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fchown(fd, uid, gid) != 0) return abandon("chown", errno);
  if (::fchmod(fd, mode) != 0) return abandon("chmod", errno);
  if (::fsync(fd) != 0) return abandon("fsync", errno);
  if (::close(fd) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    return fail("close", temp, saved);
  }
  return rename_into_place(temp, path);
}

Status replace_symlink(const std::string& path, const std::string& target) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return Status::error("symlink " + path + ": a directory is in the way");
  }
  const std::string temp = temp_name_for(path);
  if (::symlink(target.c_str(), temp.c_str()) != 0) return fail("symlink", temp, errno);
  return rename_into_place(temp, path);
}

std::optional<std::string> read_symlink(const std::string& path) {
  std::vector<char> buffer(4096);
  ssize_t n = ::readlink(path.c_str(), buffer.data(), buffer.size());
  if (n < 0 || static_cast<std::size_t>(n) >= buffer.size()) return std::nullopt;
  return std::string(buffer.data(), static_cast<std::size_t>(n));
}

Status require_fuse_filesystem(const std::string& path) {
  constexpr long kFuseSuperMagic = 0x65735546;
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0)
    return Status::error("statfs " + path + ": " + errno_text(errno));
  if (static_cast<long>(fs.f_type) != kFuseSuperMagic)
    return Status::error(path + " is not on a FUSE mount (not mounted)");
  return Status::ok();
}

}  // namespace pydio::common
