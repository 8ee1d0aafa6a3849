#include "agent/resources/brick_repair.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "agent/reconcile/pass_cache.hpp"
#include "agent/resources/volume_actions.hpp"
#include "common/gluster_cli.hpp"
#include "common/text.hpp"
#include "common/volume_metrics.hpp"

namespace pydio::agent {

namespace {

constexpr std::chrono::seconds kStatusTimeout{5};

std::string host_of(const std::string& endpoint) { return endpoint.substr(0, endpoint.rfind(':')); }

}  // namespace

std::vector<std::string> offline_bricks(const common::GlusterVolume& volume,
                                        const common::GlusterVolumeStatus& status) {
  std::vector<std::string> offline;
  for (const auto& endpoint : volume.brick_endpoints()) {
    // A brick gluster does not list at all (its host's glusterd is unreachable) is not
    // known to be online either.
    const bool online = std::any_of(status.bricks.begin(), status.bricks.end(),
                                    [&](const common::GlusterProcessStatus& brick) {
                                      return brick.online && brick.endpoint() == endpoint;
                                    });
    if (!online) offline.push_back(endpoint);
  }
  return offline;
}

std::vector<std::string> observe_offline_bricks(const PassContext& ctx,
                                                const common::GlusterVolume& volume) {
  auto status = observed_volume_status(ctx, volume.name, kStatusTimeout);
  if (!status) {
    spdlog::debug("volume {}: brick status unknown: {}", volume.name, status.status().message());
    return {};
  }
  std::vector<std::string> offline = offline_bricks(volume, *status);
  const int total = static_cast<int>(volume.bricks.size());
  common::record_volume_bricks(volume.name, total - static_cast<int>(offline.size()), total);
  return offline;
}

BrickRepair plan_brick_repair(const BrickRepairInput& input) {
  BrickRepair repair;
  std::vector<std::string> restartable;
  std::vector<std::string> unreachable;
  for (const auto& brick : input.offline) {
    const std::string host = host_of(brick);
    const bool connected =
        host == input.self_address ||
        std::any_of(input.peers.begin(), input.peers.end(), [&](const common::GlusterPeer& peer) {
          // A peer still joining is left out of `volume start force` by glusterd.
          return peer.in_cluster() && peer.known_as(host);
        });
    (connected ? restartable : unreachable).push_back(brick);
  }
  if (!unreachable.empty()) {
    repair.note =
        "bricks offline on hosts that are not connected peers: " + common::join(unreachable, " ");
  }
  if (restartable.empty()) return repair;
  if (!input.held_back.empty()) {
    repair.waiting_for = input.held_back;
    return repair;
  }
  std::string description = "start the offline bricks of volume " + input.volume + ": " +
                            common::join(restartable, " ") + " (gluster volume start " +
                            input.volume + " force)";
  if (input.start_number > 1)
    description += ", forced start " + std::to_string(input.start_number) + " by this agent";
  repair.action =
      make_action<VolumeAction>(description, StartOfflineBricks{input.volume, input.leader_term});
  return repair;
}

}  // namespace pydio::agent
