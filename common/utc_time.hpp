#pragma once
// Whole seconds since the epoch as the one UTC text form the agent writes and reads in documents:
// "2026-01-31T12:00:00Z" (RFC 3339, no fraction, no offset other than Z).

#include <cstdint>
#include <optional>
#include <string>

namespace pydio::common {

// The earliest and latest instants the text form holds (years 1970 to 9999).
inline constexpr std::int64_t kMinUtcSeconds = 0;
inline constexpr std::int64_t kMaxUtcSeconds = 253402300799;  // 9999-12-31T23:59:59Z

// REQUIRES: kMinUtcSeconds <= seconds <= kMaxUtcSeconds.
std::string format_utc(std::int64_t seconds);
// Now, in whole seconds since the epoch (what token expiries are compared with).
std::int64_t utc_now_seconds();
// nullopt unless `text` is exactly "YYYY-MM-DDTHH:MM:SSZ" naming a real instant (no Feb 30,
// no leap second) within the bounds above.
std::optional<std::int64_t> parse_utc(const std::string& text);

}  // namespace pydio::common
