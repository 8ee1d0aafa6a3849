#include "agent/host/release_prune.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "agent/host/nofollow_dir.hpp"
#include "agent/host/remove_tree.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

bool is_hex(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

bool is_release_id(const std::string& name) { return name.size() == 12 && is_hex(name); }

Expected<std::vector<std::string>> directory_names(const std::string& dir) {
  auto opened = open_directory_nofollow(dir);
  if (!opened) return opened.status();
  std::vector<std::string> names;
  if (!opened->has_value()) return names;
  // fdopendir takes the descriptor: hand it a duplicate, the OwnedFd closes its own.
  const int fd = ::fcntl((*opened)->get(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return Status::error("dup " + dir + ": " + common::errno_text(errno));
  DIR* stream = ::fdopendir(fd);
  if (stream == nullptr) {
    ::close(fd);
    return Status::error("opendir " + dir + ": " + common::errno_text(errno));
  }
  while (const dirent* entry = ::readdir(stream)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(stream);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<PruneStep> prune_steps(const ReleaseDirs& dirs,
                                   const std::vector<std::string>& releases,
                                   const std::vector<std::string>& caches,
                                   const std::vector<std::string>& archives,
                                   const std::set<std::string>& keep_ids) {
  std::vector<PruneStep> steps;
  const auto kept = [&](const std::string& id) { return keep_ids.count(id) > 0; };
  for (const auto& name : releases) {
    const bool partial = name.size() == 21 && name.front() == '.' && ends_with(name, ".partial") &&
                         is_release_id(name.substr(1, 12));
    if (partial || (is_release_id(name) && !kept(name)))
      steps.push_back({dirs.releases_dir + "/" + name, PrunedKind::kTree});
  }
  for (const auto& name : caches)
    if (is_release_id(name) && !kept(name))
      steps.push_back({dirs.cache_dir + "/" + name, PrunedKind::kTree});
  for (const auto& name : archives) {
    const std::string hex = name.substr(0, name.size() < 7 ? 0 : name.size() - 7);
    if (ends_with(name, ".tar.gz") && hex.size() == 64 && is_hex(hex) && !kept(hex.substr(0, 12)))
      steps.push_back({dirs.archive_dir + "/" + name, PrunedKind::kFile});
  }
  return steps;
}

Status prune_releases(common::ProcessRunner& runner, const ReleaseDirs& dirs,
                      const std::set<std::string>& keep_ids) {
  auto releases = directory_names(dirs.releases_dir);
  if (!releases) return releases.status();
  auto caches = directory_names(dirs.cache_dir);
  if (!caches) return caches.status();
  auto archives = directory_names(dirs.archive_dir);
  if (!archives) return archives.status();
  for (const auto& step : prune_steps(dirs, *releases, *caches, *archives, keep_ids)) {
    if (step.kind == PrunedKind::kTree) {
      Status removed = remove_tree(runner, step.path);
      if (!removed) return removed;
    } else if (::unlink(step.path.c_str()) != 0 && errno != ENOENT) {
      // archive_dir is root's 0700: a path-based unlink there meets no link of anyone else.
      return Status::error("remove " + step.path + ": " + common::errno_text(errno));
    }
  }
  return Status::ok();
}

}  // namespace pydio::agent
