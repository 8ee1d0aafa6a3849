// database.backup: what the reader accepts (types), what the checker refuses (values, the
// volume it names, where the off-site hook may live), and equality. The agent runs the hook as
// root, so it may not lie where the web user or the volumes could put a file (docs/security.md).

#include <algorithm>

#include "common/desired_state/cross_checks.hpp"
#include "common/desired_state/field_rules.hpp"
#include "common/desired_state/reader.hpp"
#include "common/field_checks.hpp"

namespace pydio::common {

bool BackupSpec::operator==(const BackupSpec& o) const {
  return interval_seconds == o.interval_seconds && keep == o.keep &&
         max_total_mb == o.max_total_mb && min_free_percent == o.min_free_percent &&
         volume == o.volume && offsite_hook == o.offsite_hook &&
         rate_limit_mbps == o.rate_limit_mbps;
}

namespace desired_state {

using nlohmann::json;

namespace {

constexpr std::int64_t kMinIntervalSeconds = 60;
constexpr std::int64_t kMaxIntervalSeconds = 7 * 86400;
constexpr std::int64_t kMaxKeep = 1000;
constexpr std::int64_t kMaxTotalMb = std::int64_t{1} << 40;
constexpr std::int64_t kMaxMinFreePercent = 90;
constexpr std::int64_t kMaxRateMbps = 100000;

std::int64_t clamped(std::int64_t value) {
  return std::max<std::int64_t>(-(std::int64_t{1} << 40),
                                std::min<std::int64_t>(value, std::int64_t{1} << 41));
}

void check_offsite_hook(const DesiredState& state, const std::string& hook, ErrorLines& errors) {
  const std::string field = "database.backup.offsiteHook";
  if (!accept(errors, field, hook, [](const std::string& v) { return check_absolute_path(v); }))
    return;
  for (const VolumeSpec& volume : state.volumes) {
    if (!volume.mountpoint.empty() && path_is_within(hook, volume.mountpoint)) {
      add_error(errors, field,
                "must not lie on volume " + volume.name + " (mounted at " + volume.mountpoint +
                    "): every node that mounts it could replace the program the agent runs "
                    "as root");
      return;
    }
  }
  if (path_is_within(hook, state.web.docroot)) {
    add_error(errors, field, "must not lie under web.docroot (" + state.web.docroot + ")");
  }
}

}  // namespace

BackupSpec read_backup(const json& value, ErrorLines& errors) {
  BackupSpec backup;
  ObjectReader reader(value, "database.backup", errors);
  if (auto v = reader.integer("intervalSeconds", Presence::kOptional))
    backup.interval_seconds = static_cast<int>(std::clamp<std::int64_t>(*v, -(1 << 30), 1 << 30));
  if (auto v = reader.integer("keep", Presence::kOptional))
    backup.keep = static_cast<int>(std::clamp<std::int64_t>(*v, -(1 << 30), 1 << 30));
  if (auto v = reader.integer("maxTotalMB", Presence::kOptional)) backup.max_total_mb = clamped(*v);
  if (auto v = reader.integer("minFreePercent", Presence::kOptional))
    backup.min_free_percent = static_cast<int>(std::clamp<std::int64_t>(*v, -(1 << 30), 1 << 30));
  if (auto v = reader.string("volume", Presence::kOptional)) backup.volume = *v;
  if (auto v = reader.integer("rateLimitMBps", Presence::kOptional))
    backup.rate_limit_mbps = static_cast<int>(std::clamp<std::int64_t>(*v, -(1 << 30), 1 << 30));
  if (auto v = reader.string("offsiteHook", Presence::kOptional)) {
    backup.offsite_hook = *v;
    if (v->empty()) add_error(errors, "database.backup.offsiteHook", "must not be empty");
  }
  reader.finish(kSecretHint);
  return backup;
}

void check_backup(const DesiredState& state, ErrorLines& errors) {
  if (!state.database.backup) return;
  const BackupSpec& backup = *state.database.backup;
  check_int(errors, "database.backup.intervalSeconds", backup.interval_seconds, kMinIntervalSeconds,
            kMaxIntervalSeconds);
  check_int(errors, "database.backup.keep", backup.keep, 1, kMaxKeep);
  check_int(errors, "database.backup.maxTotalMB", backup.max_total_mb, 0, kMaxTotalMb);
  check_int(errors, "database.backup.minFreePercent", backup.min_free_percent, 0,
            kMaxMinFreePercent);
  check_int(errors, "database.backup.rateLimitMBps", backup.rate_limit_mbps, 0, kMaxRateMbps);
  if (state.find_volume(backup.volume) == nullptr) {
    add_error(errors, "database.backup.volume",
              "names no volume of the desired state: " + quote_value(backup.volume));
  }
  if (state.nodes_with_role(Role::kDb).empty()) {
    add_error(errors, "database.backup",
              "needs a node with role db: the backup is taken on a db node (a server outside "
              "the cluster is backed up by its own means)");
  }
  if (!backup.offsite_hook.empty()) check_offsite_hook(state, backup.offsite_hook, errors);
}

nlohmann::ordered_json backup_to_json(const BackupSpec& backup) {
  nlohmann::ordered_json out;
  out["intervalSeconds"] = backup.interval_seconds;
  out["keep"] = backup.keep;
  out["maxTotalMB"] = backup.max_total_mb;
  out["minFreePercent"] = backup.min_free_percent;
  out["volume"] = backup.volume;
  out["rateLimitMBps"] = backup.rate_limit_mbps;
  if (!backup.offsite_hook.empty()) out["offsiteHook"] = backup.offsite_hook;
  return out;
}

}  // namespace desired_state
}  // namespace pydio::common
