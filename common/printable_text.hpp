#pragma once
// Text from the host (a PHP error line, an Apache log) made safe for one line of a JSON
// document: nlohmann::json's dump() throws on bytes that are not UTF-8, and a line that ends up
// in the desired state or a report must never be able to stop the agent writing either.

#include <cstddef>
#include <string>

namespace pydio::common {

// `text` with every byte that is not part of a valid UTF-8 sequence replaced by '?', control
// characters by ' ', and, when longer than `max_bytes` (>= 4), cut at a character boundary to
// at most `max_bytes` bytes ending in "...".
std::string printable_line(const std::string& text, std::size_t max_bytes);

}  // namespace pydio::common
