#include "common/host_pattern.hpp"

#include <cctype>
#include <vector>

namespace pydio::common {

bool host_pattern_matches(const std::string& pattern, const std::string& text) {
  // matched[j]: the pattern read so far matches text[0, j). Classic LIKE by dynamic
  // programming: O(pattern x text), no backtracking blow-up on "%%%%...".
  std::vector<bool> matched(text.size() + 1, false);
  matched[0] = true;
  for (char p : pattern) {
    std::vector<bool> next(text.size() + 1, false);
    if (p == '%') {
      bool any = false;
      for (std::size_t j = 0; j <= text.size(); ++j) {
        any = any || matched[j];
        next[j] = any;
      }
    } else {
      const int want = std::tolower(static_cast<unsigned char>(p));
      for (std::size_t j = 1; j <= text.size(); ++j) {
        const int got = std::tolower(static_cast<unsigned char>(text[j - 1]));
        next[j] = matched[j - 1] && (p == '_' || got == want);
      }
    }
    matched = std::move(next);
  }
  return matched[text.size()];
}

namespace {

// Every "shape" of a dotted quad: each of the four octets 1, 2 or 3 digits long (3^4 = 81
// shapes), each shape written twice, once with only the digit 1 and once with only the
// digit 2 ("1.11.111.1", "2.22.222.2": both valid addresses, 222 <= 255).
std::vector<std::string> probe_addresses() {
  std::vector<std::string> probes = {"0.0.0.0", "255.255.255.255", "198.18.0.1", "10.0.0.1"};
  for (int shape = 0; shape < 81; ++shape) {
    for (char digit : {'1', '2'}) {
      std::string address;
      int rest = shape;
      for (int octet = 0; octet < 4; ++octet) {
        if (octet > 0) address += '.';
        address += std::string(static_cast<std::size_t>(rest % 3 + 1), digit);
        rest /= 3;
      }
      probes.push_back(address);
    }
  }
  return probes;
}

}  // namespace

// Why a fixed probe set decides "matches every IPv4 address" exactly (not a blacklist):
// - Never too lenient: every probe is an address, so a pattern that misses one probe does not
//   match every address. Whatever the pattern's spelling ("%%.%", "_%", "%_._%_"), one that
//   admits every address matches every probe and is refused.
// - Never too strict: a pattern holding a literal digit d misses the probe of some shape made
//   only of another digit (1 or 2), and one holding a letter or "-" misses every probe. So a
//   pattern matching every probe consists of ".", "_" and "%" only; such a pattern cannot tell
//   digits apart, so whether it matches an address depends only on the address's shape (the
//   lengths of its four octets). Every dotted quad has one of the 81 probed shapes, so the
//   pattern matches every address.
// The four extra probes only make the set easier to trust by eye.
bool matches_every_ipv4(const std::string& pattern) {
  static const std::vector<std::string> kProbes = probe_addresses();
  for (const auto& probe : kProbes) {
    if (!host_pattern_matches(pattern, probe)) return false;
  }
  return true;
}

}  // namespace pydio::common
