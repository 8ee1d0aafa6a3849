#include "agent/cluster/trusted_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Status;

std::string untrusted_dir_problem(const std::string& path, bool is_directory, uid_t uid,
                                  mode_t mode) {
  if (!is_directory) return path + " is not a directory";
  if (uid != 0 || (mode & 077) != 0)
    return path + " is owned by uid " + std::to_string(uid) + " with mode " +
           common::octal_mode(mode) + " (expected root, 0700)";
  return "";
}

common::Expected<TrustedDir> open_trusted_dir(const std::string& parent, const std::string& name,
                                              bool create) {
  const std::string path = parent + "/" + name;
  TrustedDir dir;
  Fd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (parent_fd.get() < 0)
    return Status::error("open " + parent + ": " + common::errno_text(errno));
  if (create && ::mkdirat(parent_fd.get(), name.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::error("create " + path + ": " + common::errno_text(errno));
  dir.fd =
      Fd(::openat(parent_fd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dir.fd.get() < 0) {
    if (errno == ENOENT) return dir;
    if (errno == ELOOP || errno == ENOTDIR) {
      dir.exists = true;
      dir.untrusted = path + " is a symlink or not a directory";
      return dir;
    }
    return Status::error("open " + path + ": " + common::errno_text(errno));
  }
  dir.exists = true;
  struct stat st {};
  if (::fstat(dir.fd.get(), &st) != 0)
    return Status::error("stat " + path + ": " + common::errno_text(errno));
  dir.untrusted = untrusted_dir_problem(path, S_ISDIR(st.st_mode), st.st_uid, st.st_mode);
  if (!dir.untrusted.empty()) dir.fd = Fd();
  return dir;
}

common::Expected<std::optional<std::string>> read_trusted_file(const TrustedDir& dir,
                                                               const std::string& name,
                                                               std::size_t max_bytes,
                                                               std::string& untrusted) {
  Fd fd(::openat(dir.fd.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    if (errno == ELOOP) {
      untrusted = name + " is a symlink";
      return std::optional<std::string>();
    }
    return Status::error("open " + name + ": " + common::errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return Status::error("stat " + name + ": " + common::errno_text(errno));
  if (!S_ISREG(st.st_mode))
    untrusted = name + " is not a regular file";
  else if (st.st_uid != 0)
    untrusted = name + " is owned by uid " + std::to_string(st.st_uid) + ", not root";
  else if (static_cast<std::size_t>(st.st_size) > max_bytes)
    untrusted = name + " has " + std::to_string(st.st_size) + " bytes, more than the limit of " +
                std::to_string(max_bytes);
  if (!untrusted.empty()) return std::optional<std::string>();
  std::string content;
  char buffer[65536];
  for (;;) {
    ssize_t got = ::read(fd.get(), buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status::error("read " + name + ": " + common::errno_text(errno));
    if (got == 0) break;
    content.append(buffer, static_cast<std::size_t>(got));
    if (content.size() > max_bytes) {  // grew after the fstat
      untrusted = name + " has more than the limit of " + std::to_string(max_bytes) + " bytes";
      return std::optional<std::string>();
    }
  }
  return std::optional<std::string>(std::move(content));
}

Status write_trusted_file(const TrustedDir& dir, const std::string& name,
                          const std::string& content, mode_t mode) {
  const std::string temporary = "." + name + ".tmp";
  ::unlinkat(dir.fd.get(), temporary.c_str(), 0);  // left by a writer that died
  Fd fd(::openat(dir.fd.get(), temporary.c_str(),
                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (fd.get() < 0) return Status::error("create " + temporary + ": " + common::errno_text(errno));
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t wrote = ::write(fd.get(), content.data() + done, content.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      const int error = errno;
      ::unlinkat(dir.fd.get(), temporary.c_str(), 0);
      return Status::error("write " + temporary + ": " + common::errno_text(error));
    }
    done += static_cast<std::size_t>(wrote);
  }
  if (::fchmod(fd.get(), mode) != 0 || ::fsync(fd.get()) != 0 ||
      ::renameat(dir.fd.get(), temporary.c_str(), dir.fd.get(), name.c_str()) != 0) {
    const int error = errno;
    ::unlinkat(dir.fd.get(), temporary.c_str(), 0);
    return Status::error("replace " + name + ": " + common::errno_text(error));
  }
  return Status::ok();
}

}  // namespace pydio::agent
