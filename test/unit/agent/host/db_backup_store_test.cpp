#include "agent/host/db_backup_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "test/unit/support/temp_dir.hpp"

namespace {

using pydio::agent::list_backups;
using pydio::agent::open_backup_dir;
using pydio::agent::remove_backup;
using pydio::common::BackupManifest;
using pydio::common::OwnedFd;

void write(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

BackupManifest manifest(const std::string& name, std::int64_t bytes) {
  BackupManifest m;
  m.name = name;
  m.node = "db3";
  m.started_at = 1'800'000'000;
  m.finished_at = 1'800'000'005;
  m.bytes = bytes;
  m.sha256 = "sha256:" + std::string(64, 'b');
  return m;
}

}  // namespace

TEST_CASE("the backup folder lists good backups and names everything else", "[db_backup]") {
  pydio::test::TempDir dir;
  const std::string good = "20261201T010000Z-db3";
  write(dir / (good + ".xbstream"), "12345");
  write(dir / (good + ".json"), pydio::common::manifest_to_json(manifest(good, 5)));
  const std::string wrong_size = "20261201T020000Z-db3";
  write(dir / (wrong_size + ".xbstream"), "123");
  write(dir / (wrong_size + ".json"), pydio::common::manifest_to_json(manifest(wrong_size, 5)));
  write(dir / "20261201T030000Z-db3.xbstream", "cut short");
  write(dir / "20261201T040000Z-db2.partial", "being taken");
  write(dir / "20261201T050000Z-db3.json.tmp", "{");
  write(dir / "notes.txt", "stray");
  REQUIRE(::symlink("/etc/shadow", (dir / "20261201T060000Z-db3.json").c_str()) == 0);

  OwnedFd fd(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto listing = list_backups(fd.get());
  REQUIRE(listing);
  REQUIRE(listing->good.size() == 1);
  CHECK(listing->good[0].name == good);
  CHECK(listing->partial == std::vector<std::string>{"20261201T040000Z-db2"});
  std::vector<std::string> orphans = listing->orphans;
  std::sort(orphans.begin(), orphans.end());
  CHECK(orphans == std::vector<std::string>{"20261201T030000Z-db3", "20261201T050000Z-db3"});
  std::string problems;
  for (const auto& p : listing->problems) problems += p + "\n";
  INFO(problems);
  CHECK_THAT(problems, Catch::Contains(wrong_size + ": the stream has 3 bytes"));
  CHECK_THAT(problems, Catch::Contains("notes.txt"));
  CHECK_THAT(problems, Catch::Contains("20261201T060000Z-db3.json"));  // the link: not read

  SECTION("removing a backup takes its manifest and its stream") {
    REQUIRE(remove_backup(fd.get(), good));
    CHECK_FALSE(std::filesystem::exists(dir / (good + ".json")));
    CHECK_FALSE(std::filesystem::exists(dir / (good + ".xbstream")));
    CHECK(list_backups(fd.get())->good.empty());
  }
}

TEST_CASE("the backup folder is used only through a FUSE mount", "[db_backup]") {
  pydio::test::TempDir root;
  auto opened = open_backup_dir(root.path(), root.path() + "/pydio-agent/db-backups",
                                pydio::agent::CreateBackupDir::kYes);
  REQUIRE_FALSE(opened);
  CHECK_THAT(opened.status().message(), Catch::Contains("not mounted"));
  CHECK_FALSE(std::filesystem::exists(root / "pydio-agent"));
  auto elsewhere = open_backup_dir(root.path(), "/etc/db-backups",
                                   pydio::agent::CreateBackupDir::kYes);
  REQUIRE_FALSE(elsewhere);
}
