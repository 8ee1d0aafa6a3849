#include "agent/daemon/follower.hpp"

#include <spdlog/spdlog.h>

#include "agent/cluster/published_state.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
constexpr auto kPeerQueryTimeout = 1500ms;  // a document fetch
}  // namespace

bool Follower::adopt(const std::string& text, const std::string& source) {
  if (text == last_seen_text_) return false;
  const common::ValidationResult parsed = common::parse_desired_state(text);
  if (!parsed.state) {
    state_.record_refusal(parsed.errors);  // status and health say why it is ignored
  } else {
    auto current = state_.desired();
    if (current && parsed.state->generation <= current->generation) {
      last_seen_text_ = text;
      return false;
    }
    spdlog::info("adopting desired state generation {} from {}", parsed.state->generation, source);
    if (auto outcome = state_.submit(parsed); !outcome) {
      spdlog::error("{}", outcome.status().message());
      return false;  // not remembered: tried again at the next look
    }
  }
  last_seen_text_ = text;
  on_adopted_();
  return true;
}

bool Follower::adopt_from_peer(const std::string& address) {
  if (address.empty() || address == local_.address) return false;
  auto reply = leader_.peer_client(kPeerQueryTimeout).get(address, "/v1/peer/desired-state");
  if (!reply || reply->status != 200) return false;
  const std::string text = text_field(reply->body, "document");
  if (text.empty()) return false;
  adopt(text, "peer " + address);
  return true;
}

void Follower::look(const std::string& announced_by) {
  std::lock_guard<std::mutex> lock(look_mutex_);
  auto desired = state_.desired();
  if (!desired || !state_.secrets()) return;
  if (adopt_from_peer(announced_by)) return;
  const common::NodeSpec* self = desired->find_node(local_.node_name);
  const std::string path = published_state_path(*desired);
  if (!path.empty() && self != nullptr && self->has_role(common::Role::kCompute)) {
    auto published = read_published_state(path);
    if (published && published->has_value()) {
      adopt((*published)->text, std::string(kConfigVolume));
      return;
    }
  }
  if (state_.is_leader_now()) return;  // the leader's own copy is the newest
  // No published copy here (no pydio-config yet, or no mount on this node): ask the leader,
  // else any peer.
  if (auto leader = leader_.leader_address(*desired); leader && adopt_from_peer(*leader)) return;
  for (const auto& node : desired->nodes)
    if (node.name != local_.node_name && adopt_from_peer(node.address)) return;
}

}  // namespace pydio::agent
