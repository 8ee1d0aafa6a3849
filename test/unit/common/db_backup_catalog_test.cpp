#include "common/db_backup_catalog.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/utc_time.hpp"

namespace {

using pydio::common::BackupManifest;
using pydio::common::BackupSpec;
using pydio::common::backup_name;
using pydio::common::backup_name_problem;
using pydio::common::backups_to_prune;
using pydio::common::manifest_to_json;
using pydio::common::newest_backup;
using pydio::common::parse_manifest;

constexpr std::int64_t kMiB = 1024 * 1024;

BackupManifest manifest(std::int64_t at, std::int64_t bytes) {
  BackupManifest m;
  m.node = "db1";
  m.name = backup_name(at, m.node);
  m.started_at = at;
  m.finished_at = at + 5;
  m.bytes = bytes;
  m.sha256 = "sha256:" + std::string(64, 'a');
  m.server_version = "10.11.6-MariaDB-0+deb12u1";
  m.galera_seqno = 42;
  return m;
}

std::vector<std::string> names(const std::vector<BackupManifest>& backups) {
  std::vector<std::string> out;
  for (const auto& b : backups) out.push_back(b.name);
  return out;
}

}  // namespace

TEST_CASE("backup names sort by time and are checked before use as file names",
          "[db_backup]") {
  const auto at = *pydio::common::parse_utc("2026-12-01T00:30:05Z");
  CHECK(backup_name(at, "db1") == "20261201T003005Z-db1");
  CHECK_FALSE(backup_name_problem("20261201T003005Z-db1"));
  for (const char* bad : {"", "20261201T003005Z-", "20261301T003005Z-db1", "20261201T003005Z-../x",
                          "../20261201T003005Z-db1", "20261201X003005Z-db1",
                          "20261201T003005Z-db1/x", "20261201T003005Zdb1"}) {
    INFO(bad);
    CHECK(backup_name_problem(bad));
  }
}

TEST_CASE("a manifest reads back what was written, and nothing else", "[db_backup]") {
  const BackupManifest m = manifest(1'800'000'000, 123456);
  auto back = parse_manifest(manifest_to_json(m), m.name);
  REQUIRE(back);
  CHECK(*back == m);

  SECTION("under another file name") {
    auto other = parse_manifest(manifest_to_json(m), "20261201T003005Z-db2");
    REQUIRE_FALSE(other);
    CHECK_THAT(other.status().message(), Catch::Contains("the file is 20261201T003005Z-db2"));
  }
  SECTION("a field missing, unknown or malformed") {
    auto json = nlohmann::json::parse(manifest_to_json(m));
    json.erase("sha256");
    CHECK_THAT(parse_manifest(json.dump(), m.name).status().message(), Catch::Contains("sha256"));
    json = nlohmann::json::parse(manifest_to_json(m));
    json["extra"] = 1;
    CHECK_THAT(parse_manifest(json.dump(), m.name).status().message(), Catch::Contains("extra"));
    json = nlohmann::json::parse(manifest_to_json(m));
    json["finishedAt"] = "yesterday";
    CHECK_THAT(parse_manifest(json.dump(), m.name).status().message(),
               Catch::Contains("finishedAt"));
    json = nlohmann::json::parse(manifest_to_json(m));
    json["sha256"] = "md5:00";
    CHECK_THAT(parse_manifest(json.dump(), m.name).status().message(), Catch::Contains("sha256"));
    CHECK_FALSE(parse_manifest("{", m.name));
  }
}

TEST_CASE("retention keeps the newest backups within count, size and free space",
          "[db_backup]") {
  std::vector<BackupManifest> backups;
  for (int i = 0; i < 5; ++i) backups.push_back(manifest(1'800'000'000 + i * 3600, 100 * kMiB));
  std::vector<BackupManifest> shuffled = {backups[3], backups[0], backups[4], backups[2],
                                          backups[1]};
  BackupSpec spec;
  spec.min_free_percent = 10;
  const std::int64_t total = 10'000 * kMiB;
  const std::int64_t plenty = 9'000 * kMiB;

  SECTION("by count, oldest first") {
    spec.keep = 3;
    CHECK(names(backups_to_prune(shuffled, spec, total, plenty)) ==
          names({backups[0], backups[1]}));
  }
  SECTION("by total size") {
    spec.max_total_mb = 250;
    CHECK(names(backups_to_prune(shuffled, spec, total, plenty)) ==
          names({backups[0], backups[1], backups[2]}));
  }
  SECTION("by the free space left on the target") {
    // 10% of 10,000 MiB must stay free; 750 MiB are: three deletions free 300 MiB more.
    CHECK(names(backups_to_prune(shuffled, spec, total, 750 * kMiB)) ==
          names({backups[0], backups[1], backups[2]}));
  }
  SECTION("never the newest, even when it alone breaks every bound") {
    spec.keep = 1;
    spec.max_total_mb = 1;
    const auto prune = backups_to_prune(shuffled, spec, total, 0);
    CHECK(names(prune) == names({backups[0], backups[1], backups[2], backups[3]}));
  }
  SECTION("nothing when every bound holds") {
    CHECK(backups_to_prune(shuffled, spec, total, plenty).empty());
  }
  CHECK(newest_backup(shuffled)->name == backups[4].name);
  CHECK_FALSE(newest_backup({}));
}
