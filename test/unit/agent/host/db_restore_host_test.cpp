// The host parts of a restore that need no MariaDB: the hold file, setting a datadir aside,
// checking a backup stream against its manifest, and the Galera position it restores at.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/host/backup_restore_steps.hpp"
#include "agent/host/datadir_set_aside.hpp"
#include "agent/host/db_hold.hpp"
#include "agent/host/sha256_stream.hpp"
#include "common/runner.hpp"

namespace fs = std::filesystem;
using namespace pydio::agent;

namespace {

struct TempDir {
  TempDir() {
    char name[] = "/tmp/pydio-restore-XXXXXX";
    path = ::mkdtemp(name);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("the db hold is a root-only file that survives, and a damaged one still holds",
          "[db_restore]") {
  TempDir state;
  auto none = read_db_hold(state.path);
  REQUIRE(none);
  CHECK_FALSE(*none);

  DbHold hold;
  hold.reason = "restore of backup 20261201T003000Z-db1";
  hold.since = 1796085000;
  REQUIRE(write_db_hold(state.path, hold));
  struct stat info {};
  REQUIRE(::stat(db_hold_path(state.path).c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);
  auto read_back = read_db_hold(state.path);
  REQUIRE(read_back);
  REQUIRE(*read_back);
  CHECK(**read_back == hold);

  write(db_hold_path(state.path), "{not json");
  auto damaged = read_db_hold(state.path);
  REQUIRE(damaged);
  REQUIRE(*damaged);
  CHECK((*damaged)->reason == "the hold file is damaged; `agentctl db release` removes it");
  CHECK_FALSE((*damaged)->keep_running);

  REQUIRE(remove_db_hold(state.path));
  REQUIRE(remove_db_hold(state.path));  // released twice: still success
  auto released = read_db_hold(state.path);
  REQUIRE(released);
  CHECK_FALSE(*released);
}

TEST_CASE("a datadir is set aside whole, never deleted, and an empty one takes its place",
          "[db_restore]") {
  TempDir root;
  pydio::common::SystemRunner runner;
  const std::string datadir = root.path + "/mysql";
  const std::string stamp = restore_stamp();
  CHECK(stamp.size() == 16);
  CHECK(stamp[8] == 'T');
  CHECK(stamp.back() == 'Z');
  CHECK(set_aside_path(datadir + "/", stamp) == datadir + ".before-restore-" + stamp);

  SECTION("no datadir, or an empty one: nothing to set aside") {
    auto missing = set_aside_datadir(runner, datadir, stamp);
    REQUIRE(missing);
    CHECK(*missing == "");
    fs::create_directories(datadir + "/lost+found");
    auto empty = set_aside_datadir(runner, datadir, stamp);
    REQUIRE(empty);
    CHECK(*empty == "");
    CHECK(fs::exists(datadir + "/lost+found"));
  }
  SECTION("a datadir with data moves, with its mode, and an empty one is made") {
    fs::create_directories(datadir + "/pydio");
    write(datadir + "/pydio/rows.ibd", "rows");
    write(datadir + "/grastate.dat", "seqno: 7\n");
    ::chmod(datadir.c_str(), 0750);
    auto moved = set_aside_datadir(runner, datadir, stamp);
    REQUIRE(moved);
    CHECK(*moved == datadir + ".before-restore-" + stamp);
    CHECK(read(*moved + "/pydio/rows.ibd") == "rows");
    CHECK(read(*moved + "/grastate.dat") == "seqno: 7\n");
    REQUIRE(fs::is_directory(datadir));
    CHECK(fs::is_empty(datadir));
    struct stat info {};
    REQUIRE(::stat(datadir.c_str(), &info) == 0);
    CHECK((info.st_mode & 07777) == 0750);

    SECTION("a second set-aside with the same stamp is refused, nothing moves") {
      write(datadir + "/again", "x");
      auto again = set_aside_datadir(runner, datadir, stamp);
      REQUIRE_FALSE(again);
      CHECK_THAT(again.status().message(), Catch::Contains("exists already"));
      CHECK(read(datadir + "/again") == "x");
    }
  }
}

TEST_CASE("a backup stream is checked against its manifest before anything changes",
          "[db_restore]") {
  TempDir dir;
  const std::string stream = dir.path + "/20261201T003000Z-db1.xbstream";
  write(stream, "xbstream bytes");
  Sha256Stream hash;
  hash.update("xbstream bytes", 14);
  pydio::common::BackupManifest manifest;
  manifest.name = "20261201T003000Z-db1";
  manifest.bytes = 14;
  manifest.sha256 = hash.finish();
  CHECK(verify_backup_stream(stream, manifest));

  auto shorter = manifest;
  shorter.bytes = 15;
  CHECK_THAT(verify_backup_stream(stream, shorter).message(),
             Catch::Contains("has 14 bytes, its manifest says 15"));
  auto other = manifest;
  other.sha256 = "sha256:" + std::string(64, '0');
  CHECK_THAT(verify_backup_stream(stream, other).message(),
             Catch::Contains("the backup is damaged"));
  REQUIRE(::symlink(stream.c_str(), (dir.path + "/link.xbstream").c_str()) == 0);
  CHECK_FALSE(verify_backup_stream(dir.path + "/link.xbstream", manifest));
  CHECK_FALSE(verify_backup_stream(dir.path + "/missing.xbstream", manifest));
}

TEST_CASE("the restored data starts a cluster at the backup's Galera position", "[db_restore]") {
  auto position = parse_galera_info("8a3c3f9e-0f4e-11ef-9f1a-1b2c3d4e5f60:1234\n");
  REQUIRE(position);
  CHECK(position->uuid == "8a3c3f9e-0f4e-11ef-9f1a-1b2c3d4e5f60");
  CHECK(position->seqno == 1234);
  // Newer mariadb-backup versions add the GTID after the position.
  auto with_gtid = parse_galera_info("8a3c3f9e-0f4e-11ef-9f1a-1b2c3d4e5f60:99 0-1-99\n");
  REQUIRE(with_gtid);
  CHECK(with_gtid->seqno == 99);
  CHECK_FALSE(parse_galera_info(""));
  CHECK_FALSE(parse_galera_info("not a position"));

  const std::string grastate = render_grastate(*position);
  const GaleraPosition back = parse_grastate(grastate);
  CHECK(back.uuid == position->uuid);
  CHECK(back.seqno == 1234);
  CHECK(back.safe_to_bootstrap);
}
