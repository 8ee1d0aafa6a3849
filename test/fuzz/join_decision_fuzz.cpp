// Fuzz target: the join decision. The input's first byte picks the desired state the peer has
// (none, or one of the example documents under docs/examples), the rest is the JSON body a
// joining node sends (POST /v1/peer/join). Beyond "no crash": an admitted new node yields a
// document that passes full validation, has generation + 1, keeps every existing node and
// lists the joiner; a member joining again changes nothing.

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "agent/cluster/join_request.hpp"
#include "test/fuzz/fuzz_check.hpp"

namespace pa = pydio::agent;
namespace pc = pydio::common;

namespace {

using StatePtr = std::shared_ptr<const pc::DesiredState>;

StatePtr load_example(const std::string& name) {
  const std::string path = std::string(PYDIO_FUZZ_EXAMPLES_DIR) + "/" + name;
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  pc::ValidationResult parsed = pc::parse_desired_state(text.str());
  PYDIO_FUZZ_CHECK(parsed.state != nullptr, "example " + path + " does not parse");
  return parsed.state;
}

const std::vector<StatePtr>& current_states() {
  static const std::vector<StatePtr> states = {nullptr, load_example("single-node.json"),
                                               load_example("tutorial.json"),
                                               load_example("ec2-cluster.json")};
  return states;
}

void check_admitted(const pc::DesiredState& current, const pa::JoinRequest& request,
                    const pa::JoinDecision& decision) {
  PYDIO_FUZZ_CHECK(decision.next != nullptr, "decision without a document");
  const pc::DesiredState& next = *decision.next;
  if (decision.already_member) {
    PYDIO_FUZZ_CHECK(&next == &current, "a member's join changed the document");
    return;
  }
  const auto errors = pc::validate_desired_state(next);
  PYDIO_FUZZ_CHECK(errors.empty(), "admitted document is invalid: " + errors.front());
  PYDIO_FUZZ_CHECK(next.generation == current.generation + 1, "generation is not current + 1");
  PYDIO_FUZZ_CHECK(next.nodes.size() == current.nodes.size() + 1, "node count not + 1");
  for (const auto& node : current.nodes)
    PYDIO_FUZZ_CHECK(next.find_node(node.name) != nullptr, "node " + node.name + " lost");
  const pc::NodeSpec* joined = next.find_node(request.name);
  PYDIO_FUZZ_CHECK(joined && joined->address == request.address, "joiner not listed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const StatePtr& current = current_states()[data[0] % current_states().size()];
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const nlohmann::json body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return 0;  // the peer API answers 400 itself

  auto request = pa::parse_join_request(body);
  if (!request) return 0;
  (void)pa::join_request_json(*request);
  auto decided = pa::decide_join(current, *request);
  if (const auto* refusal = std::get_if<pa::JoinRefusal>(&decided)) {
    PYDIO_FUZZ_CHECK(!refusal->message.empty(), "refusal without a reason");
    PYDIO_FUZZ_CHECK(refusal->kind != pa::JoinConflict::kNone, "refusal of kind none");
    return 0;
  }
  PYDIO_FUZZ_CHECK(current != nullptr, "admitted without a desired state");
  check_admitted(*current, *request, std::get<pa::JoinDecision>(decided));
  return 0;
}
