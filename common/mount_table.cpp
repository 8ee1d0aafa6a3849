#include "common/mount_table.hpp"

#include <fcntl.h>
#include <libmount/libmount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace pydio::common {
namespace {

struct TableDeleter {
  void operator()(libmnt_table* table) const { mnt_unref_table(table); }
};
struct IterDeleter {
  void operator()(libmnt_iter* iter) const { mnt_free_iter(iter); }
};
using TablePtr = std::unique_ptr<libmnt_table, TableDeleter>;
using IterPtr = std::unique_ptr<libmnt_iter, IterDeleter>;

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

std::string or_empty(const char* text) { return text ? text : ""; }

// libmount silently skips lines it cannot parse; a rewrite would then drop them. Abort
// instead, so a file we do not fully understand is never rewritten.
int abort_on_parse_error(libmnt_table* /*table*/, const char* /*filename*/, int /*line*/) {
  return -EINVAL;
}

// Parses an fstab with its comments kept, refusing partial parses.
Expected<TablePtr> parse_fstab_table(const std::string& path) {
  TablePtr table(mnt_new_table());
  if (!table) return Status::error("fstab " + path + ": out of memory");
  mnt_table_enable_comments(table.get(), 1);
  mnt_table_set_parser_errcb(table.get(), abort_on_parse_error);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return table;  // no file yet: empty table
    return Status::error("fstab " + path + ": " + errno_text(errno));
  }
  int rc = mnt_table_parse_fstab(table.get(), path.c_str());
  if (rc != 0) {
    return Status::error("fstab " + path + ": cannot parse every line (" + errno_text(rc) +
                         "); fix the file by hand, it is not rewritten while unparsable");
  }
  return table;
}

FstabEntry to_fstab_entry(libmnt_fs* fs) {
  FstabEntry entry;
  entry.source = or_empty(mnt_fs_get_source(fs));
  entry.target = or_empty(mnt_fs_get_target(fs));
  entry.fstype = or_empty(mnt_fs_get_fstype(fs));
  entry.options = or_empty(mnt_fs_get_options(fs));
  entry.freq = mnt_fs_get_freq(fs);
  entry.passno = mnt_fs_get_passno(fs);
  return entry;
}

Status set_fs_fields(libmnt_fs* fs, const FstabEntry& entry) {
  if (mnt_fs_set_source(fs, entry.source.c_str()) != 0 ||
      mnt_fs_set_target(fs, entry.target.c_str()) != 0 ||
      mnt_fs_set_fstype(fs, entry.fstype.c_str()) != 0 ||
      mnt_fs_set_options(fs, entry.options.c_str()) != 0 ||
      mnt_fs_set_freq(fs, entry.freq) != 0 || mnt_fs_set_passno(fs, entry.passno) != 0) {
    return Status::error("cannot build fstab entry " + format_fstab_line(entry));
  }
  return Status::ok();
}

Expected<std::string> render_table(libmnt_table* table) {
  char* buffer = nullptr;
  size_t size = 0;
  FILE* stream = open_memstream(&buffer, &size);
  if (!stream) return Status::error("open_memstream: " + errno_text(errno));
  int rc = mnt_table_write_file(table, stream);
  std::fclose(stream);
  std::string text = buffer ? std::string(buffer, size) : std::string();
  std::free(buffer);
  if (rc != 0) return Status::error("render fstab: " + errno_text(rc));
  return text;
}

Status write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::error(errno_text(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return Status::error("fsync: " + errno_text(errno));
  return Status::ok();
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Bind-mounted file: truncate and rewrite it where it is.
Status rewrite_in_place(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return Status::error("open " + path + ": " + errno_text(errno));
  Status status = write_all(fd, text);
  ::close(fd);
  return status.with_context("write " + path);
}

Status replace_file(const std::string& path, const std::string& text) {
  std::string temp_template = path + ".pydio-agent.XXXXXX";
  std::vector<char> temp_name(temp_template.begin(), temp_template.end());
  temp_name.push_back('\0');
  int fd = ::mkstemp(temp_name.data());
  if (fd < 0) return Status::error("create temporary file " + temp_template + ": " + errno_text(errno));
  std::string temp_path(temp_name.data());

  mode_t mode = 0644;
  struct stat st {};
  bool existed = ::stat(path.c_str(), &st) == 0;
  if (existed) mode = st.st_mode & 07777;
  Status status = Status::ok();
  if (::fchmod(fd, mode) != 0) status = Status::error("chmod: " + errno_text(errno));
  if (status && existed && ::fchown(fd, st.st_uid, st.st_gid) != 0) {
    status = Status::error("chown: " + errno_text(errno));
  }
  if (status) status = write_all(fd, text);
  ::close(fd);
  if (!status) {
    ::unlink(temp_path.c_str());
    return status.with_context("write " + temp_path);
  }
  if (::rename(temp_path.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp_path.c_str());
    if (err == EBUSY) return rewrite_in_place(path, text);
    return Status::error("rename " + temp_path + " to " + path + ": " + errno_text(err));
  }
  int dir_fd = ::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);  // best effort: the rename is already visible
    ::close(dir_fd);
  }
  return Status::ok();
}

}  // namespace

bool FstabEntry::operator==(const FstabEntry& other) const {
  return source == other.source && normalize_mount_path(target) == normalize_mount_path(other.target) &&
         fstype == other.fstype && options == other.options && freq == other.freq &&
         passno == other.passno;
}

std::string format_fstab_line(const FstabEntry& entry) {
  return entry.source + " " + entry.target + " " + entry.fstype + " " + entry.options + " " +
         std::to_string(entry.freq) + " " + std::to_string(entry.passno);
}

std::string normalize_mount_path(const std::string& path) {
  std::string result = path;
  while (result.size() > 1 && result.back() == '/') result.pop_back();
  return result;
}

Expected<std::vector<MountEntry>> read_mount_table(const std::string& path) {
  TablePtr table(mnt_new_table());
  if (!table) return Status::error("mount table " + path + ": out of memory");
  mnt_table_set_parser_errcb(table.get(), abort_on_parse_error);
  int rc = mnt_table_parse_file(table.get(), path.c_str());
  if (rc != 0) return Status::error("mount table " + path + ": " + errno_text(rc));

  std::vector<MountEntry> entries;
  IterPtr iter(mnt_new_iter(MNT_ITER_FORWARD));
  libmnt_fs* fs = nullptr;
  while (mnt_table_next_fs(table.get(), iter.get(), &fs) == 0) {
    MountEntry entry;
    entry.id = mnt_fs_get_id(fs);
    dev_t devno = mnt_fs_get_devno(fs);
    entry.major = major(devno);
    entry.minor = minor(devno);
    entry.root = or_empty(mnt_fs_get_root(fs));
    entry.target = or_empty(mnt_fs_get_target(fs));
    entry.fstype = or_empty(mnt_fs_get_fstype(fs));
    entry.source = or_empty(mnt_fs_get_source(fs));
    entry.options = or_empty(mnt_fs_get_options(fs));
    entries.push_back(std::move(entry));
  }
  return entries;
}

const MountEntry* find_mount_at(const std::vector<MountEntry>& table, const std::string& target) {
  const std::string wanted = normalize_mount_path(target);
  const MountEntry* found = nullptr;
  for (const auto& entry : table) {
    if (normalize_mount_path(entry.target) == wanted) found = &entry;  // later mounts cover earlier
  }
  return found;
}

std::vector<const MountEntry*> find_mounts_of_device(const std::vector<MountEntry>& table,
                                                     unsigned int major, unsigned int minor) {
  std::vector<const MountEntry*> found;
  for (const auto& entry : table) {
    if (entry.major == major && entry.minor == minor) found.push_back(&entry);
  }
  return found;
}

Expected<std::vector<FstabEntry>> read_fstab(const std::string& path) {
  auto table = parse_fstab_table(path);
  if (!table) return table.status();
  std::vector<FstabEntry> entries;
  IterPtr iter(mnt_new_iter(MNT_ITER_FORWARD));
  libmnt_fs* fs = nullptr;
  while (mnt_table_next_fs(table->get(), iter.get(), &fs) == 0) entries.push_back(to_fstab_entry(fs));
  return entries;
}

std::vector<FstabEntry> find_fstab_entries(const std::vector<FstabEntry>& fstab,
                                           const std::string& target) {
  const std::string wanted = normalize_mount_path(target);
  std::vector<FstabEntry> found;
  for (const auto& entry : fstab) {
    if (normalize_mount_path(entry.target) == wanted) found.push_back(entry);
  }
  return found;
}

bool fstab_in_sync(const std::vector<FstabEntry>& fstab, const FstabEntry& desired) {
  auto entries = find_fstab_entries(fstab, desired.target);
  return entries.size() == 1 && entries.front() == desired;
}

namespace {

std::vector<FstabEntry> entries_of(libmnt_table* table) {
  std::vector<FstabEntry> entries;
  IterPtr iter(mnt_new_iter(MNT_ITER_FORWARD));
  libmnt_fs* fs = nullptr;
  while (mnt_table_next_fs(table, iter.get(), &fs) == 0) entries.push_back(to_fstab_entry(fs));
  return entries;
}

// libmount keeps comments as C strings: a NUL byte in one (found by fuzzing) cuts off the rest
// of the comment with its line end, and the line after it would be written into the comment.
// So the text is parsed back before it replaces the file and must hold exactly the entries of
// `table`, the one we meant to write.
Status check_rendered(const std::string& text, libmnt_table* table) {
  const Status refused = Status::error(
      "the rewritten file would not hold the same entries (a line libmount cannot keep, e.g. "
      "a NUL byte?); fix the file by hand, it is not rewritten");
  TablePtr parsed(mnt_new_table());
  std::string copy = text;  // fmemopen needs a writable buffer
  FILE* stream = copy.empty() ? nullptr : fmemopen(copy.data(), copy.size(), "r");
  if (!parsed || !stream) {
    if (stream) std::fclose(stream);
    return copy.empty() ? refused : Status::error("cannot check the rewritten file: out of memory");
  }
  mnt_table_set_parser_errcb(parsed.get(), abort_on_parse_error);
  const int rc = mnt_table_parse_stream(parsed.get(), stream, "fstab");
  std::fclose(stream);
  if (rc != 0 || entries_of(parsed.get()) != entries_of(table)) return refused;
  return Status::ok();
}

}  // namespace

Status ensure_fstab_entry(const std::string& path, const FstabEntry& desired) {
  const std::string context = "fstab " + path + ": entry for " + desired.target;
  auto parsed = parse_fstab_table(path);
  if (!parsed) return parsed.status();
  libmnt_table* table = parsed->get();

  const std::string wanted = normalize_mount_path(desired.target);
  std::vector<libmnt_fs*> matching;
  IterPtr iter(mnt_new_iter(MNT_ITER_FORWARD));
  libmnt_fs* fs = nullptr;
  while (mnt_table_next_fs(table, iter.get(), &fs) == 0) {
    if (normalize_mount_path(or_empty(mnt_fs_get_target(fs))) == wanted) matching.push_back(fs);
  }
  if (matching.size() == 1 && to_fstab_entry(matching.front()) == desired) return Status::ok();

  if (matching.empty()) {
    libmnt_fs* added = mnt_new_fs();
    if (!added) return Status::error(context + ": out of memory");
    Status status = set_fs_fields(added, desired);
    if (status && mnt_table_add_fs(table, added) != 0) status = Status::error("cannot add entry");
    mnt_unref_fs(added);  // the table holds its own reference
    if (!status) return status.with_context(context);
  } else {
    // Rewrite the first entry where it stands (its comment stays above it), drop the rest.
    Status status = set_fs_fields(matching.front(), desired);
    if (!status) return status.with_context(context);
    for (size_t i = 1; i < matching.size(); ++i) mnt_table_remove_fs(table, matching[i]);
  }

  auto text = render_table(table);
  if (!text) return text.status().with_context(context);
  if (Status st = check_rendered(*text, table); !st) return st.with_context(context);
  return replace_file(path, *text).with_context(context);
}

}  // namespace pydio::common
