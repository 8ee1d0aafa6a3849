#include "agent/daemon/follower.hpp"

#include <spdlog/spdlog.h>

#include "agent/cluster/published_state.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
constexpr auto kPeerQueryTimeout = 1500ms;  // a document fetch
}  // namespace

DocumentVerdict Follower::adopt(const SignedDocument& document, const std::string& source) {
  auto keys = state_.signing_keys();
  auto current = state_.desired();
  auto current_signed = state_.desired_signed();
  const DocumentCheck check =
      check_signed_document(document, keys ? keys->public_pem : "", current.get(),
                            current_signed ? current_signed->text : "",
                            state_.retired_signing_key());
  const std::string seen = document.text + '\n' + document.signature;
  if (seen == last_seen_text_) return check.verdict;  // already acted upon
  const bool in_force_or_next =
      check.verdict == DocumentVerdict::kInForce || check.verdict == DocumentVerdict::kAdopt;
  if (in_force_or_next && check.successor) {
    // The signing key was rotated: trust its successor first, then take the document.
    if (common::Status trusted = state_.trust_successor(*check.successor); !trusted) {
      spdlog::error("{}", trusted.message());
      return DocumentVerdict::kRefused;  // not remembered: tried again at the next look
    }
    current_signed = state_.desired_signed();
  }
  switch (check.verdict) {
    case DocumentVerdict::kOlder:
      spdlog::debug("not adopting the desired state from {}: {}", source, check.reason);
      break;
    case DocumentVerdict::kInForce:
      // Our copy may be unsigned (after an upgrade): keep the signature it now has.
      if (current_signed && current_signed->signature.empty())
        (void)state_.submit(check.parsed, GenerationRule::kNewer, document);
      break;
    case DocumentVerdict::kRefused:
      // Status, health and the event log say why it is ignored; the document in force stays.
      state_.refuse_document(source, check.reason);
      on_adopted_();
      break;
    case DocumentVerdict::kAdopt:
      spdlog::info("adopting desired state generation {} from {}", check.parsed.state->generation,
                   source);
      if (auto outcome = state_.submit(check.parsed, GenerationRule::kNewer, document); !outcome) {
        spdlog::error("{}", outcome.status().message());
        return DocumentVerdict::kRefused;  // not remembered: tried again at the next look
      }
      on_adopted_();
      break;
  }
  last_seen_text_ = seen;
  return check.verdict;
}

bool Follower::adopt_from_peer(const std::string& address) {
  if (address.empty() || address == local_.address) return false;
  auto reply = leader_.peer_client(kPeerQueryTimeout).get(address, "/v1/peer/desired-state");
  if (!reply || reply->status != 200) return false;
  const SignedDocument document = signed_document_from_reply(reply->body);
  if (document.text.empty()) return false;
  // Done only when this peer gave the newest or the same document: an older or refused one
  // (a lagging or hostile peer) must not stop this node from asking the others.
  const DocumentVerdict verdict = adopt(document, "peer " + address);
  return verdict == DocumentVerdict::kAdopt || verdict == DocumentVerdict::kInForce;
}

void Follower::look(const std::string& announced_by) {
  std::lock_guard<std::mutex> lock(look_mutex_);
  auto desired = state_.desired();
  if (!desired || !state_.secrets()) return;
  if (adopt_from_peer(announced_by)) return;
  const common::NodeSpec* self = desired->find_node(local_.node_name);
  const std::string path = published_state_path(*desired);
  if (!path.empty() && self != nullptr && self->has_role(common::Role::kCompute)) {
    auto keys = state_.signing_keys();
    auto published = read_published_state(path, keys ? keys->public_pem : "");
    if (published && published->has_value() && !(*published)->untrusted.empty()) {
      // The agent's folder or file on pydio-config is not root's: nothing there is read.
      const std::string why = (*published)->untrusted;
      if (why != last_seen_text_) {
        state_.refuse_document(std::string(kConfigVolume), why);
        on_adopted_();
        last_seen_text_ = why;
      }
    } else if (published && published->has_value()) {
      const std::string source = std::string(kConfigVolume);
      const SignedDocument document{(*published)->text, (*published)->signature};
      if (adopt(document, source) != DocumentVerdict::kRefused) return;
    }
    // Refused or unreadable: the leader (below) still gives this node the document in force.
  }
  // No published copy here (no pydio-config yet, or no mount on this node): ask the leader,
  // else any peer. The leader asks its peers too: a storage node that was off (through a
  // rotation of the signing key, or a change) and wins the lease must take the newest document
  // before it signs anything (a peer with the same document ends the look at once).
  if (auto leader = leader_.leader_address(*desired); leader && adopt_from_peer(*leader)) return;
  for (const auto& node : desired->nodes)
    if (node.name != local_.node_name && adopt_from_peer(node.address)) return;
}

}  // namespace pydio::agent
