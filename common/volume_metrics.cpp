#include "common/volume_metrics.hpp"

#include "common/metrics.hpp"

namespace pydio::common {

namespace {
metrics::Gauge& volume_gauge(const char* name, const char* help) {
  return metrics::process_registry().gauge(name, help, {"volume"}, kVolumeStaleAfter);
}
}  // namespace

void record_volume_bricks(const std::string& volume, int online, int total) {
  static auto& bricks =
      volume_gauge("pydio_agent_volume_bricks",
                   "Bricks of the volume (gluster volume info), seen by the leader.");
  static auto& up = volume_gauge("pydio_agent_volume_bricks_online",
                                 "Bricks gluster volume status lists online, seen by the leader.");
  bricks.set({volume}, total);
  up.set({volume}, online);
}

void record_volume_heal(const std::string& volume, int pending, int split_brain) {
  static auto& heal = volume_gauge(
      "pydio_agent_volume_heal_pending_entries",
      "Entries waiting to heal (gluster volume heal info summary), over the bricks that answered.");
  static auto& split = volume_gauge("pydio_agent_volume_split_brain_entries",
                                    "Entries in split-brain, over the bricks that answered.");
  heal.set({volume}, pending);
  split.set({volume}, split_brain);
}

}  // namespace pydio::common
