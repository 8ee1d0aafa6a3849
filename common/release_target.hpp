#pragma once
// Which Pydio release a compute node serves and which it prepares, from the desired state
// alone (web.release and the leader's web.rollout): pure, so every node, the leader and the
// tests agree on it. docs/operations.md, "Releases", tells the same rules in words.

#include <string>

#include "common/desired_state.hpp"

namespace pydio::common {

struct ReleaseTarget {
  std::string current;  // sha256 of the release the node must serve; "" = none (operator mode)
  std::string stage;    // sha256 of a release to unpack beside it now; "" = none
};

// No web.release: nothing (an operator-installed Pydio). No rollout: web.release. During a
// rollout: the new release on the nodes it is done with and on the node being switched once
// its phase is switching or undraining (unless the rollout stopped: that node switched back);
// the previous release everywhere else, with the new one staged while the rollout runs.
ReleaseTarget release_target(const WebSpec& web, const std::string& node_name);

// Whether the rollout drains `node_name` now: it is the node being switched, in phase draining
// or switching, and the rollout has not stopped. Balancers then send it no new sessions.
bool rollout_drains(const WebSpec& web, const std::string& node_name);

}  // namespace pydio::common
