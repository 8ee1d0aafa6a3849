#include "agent/cluster/published_state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "agent/cluster/abandonable.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

namespace {

constexpr const char* kDirectory = "pydio-agent";

constexpr int kMaxReadsInFlight = 2;

std::string directory_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

// The document lives on the volume, never on the bare mountpoint of an absent mount.
common::Status require_fuse_mount(const std::string& path) {
  return common::require_fuse_filesystem(directory_of(directory_of(path)))
      .with_context(std::string("no ") + kConfigVolume + " mount");
}

common::Expected<std::optional<PublishedState>> read_now(const std::string& path) {
  if (common::Status mounted = require_fuse_mount(path); !mounted) return mounted;
  auto text = common::read_optional_file(path);
  if (!text) return text.status();
  if (!text->has_value()) return std::optional<PublishedState>();
  PublishedState published;
  published.text = **text;
  common::ValidationResult parsed = common::parse_desired_state(published.text);
  if (parsed.state) published.generation = parsed.state->generation;
  return std::optional<PublishedState>(std::move(published));
}

// Holds an exclusive fcntl lock on a file until destroyed.
class FileLock {
 public:
  static common::Expected<std::shared_ptr<FileLock>> acquire(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return common::Status::error("open " + path + ": " + common::errno_text(errno));
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (::fcntl(fd, F_SETLKW, &lock) != 0) {
      int error = errno;
      ::close(fd);
      return common::Status::error("lock " + path + ": " + common::errno_text(error));
    }
    return std::shared_ptr<FileLock>(new FileLock(fd));
  }
  ~FileLock() { ::close(fd_); }  // closing releases the lock

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

common::Expected<bool> publish_now(const std::string& path, const std::string& text,
                                   std::int64_t expected_generation) {
  if (common::Status mounted = require_fuse_mount(path); !mounted) return mounted;
  const std::string directory = directory_of(path);
  if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
    return common::Status::error("create " + directory + ": " + common::errno_text(errno));
  auto lock = FileLock::acquire(directory + "/desired-state.lock");
  if (!lock) return lock.status();
  auto current = read_now(path);
  if (!current) return current.status();
  const std::int64_t found = current->has_value() ? (*current)->generation : 0;
  if (found != expected_generation) {
    return common::Status::error("published generation is " + std::to_string(found) +
                                 ", expected " + std::to_string(expected_generation) +
                                 ": another writer published meanwhile");
  }
  common::Status written = common::write_file_atomically(path, text, 0600);
  if (!written) return written;
  return true;
}

}  // namespace

std::string published_state_path(const common::DesiredState& desired) {
  const common::VolumeSpec* volume = desired.find_volume(kConfigVolume);
  if (volume == nullptr || volume->mountpoint.empty()) return "";
  return volume->mountpoint + "/" + kDirectory + "/desired-state.json";
}

common::Expected<std::optional<PublishedState>> read_published_state(const std::string& path) {
  // Reads in flight are capped (the follower and the publication resource may read at the
  // same moment): while abandoned reads are still blocked on a hung mount, further callers
  // fail at once instead of leaving one more blocked thread every 2 s.
  static std::atomic<int> in_flight{0};
  if (in_flight.fetch_add(1) >= kMaxReadsInFlight) {
    in_flight.fetch_sub(1);
    return common::Status::error("read " + path +
                                 ": earlier reads are still blocked (the mount does not answer)");
  }
  return run_abandonable<std::optional<PublishedState>>(
      [path] {
        auto result = read_now(path);
        in_flight.fetch_sub(1);
        return result;
      },
      kSharedFileTimeout, "read " + path);
}

common::Status publish_state(const std::string& path, const std::string& text,
                             std::int64_t expected_generation) {
  auto done = run_abandonable<bool>(
      [path, text, expected_generation] { return publish_now(path, text, expected_generation); },
      kSharedFileTimeout, "publish " + path);
  return done.status().with_context("publish desired state");
}

}  // namespace pydio::agent
