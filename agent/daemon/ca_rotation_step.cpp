#include "agent/daemon/ca_rotation_step.hpp"

#include <algorithm>

#include "agent/trust/ca_set.hpp"
#include "common/text.hpp"

namespace pydio::agent {

using nlohmann::json;

namespace {

bool holds(const std::vector<std::string>& pins, const std::string& pin) {
  return !pin.empty() && std::find(pins.begin(), pins.end(), pin) != pins.end();
}

std::vector<std::string> strings_at(const json& object, const char* key) {
  std::vector<std::string> out;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_array()) return out;
  for (const auto& item : *it)
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

}  // namespace

json node_ca_json(const std::vector<std::string>& trusted, const std::string& issuer,
                  const std::vector<std::string>& keys) {
  return json{{"trusted", trusted}, {"issuer", issuer}, {"keys", keys}};
}

NodeCaState node_ca_state(const std::string& name, bool storage, const json& report) {
  NodeCaState state;
  state.name = name;
  state.storage = storage;
  state.reachable = report.is_object();
  if (!state.reachable) return state;
  const auto ca = report.find("ca");
  if (ca == report.end() || !ca->is_object()) return state;
  state.trusted = strings_at(*ca, "trusted");
  state.keys = strings_at(*ca, "keys");
  const auto issuer = ca->find("issuer");
  if (issuer != ca->end() && issuer->is_string()) state.issuer = issuer->get<std::string>();
  return state;
}

bool next_key_dropped(std::int64_t in_force, std::optional<std::int64_t> proposed) {
  return proposed && in_force > *proposed;
}

RotationStep next_rotation_step(const std::vector<std::string>& listed,
                                const std::vector<NodeCaState>& nodes) {
  RotationStep step;
  const trust::CaPhase phase = trust::ca_phase(listed);
  if (phase == trust::CaPhase::kSteady) return step;
  const std::string newest = trust::newest_ca(listed);
  const std::vector<std::string> pins = trust::ca_pins({newest});
  const std::string pin = pins.front();
  const bool introducing = phase == trust::CaPhase::kIntroducing;

  std::vector<std::string> waiting;
  std::size_t done = 0;
  for (const NodeCaState& node : nodes) {
    bool ready = false;
    std::string why;
    if (!node.reachable) {
      why = " (unreachable)";
    } else if (introducing) {
      ready = holds(node.trusted, pin) && (!node.storage || holds(node.keys, pin));
      if (holds(node.trusted, pin) && !ready) why = " (to fetch the new CA's key)";
    } else {
      ready = node.issuer == pin;
    }
    if (ready) {
      ++done;
    } else {
      waiting.push_back(node.name + why);
    }
  }
  step.progress = "CA rotation: " + std::to_string(done) + " of " + std::to_string(nodes.size()) +
                  (introducing ? " nodes trust the new CA" : " nodes on the new CA");
  if (!waiting.empty()) {
    step.kind = RotationStep::Kind::kWait;
    step.progress += "; waiting for " + common::join(waiting, ", ");
    return step;
  }
  if (introducing) {
    // The new CA issues; the old ones stay trusted until every node renewed under it.
    step.kind = RotationStep::Kind::kIssueNew;
    step.next.push_back(newest);
    for (const auto& ca : listed)
      if (ca != newest) step.next.push_back(ca);
    step.progress += "; the new CA issues now";
  } else {
    step.kind = RotationStep::Kind::kRetire;
    step.next = {listed.front()};
    step.progress += "; retiring the old CA";
  }
  return step;
}

}  // namespace pydio::agent
