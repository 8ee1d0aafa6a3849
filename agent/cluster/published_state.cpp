#include "agent/cluster/published_state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

#include "agent/cluster/abandonable.hpp"
#include "agent/cluster/signed_document.hpp"
#include "agent/cluster/signing.hpp"
#include "agent/cluster/trusted_dir.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

namespace {

constexpr const char* kDocument = "desired-state.json";
constexpr const char* kSignature = "desired-state.json.sig";
constexpr const char* kLock = "desired-state.lock";
constexpr std::size_t kMaxSignatureBytes = 4096;

constexpr int kMaxReadsInFlight = 2;

std::string directory_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

// The document lives on the volume, never on the bare mountpoint of an absent mount.
common::Status require_fuse_mount(const std::string& path) {
  return common::require_fuse_filesystem(directory_of(directory_of(path)))
      .with_context(std::string("no ") + kConfigVolume + " mount");
}

constexpr std::chrono::seconds kLockWait{3};  // below kSharedFileTimeout

// Holds a POSIX lock on the folder's lock file until destroyed (closing releases it). Tries
// for a bounded time instead of waiting (F_SETLKW): any client of the volume can hold a lock
// forever, and a waiting thread would then never come back.
common::Expected<Fd> lock_folder(const TrustedDir& dir, short type) {
  Fd fd(::openat(dir.fd.get(), kLock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0)
    return common::Status::error(std::string("open ") + kLock + ": " + common::errno_text(errno));
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  const auto give_up = std::chrono::steady_clock::now() + kLockWait;
  while (::fcntl(fd.get(), F_SETLK, &lock) != 0) {
    if ((errno != EAGAIN && errno != EACCES && errno != EINTR) ||
        std::chrono::steady_clock::now() >= give_up) {
      return common::Status::error(std::string("lock ") + kLock + ": " +
                                   (errno == EAGAIN || errno == EACCES
                                        ? "held by another client for over 3 s"
                                        : common::errno_text(errno)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fd;
}

// Reads both files from an open trusted folder. REQUIRES: a lock on the folder is held.
common::Expected<std::optional<PublishedState>> read_files(const TrustedDir& dir,
                                                           const std::string& public_pem) {
  PublishedState published;
  auto text = read_trusted_file(dir, kDocument, kMaxDocumentBytes, published.untrusted);
  if (!text) return text.status();
  if (!published.untrusted.empty()) return std::optional<PublishedState>(std::move(published));
  if (!text->has_value()) return std::optional<PublishedState>();
  auto signature = read_trusted_file(dir, kSignature, kMaxSignatureBytes, published.untrusted);
  if (!signature) return signature.status();
  if (!published.untrusted.empty()) return std::optional<PublishedState>(std::move(published));
  published.text = std::move(**text);
  published.signature = signature->value_or("");
  if (verify_document(public_pem, published.text, published.signature)) {
    common::ValidationResult parsed = common::parse_desired_state(published.text);
    if (parsed.state) published.generation = parsed.state->generation;
  }
  return std::optional<PublishedState>(std::move(published));
}

common::Expected<std::optional<PublishedState>> read_now(const std::string& path,
                                                         const std::string& public_pem) {
  if (common::Status mounted = require_fuse_mount(path); !mounted) return mounted;
  auto dir = open_trusted_dir(directory_of(directory_of(path)), kAgentFolder, false);
  if (!dir) return dir.status();
  if (!dir->exists) return std::optional<PublishedState>();
  if (!dir->untrusted.empty())
    return std::optional<PublishedState>(PublishedState{"", "", 0, dir->untrusted});
  auto lock = lock_folder(*dir, F_RDLCK);
  if (!lock) return lock.status();
  return read_files(*dir, public_pem);
}

common::Expected<bool> publish_now(const std::string& path, const std::string& text,
                                   const std::string& signature, const std::string& public_pem,
                                   std::int64_t expected_generation) {
  if (common::Status mounted = require_fuse_mount(path); !mounted) return mounted;
  auto dir = open_trusted_dir(directory_of(directory_of(path)), kAgentFolder, true);
  if (!dir) return dir.status();
  if (!dir->untrusted.empty()) return common::Status::error("not writing there: " + dir->untrusted);
  auto lock = lock_folder(*dir, F_WRLCK);
  if (!lock) return lock.status();
  auto current = read_files(*dir, public_pem);
  if (!current) return current.status();
  const std::int64_t found = current->has_value() ? (*current)->generation : 0;
  if (found != expected_generation) {
    return common::Status::error("published generation is " + std::to_string(found) +
                                 ", expected " + std::to_string(expected_generation) +
                                 ": another writer published meanwhile");
  }
  // A planted file in our place (not root's, a FIFO) is replaced: the rename drops the entry.
  // Readers hold the shared lock, so the two renames look like one to them.
  if (common::Status written = write_trusted_file(*dir, kSignature, signature, 0600); !written)
    return written;
  if (common::Status written = write_trusted_file(*dir, kDocument, text, 0600); !written)
    return written;
  return true;
}

}  // namespace

std::string published_state_path(const common::DesiredState& desired) {
  const common::VolumeSpec* volume = desired.find_volume(kConfigVolume);
  if (volume == nullptr || volume->mountpoint.empty()) return "";
  return volume->mountpoint + "/" + kAgentFolder + "/" + kDocument;
}

common::Expected<std::optional<PublishedState>> read_published_state(
    const std::string& path, const std::string& public_pem) {
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
      [path, public_pem] {
        // Released however the read ends, an exception included.
        struct Release {
          ~Release() { in_flight.fetch_sub(1); }
        } release;
        return read_now(path, public_pem);
      },
      kSharedFileTimeout, "read " + path);
}

common::Status publish_state(const std::string& path, const std::string& text,
                             const std::string& signature, const std::string& public_pem,
                             std::int64_t expected_generation) {
  auto done = run_abandonable<bool>(
      [path, text, signature, public_pem, expected_generation] {
        return publish_now(path, text, signature, public_pem, expected_generation);
      },
      kSharedFileTimeout, "publish " + path);
  return done.status().with_context("publish desired state");
}

}  // namespace pydio::agent
