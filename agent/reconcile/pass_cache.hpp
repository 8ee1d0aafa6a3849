#pragma once
// Observations that several resources make in the same scheduling round, made once per round:
// `gluster pool list` is read by glusterd, gluster-pool, self-heal and volume resources, and
// each run is a process. A fresh cache comes with every PassContext, so nothing outlives the
// round it was read in; apply() always re-reads through the CLI itself.
// Thread-safe: concurrent callers wait for the one call in progress (guarded by mutex_).

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "agent/reconcile/resource.hpp"
#include "common/gluster_cli.hpp"

namespace pydio::agent {

class PassCache {
 public:
  common::Expected<std::vector<common::GlusterPeer>> pool_list(common::ProcessRunner& runner,
                                                               std::chrono::milliseconds timeout) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!pool_) pool_ = common::GlusterCli(runner, timeout).pool_list();
    return *pool_;
  }

 private:
  std::mutex mutex_;
  std::optional<common::Expected<std::vector<common::GlusterPeer>>> pool_;
};

// The round's `pool list` (read once per round when the context carries a cache).
inline common::Expected<std::vector<common::GlusterPeer>> observed_pool(
    const PassContext& ctx, std::chrono::milliseconds timeout = common::kGlusterDefaultTimeout) {
  if (ctx.cache) return ctx.cache->pool_list(*ctx.runner, timeout);
  return common::GlusterCli(*ctx.runner, timeout).pool_list();
}

}  // namespace pydio::agent
