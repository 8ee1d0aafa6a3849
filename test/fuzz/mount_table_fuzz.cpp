// Fuzz target: mountinfo and fstab handling (libmount parsing plus our rewrite of fstab).
// The input is written to a file, read as a mount table and as an fstab; when the fstab
// parses, ensure_fstab_entry() rewrites it, and the result must parse, hold exactly the
// desired entry, keep every other entry and be left alone by a second call (convergence in one apply); or it refuses
// and leaves the file as it was.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/mount_table.hpp"
#include "test/fuzz/fuzz_check.hpp"

namespace pc = pydio::common;

namespace {

// A directory of its own (ensure_fstab_entry writes a temporary file next to the table),
// removed at exit. Deliberately never destroyed: the exit handler still uses it.
const std::string& work_dir() {
  static const std::string* dir = [] {
    const char* base = std::getenv("TMPDIR");
    auto* pattern =
        new std::string(std::string(base && *base ? base : "/tmp") + "/pydio-fuzz-mount.XXXXXX");
    if (::mkdtemp(pattern->data()) == nullptr) std::abort();
    std::atexit([] {
      ::unlink((work_dir() + "/table").c_str());
      ::rmdir(work_dir().c_str());
    });
    return pattern;
  }();
  return *dir;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string path = work_dir() + "/table";
  write_file(path, text);

  if (auto table = pc::read_mount_table(path)) {
    for (const auto& entry : *table) {
      const pc::MountEntry* top = pc::find_mount_at(*table, entry.target);
      PYDIO_FUZZ_CHECK(top != nullptr, "entry not found at its own target " + entry.target);
      (void)pc::find_mounts_of_device(*table, entry.major, entry.minor);
      (void)pc::normalize_mount_path(entry.target);
    }
  }

  auto fstab = pc::read_fstab(path);
  if (!fstab) return 0;
  const pc::FstabEntry desired{"198.18.0.1:/pydio-data",
                               "/mnt/pydio-data",
                               "glusterfs",
                               "defaults,_netdev,nosuid,nodev",
                               0,
                               0};
  (void)pc::fstab_in_sync(*fstab, desired);
  for (const auto& entry : *fstab) (void)pc::format_fstab_line(entry);
  const pc::Status written = pc::ensure_fstab_entry(path, desired);
  if (!written) {  // refusing is allowed (a file libmount cannot keep); changing it then is not
    PYDIO_FUZZ_CHECK(read_file(path) == text, "a refused rewrite changed the file");
    return 0;
  }

  auto rewritten = pc::read_fstab(path);
  PYDIO_FUZZ_CHECK(
      rewritten.has_value(),
      "rewritten fstab does not parse: " + rewritten.status().message() + "\n" + read_file(path));
  PYDIO_FUZZ_CHECK(pc::fstab_in_sync(*rewritten, desired), "rewritten fstab not in sync");
  auto others = [&](const std::vector<pc::FstabEntry>& entries) {
    std::vector<pc::FstabEntry> kept;
    for (const auto& entry : entries)
      if (pc::normalize_mount_path(entry.target) != desired.target) kept.push_back(entry);
    return kept;
  };
  PYDIO_FUZZ_CHECK(others(*rewritten) == others(*fstab), "another entry changed");
  const std::string once = read_file(path);
  PYDIO_FUZZ_CHECK(pc::ensure_fstab_entry(path, desired).is_ok(), "second rewrite failed");
  PYDIO_FUZZ_CHECK(read_file(path) == once, "second ensure_fstab_entry changed the file");
  return 0;
}
