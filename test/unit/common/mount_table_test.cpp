// Mount table and fstab handling with libmount, on fixtures in test/data/mount/:
// mountinfo-node.txt is a real /proc/self/mountinfo recorded in a private mount namespace with
// an XFS loop device mounted (plus a bind mount of a directory with a space in its name); its
// three fuse.glusterfs lines were written by hand in the kernel's format.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/mount_table.hpp"

using namespace pydio::common;
namespace fs = std::filesystem;

namespace {

const std::string kData = std::string(PYDIO_TEST_DATA_DIR) + "/mount/";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A scratch directory under /tmp, removed at the end of the test.
struct ScratchDir {
  ScratchDir() {
    char name[] = "/tmp/pydio-mount-test.XXXXXX";
    path = ::mkdtemp(name);
  }
  ~ScratchDir() { fs::remove_all(path); }
  std::string copy(const std::string& fixture) const {
    std::string target = path + "/fstab";
    fs::copy_file(kData + fixture, target, fs::copy_options::overwrite_existing);
    return target;
  }
  std::string path;
};

const FstabEntry kBrickEntry{"/dev/loop3", "/data", "xfs", "defaults,noatime,inode64", 0, 0};

}  // namespace

TEST_CASE("mount table is read from a mountinfo file", "[mount_table]") {
  auto table = read_mount_table(kData + "mountinfo-node.txt");
  REQUIRE(table);

  SECTION("the XFS brick mount carries its device number and options") {
    const MountEntry* brick = find_mount_at(*table, "/tmp/st/mnt/");
    REQUIRE(brick != nullptr);
    CHECK(brick->source == "/dev/loop3");
    CHECK(brick->fstype == "xfs");
    CHECK(brick->major == 7);
    CHECK(brick->minor == 3);
    CHECK(brick->root == "/");
    CHECK(brick->options.find("noatime") != std::string::npos);
    CHECK(brick->options.find("inode64") != std::string::npos);
  }
  SECTION("escaped targets are unescaped") {
    const MountEntry* bind = find_mount_at(*table, "/tmp/st/mnt/a b");
    REQUIRE(bind != nullptr);
    CHECK(bind->root == "/a b");
  }
  SECTION("every mount of a device is found, bind mounts included") {
    CHECK(find_mounts_of_device(*table, 7, 3).size() == 2);
    CHECK(find_mounts_of_device(*table, 7, 9).empty());
  }
  SECTION("the mount on top wins when two are stacked on one target") {
    const MountEntry* config = find_mount_at(*table, "/mnt/pydio-config");
    REQUIRE(config != nullptr);
    CHECK(config->id == 72);
    CHECK(config->source == "198.18.0.2:/pydio-config");
    CHECK(config->fstype == "fuse.glusterfs");
  }
  SECTION("an unmounted path has no entry") { CHECK(find_mount_at(*table, "/data") == nullptr); }
}

TEST_CASE("reading a missing mount table fails with the path", "[mount_table]") {
  auto table = read_mount_table("/nonexistent/mountinfo");
  REQUIRE_FALSE(table);
  CHECK(table.status().message().find("/nonexistent/mountinfo") != std::string::npos);
}

TEST_CASE("fstab entries are read as written", "[mount_table][fstab]") {
  auto fstab = read_fstab(kData + "fstab-debian.txt");
  REQUIRE(fstab);
  REQUIRE(fstab->size() == 4);
  CHECK(fstab->at(0).source == "UUID=0a1b2c3d-1111-2222-3333-444455556666");
  CHECK(fstab->at(0).options == "errors=remount-ro");
  CHECK(fstab->at(0).passno == 1);
  CHECK(fstab->at(2).fstype == "udf,iso9660");
  auto data = find_fstab_entries(*fstab, "/data/");
  REQUIRE(data.size() == 1);
  CHECK(format_fstab_line(data.front()) == "/dev/xvdb /data ext4 defaults 0 2");
  CHECK_FALSE(fstab_in_sync(*fstab, kBrickEntry));

  SECTION("a missing fstab is empty") {
    auto none = read_fstab("/nonexistent/fstab");
    REQUIRE(none);
    CHECK(none->empty());
  }
  SECTION("a line libmount cannot parse makes the whole read fail") {
    auto bad = read_fstab(kData + "fstab-unparsable.txt");
    REQUIRE_FALSE(bad);
    CHECK(bad.status().message().find("fstab-unparsable.txt") != std::string::npos);
  }
}

TEST_CASE("ensure_fstab_entry makes one exact entry and keeps everything else", "[mount_table][fstab]") {
  ScratchDir scratch;

  SECTION("an existing entry for the target is replaced where it stands, comments kept") {
    std::string path = scratch.copy("fstab-debian.txt");
    REQUIRE(ensure_fstab_entry(path, kBrickEntry));
    std::string text = slurp(path);
    CHECK(text.find("# /etc/fstab: static file system information.") == 0);
    CHECK(text.find("# swap was on /dev/vda5 during installation\nUUID=9f8e7d6c") != std::string::npos);
    CHECK(text.find("# old data disk\n/dev/loop3 /data xfs defaults,noatime,inode64 0 0\n") !=
          std::string::npos);
    CHECK(text.find("/dev/xvdb") == std::string::npos);
    CHECK(text.find("# trailing comment") != std::string::npos);
    auto fstab = read_fstab(path);
    REQUIRE(fstab);
    CHECK(fstab->size() == 4);
    CHECK(fstab_in_sync(*fstab, kBrickEntry));
    CHECK(find_fstab_entries(*fstab, "/media/cdrom0").front().options == "user,noauto");
  }
  SECTION("a new entry is appended, options kept in their order") {
    std::string path = scratch.copy("fstab-debian.txt");
    FstabEntry fuse{"198.18.0.1:/pydio-data", "/mnt/pydio-data", "glusterfs",
                    "defaults,_netdev,backup-volfile-servers=198.18.0.2:198.18.0.3", 0, 0};
    REQUIRE(ensure_fstab_entry(path, fuse));
    auto fstab = read_fstab(path);
    REQUIRE(fstab);
    CHECK(fstab->size() == 5);
    CHECK(fstab_in_sync(*fstab, fuse));
    CHECK(slurp(path).find(format_fstab_line(fuse) + "\n") != std::string::npos);
  }
  SECTION("duplicates for the target are reduced to the desired one") {
    std::string path = scratch.copy("fstab-duplicates.txt");
    REQUIRE(ensure_fstab_entry(path, kBrickEntry));
    auto fstab = read_fstab(path);
    REQUIRE(fstab);
    CHECK(fstab->size() == 2);
    CHECK(fstab_in_sync(*fstab, kBrickEntry));
    CHECK(find_fstab_entries(*fstab, "/other").size() == 1);
  }
  SECTION("an entry already in sync leaves the file alone") {
    std::string path = scratch.copy("fstab-debian.txt");
    REQUIRE(ensure_fstab_entry(path, kBrickEntry));
    struct stat before {};
    REQUIRE(::stat(path.c_str(), &before) == 0);
    REQUIRE(ensure_fstab_entry(path, kBrickEntry));
    struct stat after {};
    REQUIRE(::stat(path.c_str(), &after) == 0);
    CHECK(before.st_ino == after.st_ino);  // not replaced by a rename
  }
  SECTION("the file's mode survives the rewrite and no temporary file is left") {
    std::string path = scratch.copy("fstab-debian.txt");
    REQUIRE(::chmod(path.c_str(), 0640) == 0);
    REQUIRE(ensure_fstab_entry(path, kBrickEntry));
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(std::distance(fs::directory_iterator(scratch.path), fs::directory_iterator()) == 1);
  }
  SECTION("a missing fstab is created with the entry") {
    std::string path = scratch.path + "/fstab";
    REQUIRE(ensure_fstab_entry(path, kBrickEntry));
    CHECK(slurp(path) == format_fstab_line(kBrickEntry) + "\n");
  }
  SECTION("an unparsable fstab is refused and left untouched") {
    std::string path = scratch.copy("fstab-unparsable.txt");
    std::string before = slurp(path);
    Status status = ensure_fstab_entry(path, kBrickEntry);
    REQUIRE_FALSE(status);
    CHECK(status.message().find("not rewritten") != std::string::npos);
    CHECK(slurp(path) == before);
  }
  SECTION("a NUL byte in a comment is refused, not turned into a commented-out entry") {
    // Found by fuzzing: libmount cuts the comment at the NUL with its line end, so the
    // appended entry became part of the comment and was never in sync.
    std::string path = scratch.copy("fstab-nul-in-comment.txt");
    std::string before = slurp(path);
    Status status = ensure_fstab_entry(path, kBrickEntry);
    REQUIRE_FALSE(status);
    CHECK(status.message().find("not rewritten") != std::string::npos);
    CHECK(slurp(path) == before);
  }
}
