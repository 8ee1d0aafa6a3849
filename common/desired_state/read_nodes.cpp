// The "nodes" section of a desired-state document: each node and its bricks.

#include "common/desired_state/field_rules.hpp"
#include "common/desired_state/reader.hpp"
#include "common/field_checks.hpp"

namespace pydio::common::desired_state {

using nlohmann::json;

namespace {

std::vector<Role> read_roles(const json& roles, const std::string& roles_path, ErrorLines& errors) {
  std::vector<Role> found;
  if (roles.empty()) add_error(errors, roles_path, kNoRoles);
  for (std::size_t i = 0; i < roles.size(); ++i) {
    const std::string role_path = json_element_path(roles_path, i);
    auto name = read_string_element(roles[i], role_path, errors);
    if (!name) continue;
    const auto role = parse_role(*name);
    if (!role) {
      add_error(errors, role_path,
                "unknown role " + quote_value(*name) + "; expected storage, compute, db or lb");
      continue;
    }
    if (auto problem = repeated_role_problem(*role, found)) {
      add_error(errors, role_path, *problem);
      continue;
    }
    found.push_back(*role);
  }
  return found;
}

BrickSpec read_brick(const json& value, const std::string& path, ErrorLines& errors) {
  BrickSpec brick;
  ObjectReader reader(value, path, errors);
  if (auto name = reader.string("name", Presence::kRequired)) {
    if (is_name_ok(errors, reader.path_of("name"), *name)) brick.name = *name;
  }
  const bool has_device = reader.has("device");
  const bool has_directory = reader.has("directory");
  if (reader.is_object() && has_device && has_directory) {
    add_error(errors, path, kBrickHasBothKinds);
  } else if (reader.is_object() && !has_device && !has_directory) {
    add_error(errors, path, kBrickHasNoKind);
  }
  if (auto device = reader.string("device", Presence::kOptional)) {
    if (accept(errors, reader.path_of("device"), *device, device_problem)) brick.device = *device;
  }
  if (auto directory = reader.string("directory", Presence::kOptional)) {
    if (is_path_ok(errors, reader.path_of("directory"), *directory)) brick.directory = *directory;
  }
  // Device-only and directory-only fields: refusing the wrong kind catches a brick that
  // was meant to be the other kind before anything is formatted.
  const bool is_device = has_device && !has_directory;
  const bool is_directory = has_directory && !has_device;
  if (auto mountpoint = reader.string("mountpoint", Presence::kOptional)) {
    if (is_directory) {
      add_error(errors, reader.path_of("mountpoint"), kMountpointOnlyForDevice);
    } else if (is_path_ok(errors, reader.path_of("mountpoint"), *mountpoint)) {
      brick.mountpoint = *mountpoint;
    }
  } else if (is_device && !reader.has("mountpoint")) {
    add_error(errors, reader.path_of("mountpoint"), kMountpointRequired);
  }
  if (auto filesystem = reader.string("filesystem", Presence::kOptional)) {
    if (is_directory) {
      add_error(errors, reader.path_of("filesystem"), kOnlyForDeviceBricks);
    } else {
      accept(errors, reader.path_of("filesystem"), *filesystem, filesystem_problem);
    }
  }
  if (auto allow = reader.boolean("allowRootPartition", Presence::kOptional)) {
    if (is_device) {
      add_error(errors, reader.path_of("allowRootPartition"), kOnlyForDirectoryBricks);
    } else {
      brick.allow_root_partition = *allow;
    }
  }
  reader.finish(kSecretHint);
  return brick;
}

}  // namespace

NodeSpec read_node(const json& value, const std::string& path, ErrorLines& errors) {
  NodeSpec node;
  ObjectReader reader(value, path, errors);
  if (auto name = reader.string("name", Presence::kRequired)) {
    if (is_name_ok(errors, reader.path_of("name"), *name)) node.name = *name;
  }
  if (auto address = reader.string("address", Presence::kRequired)) {
    if (accept(errors, reader.path_of("address"), *address, check_node_ipv4)) {
      node.address = *address;
    }
  }
  if (const json* roles = reader.array("roles", Presence::kRequired)) {
    node.roles = read_roles(*roles, reader.path_of("roles"), errors);
  }
  if (const json* bricks = reader.array("bricks", Presence::kOptional)) {
    for (std::size_t i = 0; i < bricks->size(); ++i) {
      node.bricks.push_back(
          read_brick((*bricks)[i], json_element_path(reader.path_of("bricks"), i), errors));
    }
  }
  reader.finish(kSecretHint);
  return node;
}

}  // namespace pydio::common::desired_state
