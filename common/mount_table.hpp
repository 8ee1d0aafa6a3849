#pragma once
// The kernel's mount table and /etc/fstab, read (and fstab written) with libmount.
// Probes return plain structs; the functions that interpret them are pure and separate, so
// they are tested on recorded mountinfo/fstab files (test/data/).
//
// Reading the mount table never touches a mounted filesystem (no stat of a mountpoint):
// it is safe while a FUSE mount is hung.

#include <string>
#include <vector>

#include "common/status.hpp"

namespace pydio::common {

inline constexpr const char* kProcMountinfo = "/proc/self/mountinfo";
inline constexpr const char* kDefaultFstabPath = "/etc/fstab";

// One line of /proc/self/mountinfo.
struct MountEntry {
  int id = 0;                 // mount ID (changes when a mountpoint is remounted)
  unsigned int major = 0;     // st_dev of the mounted filesystem
  unsigned int minor = 0;
  std::string root;           // root of the mount inside its filesystem ("/" unless bind mount)
  std::string target;         // mountpoint, unescaped
  std::string fstype;         // e.g. "xfs", "fuse.glusterfs"
  std::string source;         // e.g. "/dev/loop3", "198.18.0.1:/pydio-data"
  std::string options;        // VFS and superblock options, comma-separated
};

// One entry of an fstab file.
struct FstabEntry {
  std::string source;   // "/dev/xvdb", "UUID=...", "198.18.0.1:/pydio-data"
  std::string target;
  std::string fstype;
  std::string options;  // exactly as written, e.g. "defaults,noatime,inode64"
  int freq = 0;
  int passno = 0;

  bool operator==(const FstabEntry& other) const;
  bool operator!=(const FstabEntry& other) const { return !(*this == other); }
};

// "SOURCE TARGET FSTYPE OPTIONS FREQ PASSNO", as in the file.
std::string format_fstab_line(const FstabEntry& entry);

// Parses a mountinfo file (default: this process's mount namespace). Fails with the path and
// the reason when the file cannot be read or parsed.
Expected<std::vector<MountEntry>> read_mount_table(const std::string& path = kProcMountinfo);

// "/data/" -> "/data"; "/" stays "/". Paths are compared in this form.
std::string normalize_mount_path(const std::string& path);

// The entry visible at `target` (the last one mounted there, i.e. on top), or null.
const MountEntry* find_mount_at(const std::vector<MountEntry>& table, const std::string& target);

// Every entry whose filesystem is the block device major:minor.
std::vector<const MountEntry*> find_mounts_of_device(const std::vector<MountEntry>& table,
                                                     unsigned int major, unsigned int minor);

// Parses an fstab file. A missing file is an empty table (a fresh node may have none).
Expected<std::vector<FstabEntry>> read_fstab(const std::string& path = kDefaultFstabPath);

// Every entry whose target is `target` (normally zero or one).
std::vector<FstabEntry> find_fstab_entries(const std::vector<FstabEntry>& fstab,
                                           const std::string& target);

// True when exactly one entry has desired.target and it equals `desired`.
bool fstab_in_sync(const std::vector<FstabEntry>& fstab, const FstabEntry& desired);

// Makes `desired` the one entry for desired.target in the fstab at `path`: an existing entry
// for that target is replaced in place (keeping its position and the comments above it),
// further duplicates are removed, otherwise the entry is appended. Every other line and
// comment is kept. Does nothing (and does not rewrite) when already in sync.
// The new file is written to a temporary file in the same directory, synced and renamed over
// the old one, so a crash leaves either the old or the new file. When `path` is itself a
// mountpoint (a bind-mounted file, as on the simulated nodes) rename is impossible (EBUSY)
// and the file is rewritten in place instead.
// Failure leaves the old file untouched (or, in the bind-mounted case, possibly rewritten).
Status ensure_fstab_entry(const std::string& path, const FstabEntry& desired);

}  // namespace pydio::common
