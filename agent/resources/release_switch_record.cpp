#include "agent/resources/release_switch_record.hpp"

#include <nlohmann/json.hpp>
#include <utility>

#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {
std::string path_in(const std::string& state_dir) { return state_dir + "/" + kReleaseSwitchFile; }
}  // namespace

std::string release_switch_text(const ReleaseSwitchRecord& record) {
  return nlohmann::json{{"release", record.release},
                        {"id", record.id},
                        {"version", record.version},
                        {"oldCurrent", record.old_current},
                        {"oldPrevious", record.old_previous}}
             .dump() +
         "\n";
}

std::optional<ReleaseSwitchRecord> parse_release_switch(const std::string& text) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_object()) return std::nullopt;
  ReleaseSwitchRecord record;
  for (auto [key, field] : {std::pair<const char*, std::string*>{"release", &record.release},
                            {"id", &record.id},
                            {"version", &record.version},
                            {"oldCurrent", &record.old_current},
                            {"oldPrevious", &record.old_previous}}) {
    if (!json.contains(key) || !json[key].is_string()) return std::nullopt;
    *field = json[key].get<std::string>();
  }
  if (record.id.empty()) return std::nullopt;
  return record;
}

Expected<std::optional<ReleaseSwitchRecord>> load_release_switch(const std::string& state_dir) {
  auto text = common::read_optional_file(path_in(state_dir));
  if (!text) return text.status();
  if (!*text) return std::optional<ReleaseSwitchRecord>();
  auto record = parse_release_switch(**text);
  if (!record)
    return Status::error(path_in(state_dir) +
                         ": not a release switch record; check which release <docroot>/current "
                         "names, then remove it");
  return record;
}

Status save_release_switch(const std::string& state_dir, const ReleaseSwitchRecord& record) {
  return common::write_file_atomically(path_in(state_dir), release_switch_text(record), 0600);
}

Status forget_release_switch(const std::string& state_dir) {
  return common::remove_if_present(path_in(state_dir));
}

}  // namespace pydio::agent
