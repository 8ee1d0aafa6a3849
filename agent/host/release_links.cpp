#include "agent/host/release_links.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "agent/host/nofollow_dir.hpp"
#include "agent/host/release_prune.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

constexpr const char* kReleasesPrefix = "releases/";

Expected<common::OwnedFd> open_docroot(const std::string& docroot) {
  auto dir = open_directory_nofollow(docroot);
  if (!dir) return dir.status();
  if (!dir->has_value()) return Status::error(docroot + ": the docroot is missing");
  return std::move(**dir);
}

// What is at `name` in `dir_fd`: 0 missing, S_IFLNK, or another type (an error for callers).
Expected<mode_t> entry_type(int dir_fd, const std::string& name, const std::string& path) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return mode_t{0};
    return Status::error("stat " + path + ": " + common::errno_text(errno));
  }
  return st.st_mode & S_IFMT;
}

}  // namespace

std::string release_id_of_link_target(const std::string& target) {
  if (target.rfind(kReleasesPrefix, 0) != 0) return "";
  const std::string id = target.substr(std::string(kReleasesPrefix).size());
  return is_release_id(id) ? id : "";
}

Expected<std::string> read_release_link(const std::string& docroot, const std::string& name) {
  auto dir = open_docroot(docroot);
  if (!dir) return dir.status();
  const std::string path = docroot + "/" + name;
  auto type = entry_type(dir->get(), name, path);
  if (!type) return type.status();
  if (*type == 0) return std::string();
  if (*type != S_IFLNK)
    return Status::error(path + ": is a " + common::file_type_name(*type) +
                         ", not the agent's link to a release; move it away by hand");
  char target[4096];
  const ssize_t n = ::readlinkat(dir->get(), name.c_str(), target, sizeof target - 1);
  if (n < 0) return Status::error("readlink " + path + ": " + common::errno_text(errno));
  return release_id_of_link_target(std::string(target, static_cast<std::size_t>(n)));
}

Status point_release_link(const std::string& docroot, const std::string& name,
                          const std::string& id) {
  if (!is_release_id(id)) return Status::error("link " + name + ": '" + id + "' is no release id");
  auto dir = open_docroot(docroot);
  if (!dir) return dir.status();
  const std::string path = docroot + "/" + name;
  auto type = entry_type(dir->get(), name, path);
  if (!type) return type.status();
  if (*type != 0 && *type != S_IFLNK)
    return Status::error(path + ": is a " + common::file_type_name(*type) +
                         ", not the agent's link to a release; move it away by hand");
  const std::string fresh = name + ".new";
  if (::unlinkat(dir->get(), fresh.c_str(), 0) != 0 && errno != ENOENT)
    return Status::error("remove " + docroot + "/" + fresh + ": " + common::errno_text(errno));
  const std::string target = kReleasesPrefix + id;
  if (::symlinkat(target.c_str(), dir->get(), fresh.c_str()) != 0)
    return Status::error("symlink " + docroot + "/" + fresh + ": " + common::errno_text(errno));
  if (::renameat(dir->get(), fresh.c_str(), dir->get(), name.c_str()) != 0) {
    const int error = errno;
    ::unlinkat(dir->get(), fresh.c_str(), 0);
    return Status::error("rename " + fresh + " over " + path + ": " + common::errno_text(error));
  }
  return Status::ok();
}

Status remove_release_link(const std::string& docroot, const std::string& name) {
  auto dir = open_docroot(docroot);
  if (!dir) return dir.status();
  const std::string path = docroot + "/" + name;
  auto type = entry_type(dir->get(), name, path);
  if (!type) return type.status();
  if (*type == 0) return Status::ok();
  if (*type != S_IFLNK) return Status::error(path + ": not a link; left alone");
  if (::unlinkat(dir->get(), name.c_str(), 0) != 0)
    return Status::error("remove " + path + ": " + common::errno_text(errno));
  return Status::ok();
}

}  // namespace pydio::agent
