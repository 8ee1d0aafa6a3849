#include "agent/daemon/status_report.hpp"

#include "common/runner.hpp"
#include "version.hpp"

namespace pydio::agent {

namespace {
nlohmann::json nullable(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}
}  // namespace

nlohmann::json node_status(const NodeState& state, const common::LocalConfig& local,
                           const HealthVerdict& verdict) {
  auto desired = state.desired();
  nlohmann::json out;
  out["node"] = local.node_name;
  out["version"] = common::kVersion;
  out["generation"] = desired ? desired->generation : 0;
  out["desiredError"] = nullable(state.desired_error());
  // Gluster's own TLS (security.glusterTls, chosen at init); the files are resource gluster-tls.
  out["glusterTls"] = desired ? desired->security.gluster_tls : false;
  // Which key this node verifies documents with, and whether it can sign (storage nodes).
  if (auto keys = state.signing_keys()) {
    auto signed_text = state.desired_signed();
    out["signing"] = {{"keyId", key_id(keys->public_pem)},
                      {"canSign", !keys->private_pem.empty()},
                      {"inForceSigned", signed_text && !signed_text->signature.empty()},
                      {"missingPrivateKey", state.lacks_private_signing_key()},
                      {"rotated", !keys->succession.empty()}};
  } else {
    out["signing"] = nullptr;
  }
  const LeaderSnapshot leader = state.leader();
  if (leader.campaigning) {
    out["leader"] = {{"isLeader", leader.lease.leader},
                     {"holder", leader.lease.holder},
                     {"term", leader.lease.term},
                     {"error", nullable(leader.lease.last_error)},
                     {"member", nullable(leader.lease.member)}};
  } else {
    out["leader"] = {{"isLeader", false}, {"holder", ""}, {"term", 0}, {"error", leader.why_not}};
  }
  out["processesStarted"] = common::processes_started();
  out["draining"] = state.draining();
  out["drainReason"] = state.drain_reason();
  // "serving": what /health/serving answers (the verdict without drains): a node drained for
  // a rollout serves once switched, which the leader waits for before undraining it.
  const bool serving =
      verdict.serving_reasons.empty() && (verdict.healthy || !verdict.reasons.empty());
  out["health"] = {{"healthy", verdict.healthy},
                   {"serving", serving},
                   {"reasons", verdict.reasons},
                   {"warnings", verdict.warnings}};
  out["resources"] = nlohmann::json::array();
  for (const auto& resource : state.resource_statuses()) {
    if (resource.state == ResourceState::kNotApplicable) continue;
    out["resources"].push_back(
        {{"name", resource.name},
         {"state", resource_state_name(resource.state)},
         // A recovered resource's old error would only mislead.
         {"lastError", resource.state == ResourceState::kInSync ? nlohmann::json(nullptr)
                                                                : nullable(resource.last_error)},
         {"lastChange", iso8601_utc(resource.last_change, false)},
         {"waitingFor", resource.detail}});
  }
  return out;
}

common::Expected<nlohmann::json> plan_report(const common::DesiredState* desired,
                                             Reconciler* reconciler) {
  if (desired == nullptr)
    return common::Status::error("no desired state yet (run agentctl init --spec FILE)");
  nlohmann::json resources = reconciler ? reconciler->dry_run_plan() : nlohmann::json::array();
  return nlohmann::json{{"generation", desired->generation}, {"resources", resources}};
}

}  // namespace pydio::agent
