#pragma once
// agentctl app publish on the daemon's side (POST /v1/app/publish): a Pydio release archive an
// operator names on this node becomes the cluster's release (web.release), stored once on
// pydio-config for every compute node to install from (docs/operations.md, "Publishing a Pydio
// release"). In order, each step refusing with its reason and leaving nothing changed:
//   1. this node is a storage node (it may change the desired state and has pydio-config
//      mounted), Pydio is not operator-installed, no rollout runs (common/release_publish.hpp);
//   2. the archive (O_NOFOLLOW, a regular file, at most kMaxArchiveBytes) is copied, hashing it,
//      into <pydio-config>/pydio-agent/releases/ (root 0700: the web user cannot read it);
//   3. the copy is listed and checked (common/release_listing.hpp), its conf/VERSION read and
//      its hash computed again from what the volume gives back;
//   4. the copy is renamed <64 hex>.tar.gz and the next web section proposed to the leader
//      (ChangeCommitter::publish_release); then the archives no longer needed are removed.
// Everything but step 1 reads the agent's copy, never the operator's path again: a file someone
// rewrites while it is published is either copied whole with its hash or refused.
// Thread-safe: one publish at a time (a second one is refused). Blocks (tar, I/O on the
// volume, the leader; each bounded): run on the daemon's blocking pool.

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "agent/api/admin_api.hpp"
#include "agent/daemon/changes.hpp"
#include "agent/daemon/node_state.hpp"
#include "agent/reconcile/event_log.hpp"
#include "common/runner.hpp"

namespace pydio::agent {

// Where the releases are, under the pydio-config mountpoint.
inline constexpr const char* kReleasesDir = "pydio-agent/releases";

class ReleasePublisher {
 public:
  static constexpr std::int64_t kMaxArchiveBytes = std::int64_t{2} << 30;  // 2 GiB

  // Whether the FUSE mount at a mountpoint answers the health monitor's probe right now.
  using MountAnswers = std::function<bool(const std::string& mountpoint)>;

  ReleasePublisher(NodeState& state, ChangeCommitter& changes, const common::LocalConfig& local,
                   common::ProcessRunner& runner, EventLog& events, MountAnswers mount_answers)
      : state_(state),
        changes_(changes),
        local_(local),
        runner_(runner),
        events_(events),
        mount_answers_(std::move(mount_answers)) {}

  // 200 {"version","sha256","file","size","generation","alreadyPublished",
  //      "rollout": null | {"release","previous","previousVersion"}};
  // else {"error"} (+ "errors": one line per problem of the archive): 400 not an absolute path,
  // 403 not a storage node, 409 not now (a rollout runs, operator-installed Pydio,
  // pydio-config not mounted, another publish), 422 not a release, 500/503 as changes.
  api::AdminAnswer publish(const std::string& path);

 private:
  api::AdminAnswer publish_locked(const std::string& path);
  void record(const std::string& action, const std::string& error = "") const;

  NodeState& state_;
  ChangeCommitter& changes_;
  const common::LocalConfig& local_;
  common::ProcessRunner& runner_;
  EventLog& events_;
  const MountAnswers mount_answers_;
  std::mutex mutex_;  // held for a whole publish
};

}  // namespace pydio::agent
