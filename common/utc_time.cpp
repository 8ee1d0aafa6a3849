#include "common/utc_time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace pydio::common {

std::int64_t utc_now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_utc(std::int64_t seconds) {
  const std::time_t value = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&value, &utc);
  char buffer[80];  // room for any int field, so the compiler sees no truncation
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return buffer;
}

std::optional<std::int64_t> parse_utc(const std::string& text) {
  static constexpr char kShape[] = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != sizeof kShape - 1) return std::nullopt;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  const auto number = [&](std::size_t at, std::size_t length) {
    return std::stoi(text.substr(at, length));
  };
  std::tm utc{};
  utc.tm_year = number(0, 4) - 1900;
  utc.tm_mon = number(5, 2) - 1;
  utc.tm_mday = number(8, 2);
  utc.tm_hour = number(11, 2);
  utc.tm_min = number(14, 2);
  utc.tm_sec = number(17, 2);
  if (utc.tm_year < 70 || utc.tm_mon > 11 || utc.tm_mday < 1 || utc.tm_hour > 23 ||
      utc.tm_min > 59 || utc.tm_sec > 59)
    return std::nullopt;
  const std::int64_t seconds = timegm(&utc);
  // timegm normalizes 2026-02-30 into March: only a text that formats back unchanged is real.
  if (seconds < kMinUtcSeconds || seconds > kMaxUtcSeconds || format_utc(seconds) != text)
    return std::nullopt;
  return seconds;
}

}  // namespace pydio::common
