#include "agent/resources/release_check.hpp"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/resources/release_stage.hpp"
#include "common/printable_text.hpp"

namespace pydio::agent {

namespace {

constexpr std::chrono::seconds kRequestTimeout{10};
constexpr std::chrono::milliseconds kRetryPause{500};
constexpr std::size_t kMaxLogRead = 256 * 1024;

std::string without_tags(const std::string& line) {
  std::string out;
  bool in_tag = false;
  for (const char c : line) {
    if (c == '<') in_tag = true;
    if (!in_tag) out += c;
    if (c == '>') in_tag = false;
  }
  return out;
}

std::string trimmed(const std::string& text) {
  const std::size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

long long file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : 0;
}

// What `path` gained after `offset` (at most kMaxLogRead bytes of it).
std::string read_from(const std::string& path, long long offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(offset);
  std::string text(kMaxLogRead, '\0');
  in.read(&text[0], static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

}  // namespace

std::string first_php_error_line(const std::string& text) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = without_tags(text.substr(start, end - start));
    start = end + 1;
    for (const char* kind : {"Parse error", "Fatal error"}) {
      const std::size_t at = line.find(kind);
      if (at == std::string::npos) continue;
      return "PHP " + trimmed(line.substr(at));
    }
  }
  return "";
}

std::string apache_log_dir(const std::string& apache_config_dir) {
  const std::string prefix = "/etc/apache2-";
  std::string dir = apache_config_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir.rfind(prefix, 0) == 0 && dir.size() > prefix.size())
    return "/var/log/apache2-" + dir.substr(prefix.size());
  return "/var/log/apache2";
}

ReleaseCheckVerdict judge_release_answer(const HttpAnswer& answer, const std::string& log_added,
                                         const std::string& alias, const std::string& version) {
  const std::string page = "GET " + alias + "/";
  if (answer.status == 0) return {false, false, page + ": " + answer.body};
  if (std::string line = first_php_error_line(answer.body); !line.empty())
    return {false, true, line};
  if (answer.status >= 500) {
    std::string line = first_php_error_line(log_added);
    if (line.empty()) line = page + ": HTTP " + std::to_string(answer.status);
    return {false, true, line};
  }
  // Apache refusing the link (FollowSymLinks off) or not finding the tree: not served.
  if (answer.status == 403 || answer.status == 404)
    return {false, true,
            page + ": HTTP " + std::to_string(answer.status) + " (release not served)"};
  const nlohmann::json json = nlohmann::json::parse(answer.body, nullptr, false);
  if (json.is_object() && json.contains("version") && json["version"].is_string()) {
    const std::string served = release_version_of(json["version"].get<std::string>());
    if (served != version)
      return {false, false, page + " serves version " + served + ", not " + version};
  }
  return {true, false, ""};
}

ReleaseCheckVerdict judge_probed_release(const HttpAnswer& answer, const std::string& probe_target,
                                         const std::string& version) {
  const std::string asked = "GET " + probe_target;
  if (answer.status == 0) return {false, false, asked + ": " + answer.body};
  if (answer.status != 200)
    return {false, false, asked + ": HTTP " + std::to_string(answer.status)};
  const nlohmann::json json = nlohmann::json::parse(answer.body, nullptr, false);
  if (!json.is_object() || !json.contains("current"))
    return {false, false,
            asked + ": no \"current\" in its answer (the probe page is not updated yet)"};
  if (!json["current"].is_string())
    return {false, false, asked + ": PHP cannot read conf/VERSION under current"};
  const std::string served = release_version_of(json["current"].get<std::string>());
  if (served != version)
    return {false, false, "PHP reads version " + served + " under current, not " + version};
  return {true, false, ""};
}

std::string check_release(const ReleaseCheckRequest& request) {
  std::string alias = request.alias;
  while (!alias.empty() && alias.back() == '/') alias.pop_back();
  const auto deadline = std::chrono::steady_clock::now() + request.deadline;
  ReleaseCheckVerdict verdict;
  for (;;) {
    const long long before = file_size(request.error_log);
    const HttpAnswer answer = local_http_get(alias + "/", request.host, kRequestTimeout);
    std::string added;
    if (answer.status >= 500) {
      // PHP writes its error line as the request ends; give the log a moment to have it.
      std::this_thread::sleep_for(kRetryPause);
      added = read_from(request.error_log, before);
    }
    verdict = judge_release_answer(answer, added, alias, request.version);
    if (verdict.ok) {
      const HttpAnswer probed = local_http_get(request.probe_target, request.host, kRequestTimeout);
      verdict = judge_probed_release(probed, request.probe_target, request.version);
      if (verdict.ok) return "";
    }
    // The reason comes from a page and a log the web user can write: it goes into the node's
    // failure file, its report and the desired state (web.rollout.stopped) only as valid UTF-8.
    if (verdict.final || std::chrono::steady_clock::now() >= deadline)
      return common::printable_line(verdict.reason, 900);
    std::this_thread::sleep_for(kRetryPause);
  }
}

}  // namespace pydio::agent
