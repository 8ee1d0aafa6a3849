#include "agent/health/php_probe.hpp"

#include <nlohmann/json.hpp>

namespace pydio::agent {

namespace {

constexpr const char* kProbeTag = "pydio-agent/1";
constexpr std::size_t kQuoteLength = 80;

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > kQuoteLength) line = line.substr(0, kQuoteLength) + "...";
  for (char& c : line)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return line;
}

PhpProbeResult broken(std::string problem) {
  PhpProbeResult result;
  result.state = PhpProbeState::kBroken;
  result.problem = std::move(problem);
  return result;
}

bool is_pending_volume(const std::string& text) {
  return text.rfind("no ", 0) == 0 && text.size() > 4 &&
         text.compare(text.size() - 4, 4, " yet") == 0;
}

}  // namespace

PhpProbeResult interpret_php_probe(int http_status, const std::string& body) {
  if (http_status == 0) return broken(body);
  if (http_status == 429) {
    return broken(
        "a previous probe is still running (a volume may hang; the agent sends no second one)");
  }
  // Without PHP, Apache hands the file out as it is.
  if (body.rfind("<?php", 0) == 0) {
    return broken("probe.php was returned as text, not run: Apache's PHP module is not loaded");
  }
  nlohmann::json document = nlohmann::json::parse(body, nullptr, false);
  if (document.is_discarded() || !document.is_object() || !document.contains("probe") ||
      document["probe"] != kProbeTag) {
    return broken("probe.php answered HTTP " + std::to_string(http_status) +
                  ", not the probe's JSON: " + first_line(body));
  }
  try {
    if (document.contains("error")) {
      return broken("probe.php (HTTP " + std::to_string(http_status) +
                    "): " + document["error"].get<std::string>());
    }
    if (http_status != 200) return broken("probe.php answered HTTP " + std::to_string(http_status));
    PhpProbeResult result;
    result.state = PhpProbeState::kOk;
    result.version = document.at("php").get<std::string>();
    result.sapi = document.value("sapi", "");
    result.user = document.value("user", "");
    for (const auto& extension : document.at("extensions"))
      result.extensions.push_back(extension.get<std::string>());
    for (const auto& [key, value] : document.at("ini").items())
      result.ini[key] = value.get<std::string>();
    for (const auto& [mountpoint, outcome] : document.at("volumes").items()) {
      const std::string text = outcome.get<std::string>();
      if (text == "ok") continue;
      if (is_pending_volume(text)) {
        result.notes.push_back(text);
        continue;
      }
      result.state = PhpProbeState::kBroken;
      if (!result.problem.empty()) result.problem += "; ";
      result.problem += "web user " + (result.user.empty() ? std::string() : result.user + " ") +
                        "cannot use " + mountpoint + ": " + text;
    }
    return result;
  } catch (const nlohmann::json::exception& error) {
    return broken(std::string("probe.php answer is not in the probe's format: ") + error.what());
  }
}

}  // namespace pydio::agent
