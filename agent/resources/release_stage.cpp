#include "agent/resources/release_stage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <vector>

#include "agent/host/nofollow_dir.hpp"
#include "agent/host/release_unpack.hpp"
#include "agent/host/remove_tree.hpp"
#include "agent/resources/pydio_file_io.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

constexpr mode_t kReleaseCacheMode = 0750;
constexpr mode_t kCacheRootMode = 0755;
constexpr const char* kRequiredFiles[] = {"index.php", "base.conf.php", "conf/VERSION"};

struct EditedFile {
  std::string path;
  PydioFile before;
  std::string after;
};

Status make_release_cache(const StageRelease& stage) {
  auto root = open_directory_nofollow(stage.cache_root, MissingDirs::kCreate, kCacheRootMode);
  if (!root) return root.status();
  const std::string path = stage.cache_root + "/" + stage.id;
  auto dir = open_directory_nofollow(path, MissingDirs::kCreate, kReleaseCacheMode);
  if (!dir) return dir.status();
  if (::fchown((*dir)->get(), stage.uid, stage.gid) != 0)
    return Status::error("chown " + path + ": " + common::errno_text(errno));
  if (::fchmod((*dir)->get(), kReleaseCacheMode) != 0)
    return Status::error("chmod " + path + ": " + common::errno_text(errno));
  return Status::ok();
}

}  // namespace

std::string release_marker_text(const ReleaseMarker& marker) {
  return nlohmann::json{{"sha256", marker.sha256}, {"version", marker.version}}.dump() + "\n";
}

std::optional<ReleaseMarker> parse_release_marker(const std::string& text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object() || !json.contains("sha256") || !json.contains("version") ||
      !json["sha256"].is_string() || !json["version"].is_string())
    return std::nullopt;
  return ReleaseMarker{json["sha256"].get<std::string>(), json["version"].get<std::string>()};
}

std::string release_version_of(const std::string& version_file_text) {
  std::string version = version_file_text.substr(0, version_file_text.find("__"));
  while (!version.empty() && (version.back() == '\n' || version.back() == '\r' ||
                              version.back() == ' ' || version.back() == '\t'))
    version.pop_back();
  return version;
}

WiringTargets release_wiring(const StageRelease& stage, const std::string& dir_name) {
  WiringTargets targets = stage.wiring;
  targets.install_dir = stage.releases_dir + "/" + dir_name;
  targets.conf_dir = targets.install_dir + "/conf";
  targets.local_cache_dir = stage.cache_root + "/" + stage.id;
  return targets;
}

Expected<std::string> finish_staged_release(common::ProcessRunner& runner,
                                            const StageRelease& stage) {
  const std::string partial_name = partial_release_name(stage.id);
  const WiringTargets targets = release_wiring(stage, partial_name);
  const std::string& partial = targets.install_dir;
  std::string version;
  for (const char* name : kRequiredFiles) {
    auto file = read_pydio_file(partial + "/" + name);
    if (!file) return file.status();
    if (!file->has_value())
      return Status::error("release " + stage.sha256 + ": " + name +
                           " missing; not a Pydio release");
    if (std::string(name) == "conf/VERSION") version = release_version_of((*file)->text);
  }
  auto edits = wiring_edits(targets);
  if (!edits) return edits.status();
  // Every file is computed before any is written, as in operator mode.
  std::vector<EditedFile> files;
  for (const auto& file : *edits) {
    auto current = read_pydio_file(file.path);
    if (!current) return current.status();
    if (!current->has_value())
      return Status::error(file.path + ": missing from release " + version + "; nothing changed");
    auto after = pydio_edits(file.path, (*current)->text, file.edits);
    if (!after) return after.status();
    files.push_back(EditedFile{file.path, **current, *after});
  }
  for (const auto& file : files) {
    if (file.before.text == file.after) continue;
    Status written = rewrite_pydio_file(file.path, file.before, file.after);
    if (!written) return written;
  }
  Status cache = make_release_cache(stage);
  if (!cache) return cache;

  auto releases = open_directory_nofollow(stage.releases_dir);
  if (!releases) return releases.status();
  if (!releases->has_value()) return Status::error(stage.releases_dir + ": missing");
  const int releases_fd = (*releases)->get();
  auto tree = open_directory_nofollow(partial);
  if (!tree) return tree.status();
  if (!tree->has_value()) return Status::error(partial + ": missing");
  Status marked = replace_file_at((*tree)->get(), kReleaseMarker, partial + "/" + kReleaseMarker,
                                  release_marker_text({stage.sha256, version}), 0644, 0, 0);
  if (!marked) return marked;
  // A directory under the final name without a marker is a leftover of nothing the agent
  // finished (observe never took it for staged): it goes.
  const std::string final_path = stage.releases_dir + "/" + stage.id;
  Status cleared = remove_tree(runner, final_path);
  if (!cleared) return cleared;
  if (::renameat(releases_fd, partial_name.c_str(), releases_fd, stage.id.c_str()) != 0)
    return Status::error("rename " + partial + " to " + final_path + ": " +
                         common::errno_text(errno));
  return version;
}

Expected<std::optional<ReleaseMarker>> read_release_marker(const std::string& releases_dir,
                                                           const std::string& id) {
  auto file = read_pydio_file(releases_dir + "/" + id + "/" + kReleaseMarker);
  if (!file) return file.status();
  if (!file->has_value()) return std::optional<ReleaseMarker>();
  return parse_release_marker((*file)->text);
}

}  // namespace pydio::agent
