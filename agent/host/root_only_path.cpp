#include "agent/host/root_only_path.hpp"

#include <pwd.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Status;

namespace {

std::string owner_text(uid_t uid) {
  const passwd* entry = ::getpwuid(uid);
  const std::string id = "uid " + std::to_string(uid);
  return entry != nullptr ? std::string(entry->pw_name) + " (" + id + ")" : id;
}

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

Status refused(const std::string& path, const struct stat& st, const std::string& fix) {
  return Status::error(
      path + " is owned by " + owner_text(st.st_uid) + ", mode " + mode_text(st.st_mode) +
      ": releases are unpacked only under directories only root can change; " + fix);
}

}  // namespace

Status check_root_only_path(const std::string& dir) {
  if (dir.empty() || dir.front() != '/') return Status::error(dir + ": not an absolute path");
  std::string path = "/";
  std::size_t start = 1;
  bool others_may_add = false;  // the last directory checked is sticky and writable by others
  while (true) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno != ENOENT) return Status::error("lstat " + path + ": " + common::errno_text(errno));
      // Root creates the rest; in a sticky shared directory someone else could create it first.
      if (others_may_add)
        return Status::error(path +
                             " is missing below a directory others can write; create it "
                             "as root (mkdir -m 0755) first");
      return Status::ok();
    }
    if (S_ISLNK(st.st_mode))
      return Status::error(path +
                           " is a symbolic link: releases are unpacked only under real "
                           "directories only root can change; replace the link by the directory");
    if (!S_ISDIR(st.st_mode)) return Status::error(path + ": not a directory");
    if (st.st_uid != 0) return refused(path, st, "chown root:root " + path);
    const bool writable = (st.st_mode & 022) != 0;
    const bool sticky = (st.st_mode & S_ISVTX) != 0;
    const bool last = start >= dir.size() || dir.find_first_not_of('/', start) == std::string::npos;
    if (writable && (!sticky || last)) return refused(path, st, "chmod go-w " + path);
    others_may_add = writable;
    if (last) return Status::ok();
    while (start < dir.size() && dir[start] == '/') ++start;
    std::size_t end = dir.find('/', start);
    if (end == std::string::npos) end = dir.size();
    const std::string component = dir.substr(start, end - start);
    if (component == "." || component == "..")
      return Status::error(dir + ": '" + component + "' is not allowed in the path");
    path += (path == "/" ? "" : "/") + component;
    start = end;
  }
}

}  // namespace pydio::agent
