// Fuzz target: the parsers of `gluster --xml` answers. The CLI's output is trusted no more
// than any other input: a truncated or odd answer must give an error, never a crash.

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/gluster_xml.hpp"
#include "test/fuzz/fuzz_check.hpp"

namespace pc = pydio::common;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string xml(reinterpret_cast<const char*>(data), size);
  if (auto envelope = pc::parse_gluster_envelope(xml)) {
    PYDIO_FUZZ_CHECK(envelope->ok() || !envelope->failure_message().empty(),
                     "failure without a message");
  }
  if (auto peers = pc::parse_pool_list(xml)) {
    for (const auto& peer : *peers) (void)peer.known_as(peer.hostname);
  }
  (void)pc::parse_heal_summary(xml);
  if (auto volumes = pc::parse_volume_info(xml)) {
    for (const auto& volume : *volumes) {
      (void)volume.brick_endpoints();
      (void)pc::gluster_volume_state_name(volume.state);
    }
  }
  (void)pc::parse_volume_info_of(xml, "pydio-data");
  if (auto status = pc::parse_volume_status(xml)) {
    for (const auto& brick : status->bricks) (void)brick.endpoint();
  }
  return 0;
}
