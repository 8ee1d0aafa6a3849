#include "agent/daemon/legacy_upgrade.hpp"

#include <spdlog/spdlog.h>

#include "agent/cluster/join_token.hpp"
#include "agent/cluster/signing.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

namespace {
using nlohmann::json;

api::AdminAnswer refuse(int status, const std::string& why) {
  return api::AdminAnswer{status, json{{"error", why}}};
}
}  // namespace

std::optional<api::AdminAnswer> LegacyUpgrade::refusal() const {
  const auto desired = state_.desired();
  const auto signed_text = state_.desired_signed();
  if (!desired || !signed_text) {
    const std::string error = state_.desired_error();
    return refuse(409,
                  "nothing to upgrade: this node has no desired state of the previous "
                  "release in " +
                      local_.state_dir +
                      (error.empty() ? std::string(" (a new cluster starts with agentctl init)")
                                     : ": " + error));
  }
  if (!signed_text->signature.empty() || state_.signing_keys() || state_.trust().ready()) {
    return refuse(409, "this node already follows the signed model (generation " +
                           std::to_string(desired->generation) +
                           "): nothing to upgrade; on the other nodes run agentctl join (agentctl "
                           "token create makes a token)");
  }
  const common::NodeSpec* self = desired->find_node(local_.node_name);
  if (self == nullptr || !self->has_role(common::Role::kStorage)) {
    return refuse(403, "this node (" + local_.node_name +
                           ") is not a storage node of the desired state; run agentctl upgrade "
                           "on a storage node, then agentctl join <that node> here");
  }
  if (!state_.secrets()) {
    return refuse(409, "this node has no secrets file (" + local_.secrets_path +
                           "): the previous release wrote one on every node; restore it first");
  }
  return std::nullopt;
}

api::AdminAnswer LegacyUpgrade::upgrade() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto refused = refusal()) return *refused;
  const auto legacy = state_.desired();
  // The next document first, so that nothing is written when it cannot be made.
  auto token = make_join_token({}, common::utc_now_seconds(), kDefaultTokenTtl,
                               "created by agentctl upgrade");
  if (!token) return refuse(500, token.status().with_context("upgrade").message());
  auto next = std::make_shared<common::DesiredState>(*legacy);
  next->generation = legacy->generation + 1;
  next->join_tokens = {token->spec};
  if (auto problems = common::validate_desired_state(*next); !problems.empty())
    return refuse(422, "upgrade: the adopted document is not valid: " + problems.front());
  // As init: the signing key, then the CA and this node's storage certificate.
  if (common::Status keys = state_.ensure_signing_keys(); !keys)
    return refuse(500, keys.with_context("upgrade").message());
  if (common::Status pki =
          state_.trust().ensure_first_node(legacy->cluster_name, local_.node_name, local_.address);
      !pki)
    return refuse(500, pki.with_context("upgrade").message());
  auto outcome = state_.commit(common::ValidationResult{next, {}}, GenerationRule::kNext);
  if (!outcome) return refuse(500, outcome.status().with_context("upgrade").message());
  if (!outcome->errors.empty()) return refuse(409, "upgrade: " + outcome->errors.front());
  spdlog::info(
      "upgraded from the previous release: generation {} of cluster {} adopted from {} and "
      "signed as generation {}",
      legacy->generation, legacy->cluster_name, local_.state_dir, next->generation);
  on_commit_();
  auto keys = state_.signing_keys();
  return api::AdminAnswer{200, json{{"cluster", next->cluster_name},
                                    {"generation", next->generation},
                                    {"signingKey", keys ? key_id(keys->public_pem) : ""},
                                    {"caCertHash", state_.trust().ca_pin()},
                                    {"token", token->token},
                                    {"expires", common::format_utc(token->spec.expires)},
                                    {"joinCommand", join_command_(token->token)}}};
}

}  // namespace pydio::agent
