#include "agent/host/release_fetch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <optional>

#include "agent/host/nofollow_dir.hpp"
#include "agent/host/release_prune.hpp"
#include "agent/host/sha256_stream.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::OwnedFd;
using common::Status;

namespace {

constexpr mode_t kArchiveDirMode = 0700;
constexpr mode_t kArchiveMode = 0600;

std::string dir_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The regular file `path` opened for reading, never through a link anywhere on its path.
Expected<OwnedFd> open_regular_nofollow(const std::string& path) {
  auto dir = open_directory_nofollow(dir_of(path));
  if (!dir) return dir.status();
  if (!dir->has_value()) return Status::error(path + ": its directory is missing");
  OwnedFd fd(::openat((*dir)->get(), base_of(path).c_str(),
                      O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return Status::error("open " + path + ": " + common::errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return Status::error("stat " + path + ": " + common::errno_text(errno));
  if (!S_ISREG(st.st_mode))
    return Status::error(path + ": is a " + common::file_type_name(st.st_mode) +
                         ", not a regular file");
  return fd;
}

// Reads `in` to its end, hashing, and writes everything to `out` when it is >= 0.
Expected<std::string> hash_and_copy(int in, int out, const std::string& source,
                                    const std::string& dest) {
  Sha256Stream hash;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(in, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::error("read " + source + ": " + common::errno_text(errno));
    if (n == 0) break;
    hash.update(buffer, static_cast<std::size_t>(n));
    for (ssize_t done = 0; out >= 0 && done < n;) {
      const ssize_t w = ::write(out, buffer + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return Status::error("write " + dest + ": " + common::errno_text(errno));
      done += w;
    }
  }
  std::string digest = hash.finish();
  if (digest.empty()) return Status::error("sha256: OpenSSL could not hash " + source);
  return digest;
}

}  // namespace

std::string release_hex(const std::string& sha256) {
  std::string hex = sha256.rfind("sha256:", 0) == 0 ? sha256.substr(7) : sha256;
  if (hex.size() != 64) return "";
  for (const char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return "";
  return hex;
}

Expected<std::string> sha256_of_file(const std::string& path) {
  auto fd = open_regular_nofollow(path);
  if (!fd) return fd.status();
  return hash_and_copy(fd->get(), -1, path, "");
}

Status fetch_release_archive(const std::string& source, const std::string& dest_dir,
                             const std::string& expected_sha256) {
  const std::string hex = release_hex(expected_sha256);
  if (hex.empty()) return Status::error(expected_sha256 + ": not a sha256:<64 hex> release hash");
  const std::string want = "sha256:" + hex;
  const std::string name = hex + ".tar.gz";
  const std::string dest = dest_dir + "/" + name;
  auto dir = open_directory_nofollow(dest_dir, MissingDirs::kCreate, kArchiveDirMode);
  if (!dir) return dir.status();
  const int dir_fd = (*dir)->get();

  // A copy made before (a stage interrupted after the fetch) is used when it is still right.
  OwnedFd existing(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (existing.get() >= 0) {
    struct stat st {};
    if (::fstat(existing.get(), &st) == 0 && S_ISREG(st.st_mode)) {
      auto got = hash_and_copy(existing.get(), -1, dest, "");
      if (got && *got == want) return Status::ok();
    }
  }
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT)
    return Status::error("remove " + dest + ": " + common::errno_text(errno));

  auto in = open_regular_nofollow(source);
  if (!in) return in.status();
  // A temporary name of this copy's own: a copy abandoned on a hung mount (the caller's
  // timeout) may still finish later, and must then find its file gone, never rename another.
  static std::atomic<unsigned> copies{0};
  const std::string prefix = "." + name + ".";
  const std::string temporary =
      prefix + std::to_string(::getpid()) + "-" + std::to_string(++copies) + ".partial";
  auto names = directory_names(dest_dir);
  if (!names) return names.status();
  for (const auto& other : *names)  // left by a crash or an abandoned copy
    if (other.rfind(prefix, 0) == 0) ::unlinkat(dir_fd, other.c_str(), 0);
  OwnedFd out(::openat(dir_fd, temporary.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, kArchiveMode));
  if (out.get() < 0) return Status::error("create " + dest + ": " + common::errno_text(errno));
  auto got = hash_and_copy(in->get(), out.get(), source, dest);
  Status result = Status::ok();
  if (!got) {
    result = got.status();
  } else if (*got != want) {
    result = Status::error(source + " has " + *got + ", the desired state names " + want +
                           "; the copy is deleted");
  } else if (::fsync(out.get()) != 0) {
    result = Status::error("fsync " + dest + ": " + common::errno_text(errno));
  } else if (::renameat(dir_fd, temporary.c_str(), dir_fd, name.c_str()) != 0) {
    result = Status::error("rename to " + dest + ": " + common::errno_text(errno));
  }
  if (!result) ::unlinkat(dir_fd, temporary.c_str(), 0);
  return result;
}

}  // namespace pydio::agent
