#pragma once
// What this lb node's HAProxy says of its servers, for the node report ("balancer"), which the
// leader's rollout reads every 2 s (release_rollout_step.hpp). Node reports are answered on the
// event loop and must not wait on HAProxy, so the admin socket is asked by refresh() on the
// blocking pool (bounded by kAskBound) and report() gives the last answer. The CSV is parsed by
// parse_show_stat (resources/haproxy_stat.hpp), the same parser the haproxy resource uses.
// Thread-safe: last_ is guarded by mutex_.

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/host/haproxy_control.hpp"
#include "common/runner.hpp"

namespace pydio::agent {

class BalancerStats {
 public:
  static constexpr std::chrono::milliseconds kAskBound{1000};
  // An answer older than this is not reported as the servers' state (refresh stopped or hung).
  static constexpr std::chrono::seconds kStale{10};

  BalancerStats(common::ProcessRunner& runner, bool use_systemd, HaproxyPaths paths = {})
      : runner_(runner), use_systemd_(use_systemd), paths_(std::move(paths)) {}

  // Asks HAProxy's `show stat` when `lb` (this node has role lb), else forgets the last answer.
  // Blocks up to kAskBound.
  void refresh(bool lb);
  // {"servers":[{"name","status","sessions","agent"}]}, with "error" (and no servers) when
  // HAProxy did not answer or the answer is stale; null when this node is not an lb node.
  nlohmann::json report() const;

 private:
  common::ProcessRunner& runner_;
  const bool use_systemd_;
  const HaproxyPaths paths_;
  mutable std::mutex mutex_;
  nlohmann::json last_;                          // guarded by mutex_; null when not lb
  std::chrono::steady_clock::time_point asked_;  // guarded by mutex_
};

}  // namespace pydio::agent
