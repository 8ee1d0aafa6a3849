#pragma once
// Joining words into one line of a message.

#include <string>
#include <vector>

namespace pydio::common {

// `items` with `separator` between them; the separator goes only after text already written
// (an empty first item adds none).
inline std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace pydio::common
