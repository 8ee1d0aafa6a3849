#include "agent/cluster/signed_document.hpp"

#include "agent/cluster/signing.hpp"
#include "common/text.hpp"

namespace pydio::agent {

SignedDocument signed_document_from_reply(const nlohmann::json& body) {
  const auto text = [&](const char* key) -> std::string {
    if (!body.is_object()) return "";
    auto it = body.find(key);
    return it != body.end() && it->is_string() ? it->get<std::string>() : "";
  };
  return SignedDocument{text("document"), text("signature")};
}

DocumentCheck check_signed_document(const SignedDocument& document, const std::string& public_pem,
                                    const common::DesiredState* current,
                                    const std::string& current_text,
                                    const std::string& retired_public_pem) {
  DocumentCheck check;
  if (document.text.size() > kMaxDocumentBytes) {
    check.reason = "document of " + std::to_string(document.text.size()) +
                   " bytes is larger than the limit of " + std::to_string(kMaxDocumentBytes);
    return check;
  }
  auto signer = verify_document_or_successor(public_pem, document.text, document.signature);
  if (!signer) {
    check.reason = signer.status().message();
    if (!retired_public_pem.empty() &&
        succession_claims_predecessor(document.signature, key_id(retired_public_pem))) {
      check.reason = "signed by a key that claims to succeed the key retired at the last "
                     "rotation (key " +
                     key_id(retired_public_pem) + "); this node trusts key " +
                     key_id(public_pem) + " only";
    } else if (!retired_public_pem.empty() && current != nullptr &&
               verify_document(retired_public_pem, document.text, document.signature)) {
      common::ValidationResult old = common::parse_desired_state(document.text);
      if (old.state && old.state->generation <= current->generation) {
        check.verdict = DocumentVerdict::kOlder;
        check.reason = "signed with the key retired at the last rotation (key " +
                       key_id(retired_public_pem) + "); generation " +
                       std::to_string(old.state->generation) + " is not newer than the one in force";
      } else {
        check.reason = "signed with the key retired at the last rotation (key " +
                       key_id(retired_public_pem) + "); this node trusts key " +
                       key_id(public_pem) + " only";
      }
    }
    return check;
  }
  check.successor = *signer;
  check.parsed = common::parse_desired_state(document.text);
  if (!check.parsed.state) {
    check.reason = "signed but invalid: " + common::join(check.parsed.errors, "; ");
    return check;
  }
  const common::DesiredState& next = *check.parsed.state;
  if (current == nullptr) {
    check.verdict = DocumentVerdict::kAdopt;
    return check;
  }
  if (next.cluster_name != current->cluster_name) {
    check.reason = "the document is for cluster " + next.cluster_name +
                   "; this node follows cluster " + current->cluster_name;
    return check;
  }
  const std::string in_force = std::to_string(current->generation);
  if (next.generation > current->generation) {
    check.verdict = DocumentVerdict::kAdopt;
  } else if (next.generation < current->generation) {
    check.verdict = DocumentVerdict::kOlder;
    check.reason = "generation " + std::to_string(next.generation) +
                   " is older than the generation in force (" + in_force + ")";
  } else if (document.text == current_text ||
             common::serialize_desired_state(next) == common::serialize_desired_state(*current)) {
    check.verdict = DocumentVerdict::kInForce;
  } else {
    check.reason = "generation " + in_force +
                   " is signed with other content than the document in force (generation not "
                   "increased)";
  }
  return check;
}

}  // namespace pydio::agent
