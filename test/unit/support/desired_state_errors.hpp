#pragma once
// The errors parse_desired_state gives for a document, and a look for one of them, shared by the
// desired-state unit tests.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/desired_state.hpp"

namespace pydio::test {

inline std::vector<std::string> errors_of(const nlohmann::json& document) {
  return common::parse_desired_state(document.dump()).errors;
}

// True when one error line starts with `start`, e.g. "loadBalancer.bind: ".
inline bool has_line_starting(const std::vector<std::string>& errors, const std::string& start) {
  for (const auto& line : errors)
    if (line.rfind(start, 0) == 0) return true;
  return false;
}

}  // namespace pydio::test
