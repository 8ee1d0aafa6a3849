#include "agent/resources/release_failure.hpp"

#include <nlohmann/json.hpp>

#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {
std::string path_in(const std::string& state_dir) { return state_dir + "/" + kReleaseFailedFile; }
}  // namespace

std::string release_failure_text(const ReleaseFailure& failure) {
  return nlohmann::json{{"release", failure.release},
                        {"version", failure.version},
                        {"reason", failure.reason},
                        {"switchedBackTo", failure.switched_back_to}}
             .dump() +
         "\n";
}

std::optional<ReleaseFailure> parse_release_failure(const std::string& text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  ReleaseFailure failure;
  for (auto [key, field] : {std::pair<const char*, std::string*>{"release", &failure.release},
                            {"version", &failure.version},
                            {"reason", &failure.reason},
                            {"switchedBackTo", &failure.switched_back_to}}) {
    if (!json.contains(key) || !json[key].is_string()) return std::nullopt;
    *field = json[key].get<std::string>();
  }
  return failure;
}

std::string release_failure_message(const ReleaseFailure& failure) {
  return "release " + failure.version + " failed its check on this node: " + failure.reason +
         (failure.switched_back_to.empty() ? "; no release to switch back to"
                                           : "; switched back to " + failure.switched_back_to);
}

Expected<std::optional<ReleaseFailure>> load_release_failure(const std::string& state_dir) {
  auto text = common::read_optional_file(path_in(state_dir));
  if (!text) return text.status();
  if (!*text) return std::optional<ReleaseFailure>();
  auto failure = parse_release_failure(**text);
  if (!failure)
    return Status::error(path_in(state_dir) +
                         ": not a release failure record; remove it to "
                         "let the node try the release again");
  return failure;
}

Status save_release_failure(const std::string& state_dir, const ReleaseFailure& failure) {
  return common::write_file_atomically(path_in(state_dir), release_failure_text(failure), 0644);
}

Status forget_release_failure(const std::string& state_dir) {
  return common::remove_if_present(path_in(state_dir));
}

}  // namespace pydio::agent
