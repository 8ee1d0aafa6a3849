#include "common/release_target.hpp"

#include <algorithm>

namespace pydio::common {

ReleaseTarget release_target(const WebSpec& web, const std::string& node_name) {
  if (!web.release) return {};
  if (!web.rollout) return {web.release->sha256, ""};
  const RolloutSpec& rollout = *web.rollout;
  const bool running = rollout.stopped.empty();
  const bool done =
      std::find(rollout.done.begin(), rollout.done.end(), node_name) != rollout.done.end();
  const bool switched_now = running && rollout.node == node_name &&
                            (rollout.phase == RolloutPhase::kSwitching ||
                             rollout.phase == RolloutPhase::kUndraining);
  if (done || switched_now) return {rollout.release, ""};
  return {rollout.previous, running ? rollout.release : ""};
}

bool rollout_drains(const WebSpec& web, const std::string& node_name) {
  if (!web.rollout || !web.rollout->stopped.empty() || web.rollout->node != node_name) return false;
  return web.rollout->phase == RolloutPhase::kDraining ||
         web.rollout->phase == RolloutPhase::kSwitching;
}

}  // namespace pydio::common
