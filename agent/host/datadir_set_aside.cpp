#include "agent/host/datadir_set_aside.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <vector>

#include "common/file_ops.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {
namespace {

namespace fs = std::filesystem;
using common::Status;

// Moving a large datadir to another filesystem takes as long as copying it.
constexpr std::chrono::hours kMoveTimeout{4};

std::string parent_of(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? std::string("/") : parent.string();
}

// Entries of `dir` but lost+found (a filesystem's own, never MariaDB's), as full paths.
common::Expected<std::vector<std::string>> entries_of(const std::string& dir) {
  std::vector<std::string> entries;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.path().filename() != "lost+found") entries.push_back(entry.path().string());
  }
  if (error) return Status::error("list " + dir + ": " + error.message());
  return entries;
}

Status make_dir_like(const std::string& path, const struct stat& like) {
  if (::mkdir(path.c_str(), like.st_mode & 07777) != 0)
    return Status::error("mkdir " + path + ": " + common::errno_text(errno));
  // mkdir applies the umask: set the mode exactly, and the owner (mysql) of the original.
  if (::chmod(path.c_str(), like.st_mode & 07777) != 0 ||
      ::chown(path.c_str(), like.st_uid, like.st_gid) != 0)
    return Status::error("chmod/chown " + path + ": " + common::errno_text(errno));
  return Status::ok();
}

}  // namespace

std::string restore_stamp() {
  std::string out;
  for (char c : common::format_utc(common::utc_now_seconds()))
    if (c != '-' && c != ':') out += c;
  return out;
}

std::string set_aside_path(const std::string& datadir, const std::string& stamp) {
  std::string trimmed = datadir;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  return trimmed + ".before-restore-" + stamp;
}

common::Expected<std::string> set_aside_datadir(common::ProcessRunner& runner,
                                                const std::string& datadir,
                                                const std::string& stamp) {
  const std::string target = set_aside_path(datadir, stamp);
  struct stat dir {};
  if (::lstat(datadir.c_str(), &dir) != 0) {
    if (errno != ENOENT) return Status::error("stat " + datadir + ": " + common::errno_text(errno));
    return std::string();  // no datadir: nothing to set aside (the restore makes one)
  }
  if (!S_ISDIR(dir.st_mode)) return Status::error(datadir + " is not a directory");
  auto entries = entries_of(datadir);
  if (!entries) return entries.status();
  if (entries->empty()) return std::string();
  struct stat existing {};
  if (::lstat(target.c_str(), &existing) == 0)
    return Status::error(target + " exists already: refusing to set " + datadir + " aside there");
  struct stat parent {};
  const std::string parent_dir = parent_of(datadir);
  if (::stat(parent_dir.c_str(), &parent) != 0)
    return Status::error("stat " + parent_dir + ": " + common::errno_text(errno));

  if (dir.st_dev == parent.st_dev) {
    // A plain directory: rename it whole, then an empty one in its place. A bind mount of a
    // directory of the same filesystem refuses (EBUSY): its entries move as a mount point's.
    if (::rename(datadir.c_str(), target.c_str()) == 0) {
      Status made = make_dir_like(datadir, dir);
      if (!made)
        return Status::error(made.message() + " (the old datadir is safe in " + target + ")");
      return target;
    }
    if (errno != EBUSY && errno != EXDEV)
      return Status::error("rename " + datadir + " to " + target + ": " +
                           common::errno_text(errno));
  }
  // A mount point: its entries move into a new directory beside it.
  Status made = make_dir_like(target, dir);
  if (!made) return made;
  std::vector<std::string> argv = {"mv", "--no-clobber", "--target-directory=" + target, "--"};
  argv.insert(argv.end(), entries->begin(), entries->end());
  Status moved = common::run_checked(runner, common::Command(argv, kMoveTimeout));
  if (!moved) {
    return Status::error(
        "moving the content of " + datadir + " (a mount point) into " + target +
        " failed, part of it may be in each, nothing was deleted: " + moved.message());
  }
  return target;
}

}  // namespace pydio::agent
