#pragma once
// Stopping what a SIGTERM must not wait for. The probers' threads may be inside a bounded but
// long call when the agent is asked to stop (a db probe of a stopped MariaDB waits 2 s, a mount
// probe 2 s, a reachability round 1 s): their stops run at once, each on a thread of its own,
// beside the reconciler's, and the daemon waits for them only until its one deadline.

#include <chrono>
#include <functional>
#include <vector>

namespace pydio::agent {

// Runs every stop at the same time, each on a detached thread, and waits until `deadline`.
// True when all returned; false when some still run (the caller exits the process without
// waiting for them: their objects must not be destroyed before).
bool stop_in_parallel(std::vector<std::function<void()>> stops,
                      std::chrono::steady_clock::time_point deadline);

}  // namespace pydio::agent
