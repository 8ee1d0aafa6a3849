#include "agent/resources/pool_hold.hpp"

#include <algorithm>

#include "common/text.hpp"

namespace pydio::agent {

namespace {

// "peer A VERB" or "peers A, B VERB".
std::string hosts_phrase(const std::vector<std::string>& hosts, const std::string& verb) {
  return (hosts.size() == 1 ? "peer " : "peers ") + common::join(hosts, ", ") + " " + verb;
}

// "peer A VERB the trusted pool (state: S)" or "peers A (state: S), B (state: T) VERB the
// trusted pool".
std::string joining_phrase(const std::vector<JoiningPeer>& joining, const std::string& verb) {
  if (joining.size() == 1) {
    return "peer " + joining.front().host + " " + verb +
           " the trusted pool (state: " + joining.front().state + ")";
  }
  std::vector<std::string> entries;
  for (const auto& peer : joining) entries.push_back(peer.host + " (state: " + peer.state + ")");
  return "peers " + common::join(entries, ", ") + " " + verb + " the trusted pool";
}

}  // namespace

std::string PoolHold::waiting_text() const {
  std::vector<std::string> parts;
  // "peers X to reconnect" whatever the count: the wording status and the docs already show.
  if (!down.empty()) parts.push_back("peers " + common::join(down, ", ") + " to reconnect");
  if (!joining.empty()) parts.push_back(joining_phrase(joining, "to finish joining"));
  if (!absent.empty()) parts.push_back(hosts_phrase(absent, "to join the trusted pool"));
  return common::join(parts, " and ");
}

std::string PoolHold::until_text() const {
  std::vector<std::string> parts;
  if (!down.empty()) parts.push_back("peers " + common::join(down, ", ") + " reconnect");
  if (!joining.empty()) {
    parts.push_back(
        joining_phrase(joining, joining.size() == 1 ? "finishes joining" : "finish joining"));
  }
  if (!absent.empty()) {
    parts.push_back(hosts_phrase(
        absent, absent.size() == 1 ? "joins the trusted pool" : "join the trusted pool"));
  }
  return common::join(parts, " and ");
}

PoolHold pool_hold(const std::vector<common::GlusterPeer>& peers,
                   const std::vector<std::string>& brick_hosts, const std::string& self_address) {
  PoolHold hold;
  for (const auto& peer : peers) {
    if (!peer.connected) {
      hold.down.push_back(peer.hostname);
    } else if (!peer.in_cluster()) {
      hold.joining.push_back({peer.hostname, peer.state_name.empty()
                                                 ? std::to_string(peer.state.value_or(0))
                                                 : peer.state_name});
    }
  }
  if (peers.empty()) return hold;
  for (const auto& host : brick_hosts) {
    if (host == self_address) continue;
    const bool known = std::any_of(peers.begin(), peers.end(),
                                   [&](const common::GlusterPeer& p) { return p.known_as(host); });
    if (!known && std::find(hold.absent.begin(), hold.absent.end(), host) == hold.absent.end())
      hold.absent.push_back(host);
  }
  return hold;
}

}  // namespace pydio::agent
