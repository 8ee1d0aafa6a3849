#pragma once
// `agentctl upgrade`: moves a storage node of a cluster built by the previous release (unsigned
// desired state, one shared join token, no PKI) to the signed model, as `agentctl init` would
// have made it. The document adopted is this node's own copy in its root-only state dir (what
// the old agent last put in force), never the copy on the shared volume, which the web user
// could write. This node then holds the signing key, the cluster CA and its own storage
// certificate, and puts generation + 1 in force, signed, with a first join token; the other
// nodes follow it with `agentctl join <this node>` (they are listed already: a re-join).
// Refused, changing nothing, on a node whose document in force is already signed, that has no
// document, no secrets file, or is not a storage node of its document.
// Thread-safe: one upgrade at a time (mutex_). Blocks briefly (key generation, file writes): run
// it on the daemon's blocking pool.

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "agent/api/admin_api.hpp"
#include "agent/daemon/node_state.hpp"

namespace pydio::agent {

class LegacyUpgrade {
 public:
  // `join_command(token)`: "agentctl join <this node> --token <token> --ca-cert-hash <pin>".
  // `on_commit` runs after the signed document is in force (health re-check, peer port).
  LegacyUpgrade(NodeState& state, const common::LocalConfig& local,
                std::function<std::string(const std::string&)> join_command,
                std::function<void()> on_commit)
      : state_(state),
        local_(local),
        join_command_(std::move(join_command)),
        on_commit_(std::move(on_commit)) {}

  api::AdminAnswer upgrade();

 private:
  // Why this node cannot be upgraded; nullopt when it can.
  std::optional<api::AdminAnswer> refusal() const;

  NodeState& state_;
  const common::LocalConfig& local_;
  std::function<std::string(const std::string&)> join_command_;
  std::function<void()> on_commit_;
  std::mutex mutex_;
};

}  // namespace pydio::agent
