#include "agent/host/db_backup_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <memory>

namespace pydio::agent {

namespace {

using common::BackupManifest;
using common::Expected;
using common::OwnedFd;
using common::Status;

constexpr std::size_t kMaxManifestBytes = 64 * 1024;
constexpr long kFuseSuperMagic = 0x65735546;  // FUSE_SUPER_MAGIC (linux/magic.h)

using common::errno_status;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() > suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// `name` below `parent_fd` opened as a directory without following a link, created root 0700
// when missing and `create`; then checked: root's, and no write (`forbidden` bits) for others.
Expected<OwnedFd> open_checked(int parent_fd, const std::string& name, const std::string& path,
                               CreateBackupDir create, mode_t forbidden) {
  if (create == CreateBackupDir::kYes && ::mkdirat(parent_fd, name.c_str(), 0700) != 0 &&
      errno != EEXIST)
    return errno_status("mkdir " + path);
  OwnedFd fd(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ELOOP || errno == ENOTDIR)
      return Status::error(path + " is not a directory (a link or a file): remove it by hand");
    if (errno == ENOENT) return Status::error(path + " does not exist: no backup was taken yet");
    return errno_status("open " + path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_status("stat " + path);
  if (st.st_uid != 0 || (st.st_mode & forbidden) != 0) {
    return Status::error(path + " is owned by uid " + std::to_string(st.st_uid) + " with mode " +
                         common::octal_mode(st.st_mode & 07777) +
                         ": the agent keeps backups only in a folder that only root can change "
                         "(root-owned, mode 0700); move it aside and let the agent create it");
  }
  return fd;
}

Expected<std::string> read_small_file_at(int dir_fd, const std::string& name) {
  OwnedFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return errno_status("open " + name);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_status("stat " + name);
  if (!S_ISREG(st.st_mode) || st.st_size > static_cast<off_t>(kMaxManifestBytes))
    return Status::error(name + ": not a regular file of at most 64 KiB");
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return errno_status("read " + name);
    done += static_cast<std::size_t>(n);
  }
  return text;
}

}  // namespace

Expected<OwnedFd> open_backup_dir(const std::string& mountpoint, const std::string& dir,
                                  CreateBackupDir create) {
  const std::string below = std::string("/") + common::kBackupDirBelowVolume;
  if (dir != mountpoint + below)
    return Status::error("backup folder " + dir + " is not " + mountpoint + below);
  OwnedFd root(::open(mountpoint.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (root.get() < 0) return errno_status("open " + mountpoint);
  // Checked on the opened directory, not the path: a remount between a check and an open
  // would otherwise put the backups on the node's own disk.
  struct statfs fs {};
  if (::fstatfs(root.get(), &fs) != 0 || fs.f_type != kFuseSuperMagic)
    return Status::error("the backup volume is not mounted at " + mountpoint +
                         "; no backup is written to the node's own disk");
  struct stat st {};
  if (::fstat(root.get(), &st) != 0) return errno_status("stat " + mountpoint);
  if (st.st_uid != 0 || (st.st_mode & 022) != 0)
    return Status::error("the root of the backup volume (" + mountpoint + ") is owned by uid " +
                         std::to_string(st.st_uid) + " with mode " +
                         common::octal_mode(st.st_mode & 07777) +
                         ": its owner could move the backup folder away; the volume's root must "
                         "be root's and not writable by others");
  auto agent_dir =
      open_checked(root.get(), "pydio-agent", mountpoint + "/pydio-agent", create, 022);
  if (!agent_dir) return agent_dir.status();
  return open_checked(agent_dir->get(), "db-backups", dir, create, 077);
}

Expected<BackupListing> list_backups(int dir_fd) {
  const int copy = ::dup(dir_fd);
  if (copy < 0) return errno_status("dup");
  struct CloseDir {
    void operator()(DIR* d) const { ::closedir(d); }
  };
  std::unique_ptr<DIR, CloseDir> dir(::fdopendir(copy));
  if (!dir) {
    ::close(copy);
    return errno_status("opendir");
  }
  ::rewinddir(dir.get());
  std::map<std::string, std::int64_t> streams;  // NAME -> size of NAME.xbstream
  std::vector<std::string> manifests;
  BackupListing listing;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    const std::string json = common::kBackupManifestSuffix;
    const std::string stream = common::kBackupStreamSuffix;
    const std::string partial = common::kBackupPartialSuffix;
    const std::string tmp = json + ".tmp";
    if (ends_with(name, tmp)) {
      listing.orphans.push_back(name.substr(0, name.size() - tmp.size()));
      listing.problems.push_back(name + ": a manifest being written, or left by a crash");
    } else if (ends_with(name, json)) {
      manifests.push_back(name.substr(0, name.size() - json.size()));
    } else if (ends_with(name, stream)) {
      struct stat st {};
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
        streams[name.substr(0, name.size() - stream.size())] = st.st_size;
      else
        listing.problems.push_back(name + ": not a regular file");
    } else if (ends_with(name, partial)) {
      listing.partial.push_back(name.substr(0, name.size() - partial.size()));
    } else {
      listing.problems.push_back(name + ": not a file the agent writes here");
    }
  }
  for (const std::string& name : manifests) {
    auto text = read_small_file_at(dir_fd, name + common::kBackupManifestSuffix);
    if (!text) {
      listing.problems.push_back(text.status().message());
      continue;
    }
    auto manifest = common::parse_manifest(*text, name);
    if (!manifest) {
      listing.problems.push_back(manifest.status().message());
      continue;
    }
    const auto found = streams.find(name);
    if (found == streams.end()) {
      listing.problems.push_back(name + ": the manifest's stream " + name +
                                 common::kBackupStreamSuffix + " is missing");
    } else if (found->second != manifest->bytes) {
      listing.problems.push_back(name + ": the stream has " + std::to_string(found->second) +
                                 " bytes, the manifest says " + std::to_string(manifest->bytes));
    } else {
      listing.good.push_back(*manifest);
    }
    if (found != streams.end()) streams.erase(found);
  }
  for (const auto& [name, size] : streams) {
    listing.orphans.push_back(name);
    listing.problems.push_back(name + common::kBackupStreamSuffix + ": no manifest (incomplete)");
  }
  return listing;
}

Status remove_backup(int dir_fd, const std::string& name) {
  for (const char* suffix : {common::kBackupManifestSuffix, common::kBackupStreamSuffix}) {
    const std::string file = name + suffix;
    if (::unlinkat(dir_fd, file.c_str(), 0) != 0 && errno != ENOENT)
      return errno_status("remove " + file);
  }
  return Status::ok();
}

Expected<SpaceOnTarget> space_on_target(int dir_fd) {
  struct statvfs vfs {};
  if (::fstatvfs(dir_fd, &vfs) != 0) return errno_status("statvfs of the backup folder");
  const auto unit = static_cast<std::int64_t>(vfs.f_frsize);
  return SpaceOnTarget{static_cast<std::int64_t>(vfs.f_bavail) * unit,
                       static_cast<std::int64_t>(vfs.f_blocks) * unit};
}

}  // namespace pydio::agent
