#pragma once
// Changes of the desired state once this node follows a cluster. Only the leader puts a change
// in force (exactly generation + 1, so of two changes based on the same generation one wins)
// and signs it with the cluster's private key (node_state.hpp); any other node relays it to the
// leader once, so a node without the private key (compute, db) never authors a document. After
// a change is in force the leader tells every other agent that a new generation exists (push),
// so they fetch it at once instead of at their next poll.
// Thread-safe: commits are serialized by commit_mutex_. Calls may block (bounded): run them on
// the daemon's blocking pool, never on the event loop.

#include <mutex>
#include <string>

#include "agent/api/admin_api.hpp"
#include "agent/api/peer_api.hpp"
#include "agent/daemon/leader_link.hpp"
#include "agent/daemon/node_state.hpp"

namespace pydio::agent {

class ChangeCommitter {
 public:
  // `on_commit` runs after a document was put in force on this node (health re-check).
  ChangeCommitter(NodeState& state, const LeaderLink& leader, const common::LocalConfig& local,
                  std::function<void()> on_commit)
      : state_(state), leader_(leader), local_(local), on_commit_(std::move(on_commit)) {}

  // `agentctl apply`/`init`: the first document of a new node, or a change of a cluster. The
  // spec's joinTokens, if any, are not used: init puts in the first token (kDefaultTokenTtl), a
  // change keeps the tokens in force (agentctl token manages them). Likewise web.release and
  // web.rollout (agentctl app publish, the leader's rollout): omitted or repeated exactly, the
  // ones in force are kept (common::release_members_problem).
  common::Expected<api::SubmitResult> submit_from_operator(const std::string& document);
  // A change this node asks for (an operator's apply, agentctl token): put in force here when
  // this node leads (or is a one-node cluster), else sent to the leader. Only storage nodes may
  // ask (403 otherwise). `next` must be valid and carry the generation in force + 1.
  api::PeerReply propose(const common::DesiredState& next);
  // A change arriving over the peer API (from an operator on another node).
  api::PeerReply change(const std::string& document, bool forwarded);
  // On the leader: puts `parsed` in force if it is exactly generation + 1, then pushes it.
  api::PeerReply commit(const common::ValidationResult& parsed);
  // agentctl rotate signing-key (only storage nodes ask; 403 elsewhere): the leader commits the
  // document in force again as generation + 1, signed by a new key the old one vouches for
  // (NodeState::commit_with_new_key); another node relays to the leader once.
  api::PeerReply rotate_signing_key(bool forwarded);
  // agentctl app publish (changes_release.cpp), once the archive is stored: proposes the web
  // section common::plan_publish gives over the document in force (tried again when another
  // change wins the generation). 200 {"generation"} (+ "alreadyPublished": true when `release`
  // is the one in force: nothing proposed); 409 with the reason when a rollout runs or Pydio is
  // operator-installed; otherwise as propose().
  api::PeerReply publish_release(const common::ReleaseSpec& release);
  // After a rotation: until every storage node holds the private key `key_id`, only the leader
  // can sign (were it lost, no node could). Waits (bounded) for them; [{"name","holdsKey"}] per
  // storage node of the desired state in force.
  nlohmann::json await_key_holders(const std::string& key_id) const;
  // Waits (bounded) until this node follows `generation`: an answer given after it holds here.
  void await_generation(std::int64_t generation) const;
  // "agentctl join <this node> --token <token> --ca-cert-hash <CA pin>"; "" before init.
  std::string join_command(const std::string& token) const;

 private:
  // True when this node is the cluster's only node (nobody else can change its desired state).
  bool alone(const common::DesiredState& desired) const;
  // [{"name","holdsKey"}] per storage node: does it hold the private key `key_id` now.
  nlohmann::json key_holders(const std::string& key_id) const;
  // The same without a lease, for a one-node cluster whose database is not up yet: nobody else
  // can change its desired state.
  api::PeerReply commit_unleased(const common::ValidationResult& parsed);
  // Tells every other node of the document in force that generation `generation` exists.
  void announce(const common::DesiredState& desired) const;

  NodeState& state_;
  const LeaderLink& leader_;
  const common::LocalConfig& local_;
  std::function<void()> on_commit_;
  std::mutex commit_mutex_;  // serializes commits on this node
};

}  // namespace pydio::agent
