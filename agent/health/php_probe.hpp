#pragma once
// What the PHP probe page (agent/resources/php_settings.hpp, php_probe_page) answered, and the
// pure interpretation of its HTTP answer. The health monitor asks the page; the php resource
// reads the last result through HealthView (extensions, ini values, version).

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace pydio::agent {

enum class PhpProbeState {
  kUnknown,  // not asked yet (or not a compute node)
  kOk,       // PHP ran the page and the web user created and removed a file on every volume
  kBroken,   // answered, but PHP did not run it or something failed (problem says what)
  kHung,     // no answer within the bound: the request stays open, no second one is sent
};

struct PhpProbeResult {
  PhpProbeState state = PhpProbeState::kUnknown;
  std::string problem;                     // kBroken/kHung: the health reason after "php: "
  std::string version;                     // PHP_VERSION, e.g. "8.2.36"
  std::string sapi;                        // "apache2handler"
  std::string user;                        // the web user PHP runs as
  std::vector<std::string> extensions;     // lower-cased get_loaded_extensions()
  std::map<std::string, std::string> ini;  // ini_get() of the drop-in's settings
  std::vector<std::string> notes;          // e.g. "no /mnt/pydio-data/.web-probe yet"
  std::chrono::steady_clock::time_point finished_at{};  // when the answer came (steady clock)
};

// Pure. `http_status` 0 means no HTTP answer at all (`body` then says why).
PhpProbeResult interpret_php_probe(int http_status, const std::string& body);

}  // namespace pydio::agent
