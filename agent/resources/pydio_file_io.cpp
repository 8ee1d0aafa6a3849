#include "agent/resources/pydio_file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "agent/host/nofollow_dir.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

constexpr std::size_t kMaxPydioFile = 1 << 20;

std::string dir_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

Status write_all(int fd, const std::string& text, const std::string& what) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::error("write " + what + ": " + common::errno_text(errno));
    done += static_cast<std::size_t>(n);
  }
  return Status::ok();
}

// A new file `name` in `dir_fd` (O_EXCL, never through a link) holding `text`, owned and
// moded as given, synced.
Status create_file_at(int dir_fd, const std::string& name, const std::string& what,
                      const std::string& text, mode_t mode, uid_t uid, gid_t gid) {
  common::OwnedFd fd(
      ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return Status::error("create " + what + ": " + common::errno_text(errno));
  Status written = write_all(fd.get(), text, what);
  if (written && ::fchown(fd.get(), uid, gid) != 0)
    written = Status::error("chown " + what + ": " + common::errno_text(errno));
  if (written && ::fchmod(fd.get(), mode) != 0)
    written = Status::error("chmod " + what + ": " + common::errno_text(errno));
  if (written && ::fsync(fd.get()) != 0)
    written = Status::error("fsync " + what + ": " + common::errno_text(errno));
  if (!written) ::unlinkat(dir_fd, name.c_str(), 0);
  return written;
}

Expected<std::optional<PydioFile>> read_at(int dir_fd, const std::string& name,
                                           const std::string& path) {
  common::OwnedFd fd(
      ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<PydioFile>();
    if (errno == ELOOP) return Status::error(path + ": is a symbolic link; not following it");
    return Status::error("open " + path + ": " + common::errno_text(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return Status::error("stat " + path + ": " + common::errno_text(errno));
  if (!S_ISREG(st.st_mode))
    return Status::error(path + ": is " + common::file_type_name(st.st_mode) +
                         ", not a regular file");
  if (static_cast<std::size_t>(st.st_size) > kMaxPydioFile)
    return Status::error(path + ": larger than 1 MiB, not a Pydio configuration file");
  PydioFile file;
  file.mode = st.st_mode & 07777;
  file.uid = st.st_uid;
  file.gid = st.st_gid;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::error("read " + path + ": " + common::errno_text(errno));
    if (n == 0) break;
    file.text.append(buffer, static_cast<std::size_t>(n));
    if (file.text.size() > kMaxPydioFile) return Status::error(path + ": grew past 1 MiB");
  }
  return std::optional<PydioFile>(std::move(file));
}

}  // namespace

Expected<std::optional<PydioFile>> read_pydio_file(const std::string& path) {
  auto dir = open_directory_nofollow(dir_of(path));
  if (!dir) return dir.status();
  if (!dir->has_value()) return std::optional<PydioFile>();
  return read_at((*dir)->get(), base_of(path), path);
}

Status rewrite_pydio_file(const std::string& path, const PydioFile& before,
                          const std::string& text) {
  auto dir = open_directory_nofollow(dir_of(path));
  if (!dir) return dir.status();
  if (!dir->has_value()) return Status::error(path + ": its directory is gone");
  const int dir_fd = (*dir)->get();
  const std::string name = base_of(path);
  auto now = read_at(dir_fd, name, path);
  if (!now) return now.status();
  if (!now->has_value() || (*now)->text != before.text)
    return Status::error(path + ": changed since it was read; planning again");

  const std::string original = name + kOriginalSuffix;
  struct stat st {};
  if (::fstatat(dir_fd, original.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT)
      return Status::error("stat " + path + kOriginalSuffix + ": " + common::errno_text(errno));
    Status kept = create_file_at(dir_fd, original, path + kOriginalSuffix, before.text, before.mode,
                                 before.uid, before.gid);
    if (!kept) return kept;
  }
  return replace_file_at(dir_fd, name, path, text, before.mode, before.uid, before.gid);
}

Status replace_file_at(int dir_fd, const std::string& name, const std::string& path,
                       const std::string& text, mode_t mode, uid_t uid, gid_t gid) {
  const std::string temporary = "." + name + ".pydio-agent-new";
  ::unlinkat(dir_fd, temporary.c_str(), 0);  // left by a crash between create and rename
  Status written = create_file_at(dir_fd, temporary, path + " (temporary)", text, mode, uid, gid);
  if (!written) return written;
  if (::renameat(dir_fd, temporary.c_str(), dir_fd, name.c_str()) != 0) {
    const int error = errno;
    ::unlinkat(dir_fd, temporary.c_str(), 0);
    return Status::error("rename over " + path + ": " + common::errno_text(error));
  }
  return Status::ok();
}

Status create_new_file_at(int dir_fd, const std::string& name, const std::string& path,
                          const std::string& text, mode_t mode, uid_t uid, gid_t gid) {
  const std::string temporary = "." + name + ".pydio-agent-new";
  ::unlinkat(dir_fd, temporary.c_str(), 0);
  Status written = create_file_at(dir_fd, temporary, path + " (temporary)", text, mode, uid, gid);
  if (!written) return written;
  const int linked = ::linkat(dir_fd, temporary.c_str(), dir_fd, name.c_str(), 0);
  const int error = errno;
  ::unlinkat(dir_fd, temporary.c_str(), 0);
  if (linked != 0) {
    if (error == EEXIST) return Status::error(path + ": appeared meanwhile; planning again");
    return Status::error("link " + path + ": " + common::errno_text(error));
  }
  return Status::ok();
}

}  // namespace pydio::agent
