#include "agent/host/release_unpack.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>

#include "agent/host/nofollow_dir.hpp"
#include "agent/host/remove_tree.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Status;

namespace {
constexpr std::chrono::seconds kTarTimeout{600};
constexpr mode_t kReleasesDirMode = 0755;
}  // namespace

std::string partial_release_name(const std::string& id) { return "." + id + ".partial"; }

Status unpack_release(common::ProcessRunner& runner, const std::string& archive,
                      const std::string& releases_dir, const std::string& id) {
  auto dir = open_directory_nofollow(releases_dir, MissingDirs::kCreate, kReleasesDirMode);
  if (!dir) return dir.status();
  const std::string name = partial_release_name(id);
  const std::string partial = releases_dir + "/" + name;
  Status removed = remove_tree(runner, partial);
  if (!removed) return removed;
  if (::mkdirat((*dir)->get(), name.c_str(), kReleasesDirMode) != 0)
    return Status::error("mkdir " + partial + ": " + common::errno_text(errno));
  // Root unpacks: --no-same-owner and --no-same-permissions keep the archive from choosing
  // owners or set-id bits; the tree is root's and read-only to the web user.
  common::Command tar({"tar", "--no-same-owner", "--no-same-permissions", "-xzf", archive, "-C",
                       partial, "--strip-components=1"},
                      kTarTimeout);
  common::RunResult result = runner.run(tar);
  if (!result.succeeded())
    return Status::error("unpack " + archive + ": " + result.describe_failure(tar.argv));
  // tar's modes follow the daemon's umask and may keep set-id bits: the tree is made read-only
  // to everyone but root and carries no set-id program. chmod -R does not follow the links in
  // the tree, and the path is safe because the releases' directories are root's
  // (root_only_path.hpp, checked by the resource before staging).
  common::Command chmod({"chmod", "-R", "go-w,ug-s", partial}, kTarTimeout);
  result = runner.run(chmod);
  if (!result.succeeded())
    return Status::error("unpack " + archive + ": " + result.describe_failure(chmod.argv));
  return Status::ok();
}

}  // namespace pydio::agent
