// Fuzz target: the gate every desired-state document passes before an agent adopts it
// (agent/cluster/signed_document.hpp). The first input byte picks how the rest is used:
//   0: a JSON reply body {"document","signature"} from a peer or a join answer (forged);
//   1: document text, then a line break, then a signature (forged);
//   2: document text signed with the cluster's key (as the leader signs), so the fuzzer
//      reaches validation, cluster name and generation behind a good signature;
//   3: document text signed with the key's successor (agentctl rotate signing-key), carrying
//      its succession, so the fuzzer reaches the rotation path.
// The document in force is docs/examples/tutorial.json. Beyond "no crash": nothing is adopted
// or taken as in force unless its signature verifies with the cluster's key or with the
// successor its signature names; a node that trusts the successor (the old key retired) never
// takes what the old key signs; adopted means valid, same cluster and a higher generation.

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "agent/cluster/signed_document.hpp"
#include "agent/cluster/signing.hpp"
#include "test/fuzz/fuzz_check.hpp"

namespace pa = pydio::agent;
namespace pc = pydio::common;

namespace {

struct Fixture {
  pa::SigningKeys keys;
  pa::SigningKeys successor;
  std::string current_text;
  std::shared_ptr<const pc::DesiredState> current;
};

const Fixture& fixture() {
  static const Fixture* fixture = [] {
    auto* made = new Fixture;
    auto keys = pa::generate_signing_keys();
    PYDIO_FUZZ_CHECK(keys.has_value(), "cannot generate signing keys");
    made->keys = *keys;
    auto successor = pa::make_successor(*keys);
    PYDIO_FUZZ_CHECK(successor.has_value(), "cannot make a successor key");
    made->successor = *successor;
    std::ifstream in(std::string(PYDIO_FUZZ_EXAMPLES_DIR) + "/tutorial.json");
    std::ostringstream text;
    text << in.rdbuf();
    made->current_text = text.str();
    made->current = pc::parse_desired_state(made->current_text).state;
    PYDIO_FUZZ_CHECK(made->current != nullptr, "tutorial.json does not parse");
    return made;
  }();
  return *fixture;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Fixture& f = fixture();
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  pa::SignedDocument document;
  switch (data[0] % 4) {
    case 0: {
      const auto body = nlohmann::json::parse(rest, nullptr, /*allow_exceptions=*/false);
      document = pa::signed_document_from_reply(body);
      break;
    }
    case 1: {
      const auto newline = rest.find('\n');
      document.text = rest.substr(0, newline);
      if (newline != std::string::npos) document.signature = rest.substr(newline + 1);
      break;
    }
    case 2: {
      auto signature = pa::sign_document(f.keys, rest);
      PYDIO_FUZZ_CHECK(signature.has_value(), "cannot sign");
      document = {rest, *signature};
      break;
    }
    default: {
      auto signature = pa::sign_document(f.successor, rest);
      PYDIO_FUZZ_CHECK(signature.has_value(), "cannot sign with the successor");
      document = {rest, *signature};
    }
  }
  // With and without a document in force.
  for (const pc::DesiredState* current :
       {f.current.get(), static_cast<const pc::DesiredState*>(nullptr)}) {
    const std::string& current_text = current ? f.current_text : std::string();
    const pa::DocumentCheck check =
        pa::check_signed_document(document, f.keys.public_pem, current, current_text);
    if (check.verdict == pa::DocumentVerdict::kRefused) {
      PYDIO_FUZZ_CHECK(!check.reason.empty(), "refused without a reason");
      continue;
    }
    const bool by_key = static_cast<bool>(
        pa::verify_document(f.keys.public_pem, document.text, document.signature));
    const bool by_successor =
        check.successor &&
        pa::key_id(check.successor->public_pem) == pa::key_id(f.successor.public_pem) &&
        pa::verify_document(f.successor.public_pem, document.text, document.signature);
    PYDIO_FUZZ_CHECK(by_key || by_successor,
                     "not refused although the signature does not verify");
    PYDIO_FUZZ_CHECK(check.parsed.state != nullptr, "not refused although invalid");
    if (check.verdict == pa::DocumentVerdict::kAdopt && current) {
      PYDIO_FUZZ_CHECK(check.parsed.state->cluster_name == current->cluster_name, "other cluster");
      PYDIO_FUZZ_CHECK(check.parsed.state->generation > current->generation, "not newer");
    }
  }
  // A node that moved to the successor: what the retired key signs is never adopted.
  if (f.current) {
    const pa::DocumentCheck moved = pa::check_signed_document(
        document, f.successor.public_pem, f.current.get(), f.current_text, f.keys.public_pem);
    if (moved.verdict == pa::DocumentVerdict::kAdopt ||
        moved.verdict == pa::DocumentVerdict::kInForce)
      PYDIO_FUZZ_CHECK(
          pa::verify_document(f.successor.public_pem, document.text, document.signature),
          "a node on the new key took a document its key did not sign");
  }
  return 0;
}
