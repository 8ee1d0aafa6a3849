#pragma once
// Observations that several resources make in the same scheduling round, made once per round:
// `gluster pool list` is read by glusterd, gluster-pool, self-heal and volume resources, and
// `gluster volume info` and `gluster volume status all` by every volume resource of a storage
// node; each run is a process. A fresh cache comes with every PassContext, so nothing outlives the
// round it was read in; apply() always re-reads through the CLI itself.
// Thread-safe: concurrent callers wait for the one call in progress (guarded by mutex_).

#include <memory>
#include <mutex>
#include <optional>
#include <string>
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

  common::Expected<std::vector<common::GlusterVolume>> volume_info_all(
      common::ProcessRunner& runner, std::chrono::milliseconds timeout) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!volume_info_) volume_info_ = common::GlusterCli(runner, timeout).volume_info_all();
    return *volume_info_;
  }

  common::Expected<std::vector<common::GlusterVolumeStatus>> volume_status_all(
      common::ProcessRunner& runner, std::chrono::milliseconds timeout) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!volume_status_) volume_status_ = common::GlusterCli(runner, timeout).volume_status_all();
    return *volume_status_;
  }

 private:
  std::mutex mutex_;
  std::optional<common::Expected<std::vector<common::GlusterPeer>>> pool_;
  std::optional<common::Expected<std::vector<common::GlusterVolume>>> volume_info_;
  std::optional<common::Expected<std::vector<common::GlusterVolumeStatus>>> volume_status_;
};

// The round's `pool list` (read once per round when the context carries a cache).
inline common::Expected<std::vector<common::GlusterPeer>> observed_pool(
    const PassContext& ctx, std::chrono::milliseconds timeout = common::kGlusterDefaultTimeout) {
  if (ctx.cache) return ctx.cache->pool_list(*ctx.runner, timeout);
  return common::GlusterCli(*ctx.runner, timeout).pool_list();
}

// The round's `volume info` of `name`, nullopt when gluster has no such volume (one
// `volume info` of every volume per round when the context carries a cache).
inline common::Expected<std::optional<common::GlusterVolume>> observed_volume_info(
    const PassContext& ctx, const std::string& name) {
  if (!ctx.cache) return common::GlusterCli(*ctx.runner).volume_info(name);
  auto all = ctx.cache->volume_info_all(*ctx.runner, common::kGlusterDefaultTimeout);
  if (!all) return all.status();
  for (const auto& volume : *all)
    if (volume.name == name) return std::optional<common::GlusterVolume>(volume);
  return std::optional<common::GlusterVolume>();
}

// The round's status of the started volume `name` (one `volume status all` per round when the
// context carries a cache; `volume status NAME` otherwise).
inline common::Expected<common::GlusterVolumeStatus> observed_volume_status(
    const PassContext& ctx, const std::string& name, std::chrono::milliseconds timeout) {
  if (!ctx.cache) return common::GlusterCli(*ctx.runner, timeout).volume_status(name);
  auto all = ctx.cache->volume_status_all(*ctx.runner, timeout);
  if (!all) return all.status();
  for (const auto& status : *all)
    if (status.name == name) return status;
  return common::Status::error("gluster volume status all: volume " + name + " not listed");
}

}  // namespace pydio::agent
