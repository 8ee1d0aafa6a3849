// NodeState's signing keys: creating, adopting and rotating them, following a rotation, and the
// staged key of a rotation cut short (node_state.hpp; the files: cluster/signing_files.hpp).

#include <spdlog/spdlog.h>

#include "agent/cluster/signing_files.hpp"
#include "agent/daemon/node_state.hpp"

namespace pydio::agent {

common::Status NodeState::load_desired_and_staged_key(const std::string& public_pem) {
  auto staged = load_staged_successor(local_.pki_dir);
  if (!staged) return staged.status();
  // A bad persisted document is reported, not fatal: status says why.
  if (staged->has_value()) {
    // A rotation was cut short: finished when its document was stored, else undone.
    if (common::Status loaded = desired_.load((*staged)->public_pem); !loaded)
      spdlog::error("{}", loaded.message());
    auto in_force = desired_.current_signed();
    if (in_force && !in_force->signature.empty()) {
      if (common::Status promoted = promote_staged_key(local_.pki_dir); !promoted) return promoted;
      spdlog::info("finished the rotation to signing key {} that a stop interrupted",
                   key_id((*staged)->public_pem));
      std::lock_guard<std::mutex> lock(mutex_);
      signing_ = std::make_shared<const SigningKeys>(**staged);
      return common::Status::ok();
    }
    spdlog::warn("discarding signing key {}: a rotation stopped before its document was stored",
                 key_id((*staged)->public_pem));
  }
  if (common::Status discarded = discard_staged_key(local_.pki_dir); !discarded) return discarded;
  if (common::Status loaded = desired_.load(public_pem); !loaded)
    spdlog::error("{}", loaded.message());
  return common::Status::ok();
}

common::Status NodeState::sign_unsigned_copy() {
  auto keys = signing_keys();
  auto in_force = desired_.current_signed();
  if (!in_force || !in_force->signature.empty() || !keys || keys->private_pem.empty())
    return common::Status::ok();
  auto signature = sign_document(*keys, in_force->text);
  if (!signature) return signature.status();
  auto stored = desired_.submit(common::parse_desired_state(in_force->text), GenerationRule::kNewer,
                                SignedDocument{in_force->text, *signature});
  return stored ? common::Status::ok() : stored.status();
}

common::Expected<SubmitOutcome> NodeState::commit_with_new_key(
    const common::ValidationResult& parsed, GenerationRule rule) {
  auto keys = signing_keys();
  if (!keys || keys->private_pem.empty())
    return common::Status::error(
        "this node holds no private signing key (only storage nodes sign the desired state)");
  auto successor = make_successor(*keys);
  if (!successor) return successor.status();
  // Staged, then the document signed with it, then promoted: a crash or a refused commit before
  // the document was stored leaves the old key in force (signing.hpp, load()).
  if (common::Status staged = stage_successor_key(local_.pki_dir, *successor); !staged)
    return staged.with_context("rotate the signing key");
  auto outcome = commit_signed(parsed, rule, *successor);
  if (!outcome || !outcome->errors.empty()) {
    if (common::Status discarded = discard_staged_key(local_.pki_dir); !discarded)
      spdlog::error("{}", discarded.message());
    return outcome;
  }
  // The document in force is signed with the new key from here on; a failed rename is finished
  // at the next start (the document verifies with the staged key).
  if (common::Status promoted = promote_staged_key(local_.pki_dir); !promoted)
    spdlog::error("rotate the signing key: {}", promoted.message());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    signing_ = std::make_shared<const SigningKeys>(*successor);
    retired_public_pem_ = keys->public_pem;
  }
  const std::string message = "key " + key_id(successor->public_pem) + " succeeds key " +
                              key_id(keys->public_pem) + "; the previous private key is removed";
  spdlog::info("rotated the desired-state signing key: {}", message);
  record_key_event("rotate the signing key to " + key_id(successor->public_pem), message);
  return outcome;
}

common::Status NodeState::trust_successor(const SigningKeys& successor) {
  auto held = signing_keys();
  if (held && key_id(held->public_pem) == key_id(successor.public_pem))
    return common::Status::ok();
  if (common::Status saved = trust_successor_key(local_.pki_dir, successor); !saved)
    return saved.with_context("trust the cluster's new signing key");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    signing_ = std::make_shared<const SigningKeys>(
        SigningKeys{successor.public_pem, "", successor.succession});
    if (held) retired_public_pem_ = held->public_pem;
  }
  // The copy in force keeps a signature only if the new key made it: peers that moved on
  // refuse the old one, so it is stored again with the successor's signature when seen.
  desired_.drop_signature_unless(successor.public_pem);
  const std::string message =
      "now trusting key " + key_id(successor.public_pem) +
      (held ? ", which succeeds key " + key_id(held->public_pem) : std::string()) +
      (lacks_private_signing_key() ? "; fetching its private key from a storage node" : "");
  spdlog::info("the cluster's signing key was rotated: {}", message);
  record_key_event("trust the rotated signing key " + key_id(successor.public_pem), message);
  return common::Status::ok();
}

std::string NodeState::retired_signing_key() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return retired_public_pem_;
}

bool NodeState::lacks_private_signing_key() const {
  auto keys = signing_keys();
  return keys && keys->private_pem.empty() && admits_joins();
}

common::Status NodeState::adopt_private_signing_key(const SigningKeys& keys) {
  auto held = signing_keys();
  if (!held || key_id(held->public_pem) != key_id(keys.public_pem))
    return common::Status::error("the private key offered is for key " +
                                 key_id(keys.public_pem) + ", not for the key this node trusts (" +
                                 (held ? key_id(held->public_pem) : std::string("none")) + ")");
  if (common::Status pair = check_key_pair(keys); !pair) return pair;
  // The succession this node verified when it moved to the key, never one a peer sends: a
  // node that never saw one (it joined after the rotation) signs without.
  const SigningKeys complete{held->public_pem, keys.private_pem, held->succession};
  if (common::Status saved = save_signing_keys(local_.pki_dir, complete); !saved) return saved;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    signing_ = std::make_shared<const SigningKeys>(complete);
  }
  record_key_event("fetch the private signing key " + key_id(complete.public_pem),
                   "this node holds the private key of key " + key_id(complete.public_pem) +
                       " and may sign again");
  return sign_unsigned_copy();
}

void NodeState::record_key_event(const std::string& action, const std::string& message) {
  Event event;
  event.time = std::chrono::system_clock::now();
  event.resource = "signing-key";
  event.action = action;
  event.outcome = "ok";
  event.message = message;
  events_.record(std::move(event));
}

common::Status NodeState::ensure_signing_keys() {
  if (auto keys = signing_keys(); keys && !keys->private_pem.empty()) return common::Status::ok();
  if (signing_keys())
    return common::Status::error(
        "this node holds only the public signing key; it cannot be a "
        "cluster's first node");
  auto keys = generate_signing_keys();
  if (!keys) return keys.status();
  if (common::Status saved = save_signing_keys(local_.pki_dir, *keys); !saved) return saved;
  spdlog::info("generated the cluster's desired-state signing key {} in {}",
               key_id(keys->public_pem), local_.pki_dir);
  std::lock_guard<std::mutex> lock(mutex_);
  signing_ = std::make_shared<const SigningKeys>(*keys);
  return common::Status::ok();
}

common::Status NodeState::replace_signing_keys_for_rejoin(const SigningKeys& keys) {
  auto held = signing_keys();
  if (common::Status replaced = replace_signing_keys(local_.pki_dir, keys); !replaced)
    return replaced.with_context("replace the signing key");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    signing_ = std::make_shared<const SigningKeys>(keys);
    retired_public_pem_.clear();
  }
  // The copy in force was signed by the key given up: signed again or replaced by the join.
  desired_.drop_signature_unless(keys.public_pem);
  record_key_event("replace the signing key with " + key_id(keys.public_pem),
                   "agentctl join --replace-signing-key: this node trusted key " +
                       (held ? key_id(held->public_pem) : std::string("none")));
  return common::Status::ok();
}

common::Status NodeState::adopt_signing_keys(const SigningKeys& keys) {
  if (auto held = signing_keys(); held && key_id(held->public_pem) != key_id(keys.public_pem))
    return common::Status::error("this node trusts signing key " + key_id(held->public_pem) +
                                 "; the answer carries key " + key_id(keys.public_pem));
  if (!keys.private_pem.empty())
    if (common::Status pair = check_key_pair(keys); !pair) return pair;
  if (common::Status saved = save_signing_keys(local_.pki_dir, keys); !saved) return saved;
  std::lock_guard<std::mutex> lock(mutex_);
  // A node that holds the private key keeps it even when an answer carries only the public one.
  if (!signing_ || !keys.private_pem.empty()) signing_ = std::make_shared<const SigningKeys>(keys);
  return common::Status::ok();
}

}  // namespace pydio::agent
