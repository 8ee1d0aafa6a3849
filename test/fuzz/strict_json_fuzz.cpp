// Fuzz target: strict JSON reading (duplicate keys, malformed text, the ObjectReader getters),
// which every operator- or peer-supplied document goes through first.

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/strict_json.hpp"
#include "test/fuzz/fuzz_check.hpp"

namespace pc = pydio::common;

namespace {

// Reads every member with each getter once, as the document readers do with their fields.
void read_members(const nlohmann::json& value, const std::string& path, int depth) {
  pc::ErrorLines errors;
  pc::ObjectReader reader(value, path, errors);
  if (!reader.is_object() || depth > 8) return;
  int index = 0;
  for (const auto& item : value.items()) {
    const std::string& key = item.key();
    switch (index++ % 5) {
      case 0:
        (void)reader.string(key, pc::Presence::kRequired);
        break;
      case 1:
        (void)reader.integer(key, pc::Presence::kOptional);
        break;
      case 2:
        (void)reader.boolean(key, pc::Presence::kOptional);
        break;
      case 3:
        (void)reader.array(key, pc::Presence::kOptional);
        break;
      default:
        if (const auto* child = reader.object(key, pc::Presence::kOptional))
          read_members(*child, reader.path_of(key), depth + 1);
    }
  }
  (void)reader.string("missing", pc::Presence::kRequired);
  reader.finish(" (secret)");
  // The required "missing" member is never there (unless the document has it).
  PYDIO_FUZZ_CHECK(!errors.empty() || value.contains("missing"), "missing member not reported");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (auto echo : {pc::EchoInput::kYes, pc::EchoInput::kNo}) {
    pc::ErrorLines errors;
    auto parsed = pc::parse_strict_json(text, errors, echo);
    PYDIO_FUZZ_CHECK(parsed.has_value() == errors.empty(), "value and errors disagree");
    if (!parsed) continue;
    (void)pc::json_type_name(*parsed);
    read_members(*parsed, "", 0);
    if (parsed->is_array()) {
      for (std::size_t i = 0; i < parsed->size() && i < 64; ++i)
        (void)pc::read_string_element((*parsed)[i], pc::json_element_path("a", i), errors);
    }
  }
  return 0;
}
