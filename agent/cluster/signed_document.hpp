#pragma once
// The one gate every desired-state document passes before an agent adopts it, wherever it came
// from (pydio-config, a peer's answer, a join answer): its size, its signature over exactly these
// bytes by the cluster's key, then validation, then the cluster name and the generation against
// the document in force. Nothing is parsed for use before the signature checked out.
// Thread-safe: pure.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent/cluster/signing.hpp"
#include "common/desired_state.hpp"

namespace pydio::agent {

// A larger document is refused unread (the published file) or unparsed (a peer's answer).
inline constexpr std::size_t kMaxDocumentBytes = 1024 * 1024;

// A document's exact text and its detached signature (signing.hpp); signature "" = unsigned.
struct SignedDocument {
  std::string text;
  std::string signature;
};

enum class DocumentVerdict {
  kAdopt,    // signed, valid, for this cluster, newer than the one in force (or none is)
  kInForce,  // the document in force, byte for byte: nothing to do
  kOlder,    // signed and valid but older than the one in force: a peer or the published copy
             // lagging behind (normal for a moment after each change); not adopted, no alarm
  kRefused,  // anything else: `reason` says why; the document in force stays
};

struct DocumentCheck {
  DocumentVerdict verdict = DocumentVerdict::kRefused;
  common::ValidationResult parsed;  // the parsed document unless the signature failed
  std::string reason;               // kRefused and kOlder: why it is not adopted
  // Set when the successor of the trusted key signed (signing.hpp, rotation): a node that adopts
  // the document (or finds it in force) trusts that key from then on.
  std::optional<SigningKeys> successor;
};

// {"document": "...", "signature": "..."} of a peer's or a join answer; a member that is missing
// or not a string gives "" (a document without a signature is then refused as unsigned).
SignedDocument signed_document_from_reply(const nlohmann::json& body);

// `public_pem`: the key this node trusts; a document its successor signed passes too.
// `current_text`: the exact text of the document in force ("" when none or unknown).
// `retired_public_pem`: the key this node trusted before a rotation ("" when none): a document
// it signed that is not newer than the one in force is kOlder (a copy still lagging behind
// the rotation), a newer one is refused.
DocumentCheck check_signed_document(const SignedDocument& document, const std::string& public_pem,
                                    const common::DesiredState* current,
                                    const std::string& current_text,
                                    const std::string& retired_public_pem = "");

}  // namespace pydio::agent
