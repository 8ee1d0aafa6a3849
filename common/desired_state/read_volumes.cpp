// The "volumes" section of a desired-state document.

#include "common/desired_state/field_rules.hpp"
#include "common/desired_state/reader.hpp"

namespace pydio::common::desired_state {

using nlohmann::json;

namespace {

std::map<std::string, std::string> read_options(const json& options,
                                                const std::string& options_path,
                                                ErrorLines& errors) {
  std::map<std::string, std::string> found;
  for (const auto& [key, option] : options.items()) {
    if (auto problem = option_name_problem(key)) {
      add_error(errors, options_path, *problem);
      continue;
    }
    const std::string option_path = json_member_path(options_path, key);
    auto text = read_string_element(option, option_path, errors);
    if (!text) continue;
    if (accept(errors, option_path, *text, option_value_problem)) found[key] = *text;
  }
  return found;
}

}  // namespace

VolumeSpec read_volume(const json& value, const std::string& path, ErrorLines& errors) {
  VolumeSpec volume;
  ObjectReader reader(value, path, errors);
  if (auto name = reader.string("name", Presence::kRequired)) {
    if (accept(errors, reader.path_of("name"), *name, volume_name_problem)) volume.name = *name;
  }
  volume.replica = 0;  // stays 0 (skipped by the layout checks) unless valid
  if (auto replica = reader.integer("replica", Presence::kOptional)) {
    if (auto problem = replica_problem(*replica)) {
      add_error(errors, reader.path_of("replica"), *problem);
    } else {
      volume.replica = static_cast<int>(*replica);
    }
  } else if (!reader.has("replica")) {
    volume.replica = 1;
  }
  volume.arbiter = -1;  // stays -1 unless valid
  if (auto arbiter = reader.integer("arbiter", Presence::kOptional)) {
    if (auto problem = arbiter_problem(*arbiter)) {
      add_error(errors, reader.path_of("arbiter"), *problem);
    } else {
      volume.arbiter = static_cast<int>(*arbiter);
    }
  } else if (!reader.has("arbiter")) {
    volume.arbiter = 0;
  }
  if (auto problem = arbiter_replica_problem(volume.arbiter, volume.replica)) {
    add_error(errors, reader.path_of("arbiter"), *problem);
  }
  if (auto brick = reader.string("brick", Presence::kRequired)) {
    if (is_name_ok(errors, reader.path_of("brick"), *brick)) volume.brick = *brick;
  }
  if (const json* options = reader.object("options", Presence::kOptional)) {
    volume.options = read_options(*options, reader.path_of("options"), errors);
  }
  if (auto mountpoint = reader.string("mountpoint", Presence::kOptional)) {
    if (is_path_ok(errors, reader.path_of("mountpoint"), *mountpoint)) {
      volume.mountpoint = *mountpoint;
    }
  } else if (!reader.has("mountpoint") && !volume.name.empty()) {
    volume.mountpoint = "/mnt/" + volume.name;
  }
  reader.finish(kSecretHint);
  return volume;
}

}  // namespace pydio::common::desired_state
