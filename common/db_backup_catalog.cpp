#include "common/db_backup_catalog.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/field_checks.hpp"
#include "common/mount_table.hpp"
#include "common/strict_json.hpp"
#include "common/text.hpp"
#include "common/utc_time.hpp"

namespace pydio::common {

namespace {

constexpr std::int64_t kMiB = 1024 * 1024;
constexpr std::size_t kStampLength = 16;  // "20261201T003000Z"

// "2026-12-01T00:30:00Z" -> "20261201T003000Z".
std::string compact_stamp(std::int64_t at) {
  std::string out;
  for (char c : format_utc(at)) {
    if (c != '-' && c != ':') out += c;
  }
  return out;
}

bool older(const BackupManifest& a, const BackupManifest& b) {
  return a.finished_at != b.finished_at ? a.finished_at < b.finished_at : a.name < b.name;
}

}  // namespace

bool BackupManifest::operator==(const BackupManifest& o) const {
  return name == o.name && node == o.node && started_at == o.started_at &&
         finished_at == o.finished_at && bytes == o.bytes && sha256 == o.sha256 &&
         server_version == o.server_version && galera_seqno == o.galera_seqno;
}

std::string db_backup_dir(const DesiredState& desired) {
  if (!desired.database.backup) return "";
  const VolumeSpec* volume = desired.find_volume(desired.database.backup->volume);
  if (volume == nullptr || volume->mountpoint.empty()) return "";
  return normalize_mount_path(volume->mountpoint) + "/" + kBackupDirBelowVolume;
}

std::string backup_name(std::int64_t started_at, const std::string& node) {
  return compact_stamp(started_at) + "-" + node;
}

std::optional<std::string> backup_name_problem(const std::string& name) {
  const std::string expected =
      "a backup name is <YYYYMMDDTHHMMSSZ>-<node>, as `agentctl db backups` lists them; got " +
      quote_value(name);
  if (name.size() <= kStampLength + 1 || name[kStampLength] != '-') return expected;
  const std::string stamp = name.substr(0, kStampLength);
  for (std::size_t i = 0; i < kStampLength; ++i) {
    const char c = stamp[i];
    const bool ok = i == 8 ? c == 'T' : i == 15 ? c == 'Z' : (c >= '0' && c <= '9');
    if (!ok) return expected;
  }
  const std::string text = stamp.substr(0, 4) + "-" + stamp.substr(4, 2) + "-" +
                           stamp.substr(6, 2) + "T" + stamp.substr(9, 2) + ":" +
                           stamp.substr(11, 2) + ":" + stamp.substr(13, 2) + "Z";
  if (!parse_utc(text)) return expected;
  if (check_name(name.substr(kStampLength + 1))) return expected;
  return std::nullopt;
}

std::string manifest_to_json(const BackupManifest& m) {
  nlohmann::ordered_json out;
  out["name"] = m.name;
  out["node"] = m.node;
  out["startedAt"] = format_utc(m.started_at);
  out["finishedAt"] = format_utc(m.finished_at);
  out["bytes"] = m.bytes;
  out["sha256"] = m.sha256;
  out["serverVersion"] = m.server_version;
  out["galeraSeqno"] = m.galera_seqno;
  return out.dump(2) + "\n";
}

Expected<BackupManifest> parse_manifest(const std::string& text, const std::string& expected_name) {
  ErrorLines errors;
  auto json = parse_strict_json(text, errors);
  BackupManifest m;
  if (json) {
    ObjectReader reader(*json, "", errors);
    const auto time_field = [&](const char* key, std::int64_t& target) {
      if (auto value = reader.string(key, Presence::kRequired)) {
        if (auto at = parse_utc(*value)) {
          target = *at;
        } else {
          add_error(errors, key, "must be a UTC time such as 2026-01-31T12:00:00Z");
        }
      }
    };
    if (auto v = reader.string("name", Presence::kRequired)) m.name = *v;
    if (auto v = reader.string("node", Presence::kRequired)) m.node = *v;
    time_field("startedAt", m.started_at);
    time_field("finishedAt", m.finished_at);
    if (auto v = reader.integer("bytes", Presence::kRequired)) m.bytes = *v;
    if (auto v = reader.string("sha256", Presence::kRequired)) m.sha256 = *v;
    if (auto v = reader.string("serverVersion", Presence::kRequired)) m.server_version = *v;
    if (auto v = reader.integer("galeraSeqno", Presence::kRequired)) m.galera_seqno = *v;
    reader.finish();
    if (errors.empty() && m.name != expected_name)
      add_error(errors, "name", "is " + quote_value(m.name) + ", the file is " + expected_name);
    if (errors.empty() && m.bytes < 0) add_error(errors, "bytes", "must not be negative");
    if (errors.empty() && (m.sha256.size() != 71 || m.sha256.rfind("sha256:", 0) != 0))
      add_error(errors, "sha256", "must be sha256:<64 hex digits>");
  }
  if (!errors.empty()) {
    return Status::error("backup manifest " + expected_name + kBackupManifestSuffix + ": " +
                         join(errors, "; "));
  }
  return m;
}

std::vector<BackupManifest> backups_to_prune(std::vector<BackupManifest> backups,
                                             const BackupSpec& spec, std::int64_t total_bytes,
                                             std::int64_t free_bytes) {
  std::sort(backups.begin(), backups.end(), older);
  std::int64_t kept_bytes = 0;
  for (const auto& b : backups) kept_bytes += b.bytes;
  const std::int64_t max_total = spec.max_total_mb * kMiB;
  const std::int64_t min_free = total_bytes / 100 * spec.min_free_percent;
  std::vector<BackupManifest> prune;
  for (std::size_t i = 0; i + 1 < backups.size(); ++i) {
    const std::size_t left = backups.size() - i;
    const bool too_many = left > static_cast<std::size_t>(std::max(spec.keep, 1));
    const bool too_big = max_total > 0 && kept_bytes > max_total;
    const bool too_full = free_bytes < min_free;
    if (!too_many && !too_big && !too_full) break;
    prune.push_back(backups[i]);
    kept_bytes -= backups[i].bytes;
    free_bytes += backups[i].bytes;
  }
  return prune;
}

std::optional<BackupManifest> newest_backup(const std::vector<BackupManifest>& backups) {
  if (backups.empty()) return std::nullopt;
  return *std::max_element(backups.begin(), backups.end(), older);
}

}  // namespace pydio::common
