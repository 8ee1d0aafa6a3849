#include "agent/host/archive_copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <memory>
#include <vector>

#include "agent/host/sha256_stream.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

namespace {

using common::Expected;
using common::OwnedFd;
using common::Status;

constexpr std::size_t kChunk = 1 << 20;

using common::errno_status;

// Reads all of `fd` (at most max_bytes, else an error), giving each chunk to `take`.
template <typename Take>
Expected<std::int64_t> read_all(int fd, const std::string& what, std::int64_t max_bytes,
                                Take take) {
  std::vector<char> buffer(kChunk);
  std::int64_t total = 0;
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status("read " + what);
    if (n == 0) return total;
    total += n;
    if (total > max_bytes)
      return Status::error(what + ": larger than " + std::to_string(max_bytes) + " bytes");
    if (Status st = take(buffer.data(), static_cast<std::size_t>(n)); !st) return st;
  }
}

Status write_all(int fd, const char* data, std::size_t size, const std::string& what) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status("write " + what);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return Status::ok();
}

Expected<ArchiveCopy> copy_into(int source_fd, const std::string& source, int target_fd,
                                const std::string& target, std::int64_t max_bytes,
                                std::int64_t bytes_per_second = 0) {
  Sha256Stream hash;
  const auto begun = std::chrono::steady_clock::now();
  std::int64_t copied = 0;
  auto size = read_all(source_fd, source, max_bytes, [&](const char* data, std::size_t n) {
    hash.update(data, n);
    copied += static_cast<std::int64_t>(n);
    if (bytes_per_second > 0) {
      // Not before the time this many bytes take at the allowed rate.
      // Whole seconds and the rest apart: copied * 1e6 would overflow past 8 TiB.
      const std::int64_t seconds = copied / bytes_per_second;
      const std::int64_t rest = copied % bytes_per_second * 1'000'000 / bytes_per_second;
      std::this_thread::sleep_until(begun + std::chrono::seconds(seconds) +
                                    std::chrono::microseconds(rest));
    }
    return write_all(target_fd, data, n, target);
  });
  if (!size) return size.status();
  if (::fsync(target_fd) != 0) return errno_status("fsync " + target);
  ArchiveCopy copy{hash.finish(), *size};
  if (copy.sha256.empty()) return Status::error("sha256 of " + source + ": OpenSSL failed");
  return copy;
}

}  // namespace

Expected<ArchiveCopy> copy_archive(const std::string& source, int dir_fd, const std::string& name,
                                   std::int64_t max_bytes) {
  // O_NONBLOCK: a FIFO planted at the path is refused by fstat below, never waited on.
  OwnedFd in(::open(source.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (in.get() < 0) {
    if (errno == ELOOP) return Status::error(source + ": a symbolic link (give the file itself)");
    return errno_status("open " + source);
  }
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) return errno_status("stat " + source);
  if (!S_ISREG(st.st_mode))
    return Status::error(source + ": a " + common::file_type_name(st.st_mode) +
                         ", not a regular file");
  if (st.st_size > max_bytes)
    return Status::error(source + ": " + std::to_string(st.st_size) + " bytes, more than the " +
                         std::to_string(max_bytes) + " a release archive may have");
  if (st.st_size == 0) return Status::error(source + ": an empty file");
  const int flags = ::fcntl(in.get(), F_GETFL);
  if (flags < 0 || ::fcntl(in.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
    return errno_status("fcntl " + source);
  return copy_stream(in.get(), source, dir_fd, name, max_bytes);
}

Expected<ArchiveCopy> copy_stream(int source_fd, const std::string& source, int dir_fd,
                                  const std::string& name, std::int64_t max_bytes,
                                  std::int64_t bytes_per_second) {
  OwnedFd out(
      ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (out.get() < 0) return errno_status("create " + name);
  auto copy = copy_into(source_fd, source, out.get(), name, max_bytes, bytes_per_second);
  if (!copy) ::unlinkat(dir_fd, name.c_str(), 0);
  return copy;
}

Expected<std::string> sha256_file_at(int dir_fd, const std::string& name, std::int64_t max_bytes) {
  OwnedFd in(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (in.get() < 0) return errno_status("open " + name);
  Sha256Stream hash;
  auto size = read_all(in.get(), name, max_bytes, [&](const char* data, std::size_t n) {
    hash.update(data, n);
    return Status::ok();
  });
  if (!size) return size.status();
  const std::string digest = hash.finish();
  if (digest.empty()) return Status::error("sha256 of " + name + ": OpenSSL failed");
  return digest;
}

}  // namespace pydio::agent
