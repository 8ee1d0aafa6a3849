// Fuzz target: the desired-state parser and its validation (a document comes from operators,
// peers and the shared volume). Beyond "no crash": a document the parser accepts passes
// validate_desired_state() unchanged, and its serialization parses back to the same text.

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/desired_state.hpp"
#include "test/fuzz/fuzz_check.hpp"

namespace pc = pydio::common;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  pc::ValidationResult parsed = pc::parse_desired_state(text);
  PYDIO_FUZZ_CHECK(parsed.state == nullptr || parsed.errors.empty(), "state with errors");
  PYDIO_FUZZ_CHECK(parsed.state != nullptr || !parsed.errors.empty(), "no state, no error");
  if (!parsed.state) return 0;

  const auto revalidated = pc::validate_desired_state(*parsed.state);
  PYDIO_FUZZ_CHECK(revalidated.empty(), "accepted document fails validation: " + revalidated[0]);

  const std::string serialized = pc::serialize_desired_state(*parsed.state);
  pc::ValidationResult again = pc::parse_desired_state(serialized);
  PYDIO_FUZZ_CHECK(again.state != nullptr,
                   "serialized document refused: " + again.errors.front() + "\n" + serialized);
  PYDIO_FUZZ_CHECK(pc::serialize_desired_state(*again.state) == serialized,
                   "serialization does not round-trip");
  return 0;
}
