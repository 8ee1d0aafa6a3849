#pragma once
// The desired state in force on this node. A submitted document becomes the desired state only
// when it is valid, not older than the one in force and changes no setting chosen at init
// (common::check_transition); otherwise the previous one stays in
// force and the reason is kept for status and health. The last valid document is persisted in
// the state dir, so after a reboot the node can act (remount pydio-config) before it can read
// the shared copy. The signature (cluster/signing.hpp) is persisted next to it
// (desired-state.json.sig) and verified again at load, so the node serves its copy signed.
// Thread-safe: guarded by mutex_.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/cluster/signed_document.hpp"
#include "common/desired_state.hpp"
#include "common/status.hpp"

namespace pydio::agent {

struct SubmitOutcome {
  std::vector<std::string> errors;  // empty: accepted
  bool changed = false;             // accepted and different from the one in force
};

// Which generations may replace the one in force.
enum class GenerationRule {
  kNewer,  // any higher generation: following what the leader published, or a first init
  kNext,   // exactly current + 1: a change, compare-and-set against the generation it was
           // based on, so of two changes based on the same generation only one wins
};

// Pure: may `next` replace `current`? Errors name the generation field. The same generation
// with the same content is always accepted (a repeated submission changes nothing).
std::vector<std::string> check_generation(const common::DesiredState* current,
                                          const common::DesiredState& next,
                                          GenerationRule rule = GenerationRule::kNewer);

class DesiredStore {
 public:
  explicit DesiredStore(std::string file_path);  // e.g. /var/lib/pydio-agent/desired-state.json

  // Loads the persisted document, if any. A missing file is not an error (a new node). The
  // persisted signature is kept only when it verifies with `public_pem`; else the copy is still
  // in force (a root-only file this node wrote) but unsigned, and the node serves no signature
  // for it until it adopts or signs a newer one.
  common::Status load(const std::string& public_pem = "");
  // Validates and, when acceptable, persists (atomic replace) and swaps in `document`.
  // An Expected error means the file could not be written; the old state then stays in force.
  common::Expected<SubmitOutcome> submit(const std::string& document,
                                         GenerationRule rule = GenerationRule::kNewer);
  // The same for a document already parsed where it entered the agent (parsed once), with the
  // exact text and signature it came with (text "": the serialized document, unsigned).
  common::Expected<SubmitOutcome> submit(const common::ValidationResult& parsed,
                                         GenerationRule rule = GenerationRule::kNewer,
                                         const SignedDocument& signed_text = {});
  // Forgets the signature of the document in force unless it verifies with `public_pem` (a
  // rotation whose commit failed): the node then signs its copy again with the new key.
  void drop_signature_unless(const std::string& public_pem);
  // Records why a document was refused before it reached the store; the state in force stays.
  void record_refusal(const std::string& why);

  std::shared_ptr<const common::DesiredState> current() const;
  // The exact text and signature of the document in force; null when none is.
  std::shared_ptr<const SignedDocument> current_signed() const;
  // Both at once (one lock): the text always belongs to the state.
  std::pair<std::shared_ptr<const common::DesiredState>, std::shared_ptr<const SignedDocument>>
  snapshot() const;
  // Why the last submitted or loaded document was rejected; "" when it was accepted.
  std::string last_error() const;

 private:
  const std::string file_path_;
  mutable std::mutex mutex_;
  std::shared_ptr<const common::DesiredState> current_;  // guarded by mutex_
  std::shared_ptr<const SignedDocument> current_signed_;  // guarded by mutex_; set with current_
  std::string last_error_;                               // guarded by mutex_
};

}  // namespace pydio::agent
