// validate_desired_state(): the rules of parse_desired_state(), applied to a state built in
// code. Each section is checked in the order the reader reports it, so a state and the
// document serialize_desired_state() writes for it give the same lines in the same order.

#include <iterator>
#include <string>
#include <vector>

#include "common/desired_state.hpp"
#include "common/desired_state/cross_checks.hpp"
#include "common/desired_state/field_rules.hpp"
#include "common/field_checks.hpp"

namespace pydio::common {

namespace desired_state {
namespace {

// Like the reader, each check leaves an invalid value empty in `state` (a copy) so the
// cross-field checks that follow skip it.

void check_roles(NodeSpec& node, const std::string& roles_path, ErrorLines& errors) {
  if (node.roles.empty()) add_error(errors, roles_path, kNoRoles);
  std::vector<Role> found;
  for (std::size_t i = 0; i < node.roles.size(); ++i) {
    if (auto problem = repeated_role_problem(node.roles[i], found)) {
      add_error(errors, json_element_path(roles_path, i), *problem);
    } else {
      found.push_back(node.roles[i]);
    }
  }
  node.roles = found;
}

void check_brick(BrickSpec& brick, const std::string& path, ErrorLines& errors) {
  if (!is_name_ok(errors, path + ".name", brick.name)) brick.name.clear();
  const bool is_device = brick.device && !brick.directory;
  const bool is_directory = brick.directory && !brick.device;
  if (brick.device && brick.directory) add_error(errors, path, kBrickHasBothKinds);
  if (!brick.device && !brick.directory) add_error(errors, path, kBrickHasNoKind);
  if (brick.device && !accept(errors, path + ".device", *brick.device, device_problem)) {
    brick.device.reset();
  }
  if (brick.directory && !is_path_ok(errors, path + ".directory", *brick.directory)) {
    brick.directory.reset();
  }
  if (is_directory && !brick.mountpoint.empty()) {
    add_error(errors, path + ".mountpoint", kMountpointOnlyForDevice);
    brick.mountpoint.clear();
  } else if (is_device && brick.mountpoint.empty()) {
    add_error(errors, path + ".mountpoint", kMountpointRequired);
  } else if (!brick.mountpoint.empty() &&
             !is_path_ok(errors, path + ".mountpoint", brick.mountpoint)) {
    brick.mountpoint.clear();
  }
  // "xfs" is also the model's default, so on a directory brick only another value shows
  // that a filesystem was given.
  if (is_directory && filesystem_problem(brick.filesystem)) {
    add_error(errors, path + ".filesystem", kOnlyForDeviceBricks);
  } else if (!is_directory) {
    accept(errors, path + ".filesystem", brick.filesystem, filesystem_problem);
  }
  if (is_device && brick.allow_root_partition) {
    add_error(errors, path + ".allowRootPartition", kOnlyForDirectoryBricks);
  }
}

void check_node(NodeSpec& node, const std::string& path, ErrorLines& errors) {
  if (!is_name_ok(errors, path + ".name", node.name)) node.name.clear();
  if (!accept(errors, path + ".address", node.address, check_node_ipv4)) node.address.clear();
  check_roles(node, path + ".roles", errors);
  for (std::size_t i = 0; i < node.bricks.size(); ++i) {
    check_brick(node.bricks[i], json_element_path(path + ".bricks", i), errors);
  }
}

void check_volume(VolumeSpec& volume, const std::string& path, ErrorLines& errors) {
  if (!accept(errors, path + ".name", volume.name, volume_name_problem)) volume.name.clear();
  if (auto problem = replica_problem(volume.replica)) {
    add_error(errors, path + ".replica", *problem);
    volume.replica = 0;
  }
  if (auto problem = arbiter_problem(volume.arbiter)) {
    add_error(errors, path + ".arbiter", *problem);
    volume.arbiter = -1;
  }
  if (auto problem = arbiter_replica_problem(volume.arbiter, volume.replica)) {
    add_error(errors, path + ".arbiter", *problem);
  }
  if (!is_name_ok(errors, path + ".brick", volume.brick)) volume.brick.clear();
  const std::string options_path = path + ".options";
  for (auto it = volume.options.begin(); it != volume.options.end();) {
    const auto name_problem = option_name_problem(it->first);
    if (name_problem) add_error(errors, options_path, *name_problem);
    const bool ok = !name_problem && accept(errors, json_member_path(options_path, it->first),
                                            it->second, option_value_problem);
    it = ok ? std::next(it) : volume.options.erase(it);
  }
  if (!is_path_ok(errors, path + ".mountpoint", volume.mountpoint)) volume.mountpoint.clear();
}

void check_web(const WebSpec& web, ErrorLines& errors) {
  is_path_ok(errors, "web.docroot", web.docroot);
  accept(errors, "web.alias", web.alias, alias_problem);
  accept(errors, "web.healthFile", web.health_file, health_file_problem);
  accept(errors, "web.user", web.user,
         [](const std::string& v) { return web_account_problem(v, "user"); });
  accept(errors, "web.group", web.group,
         [](const std::string& v) { return web_account_problem(v, "group"); });
  if (!web.public_url.empty()) {
    if (auto problem = url_host(web.public_url).problem) {
      add_error(errors, "web.publicUrl", *problem);
    }
  }
  if (!web.server_name.empty()) accept(errors, "web.serverName", web.server_name, check_host);
  check_trusted_proxies(web.trusted_proxies, errors);
  accept(errors, "web.publicUrl", web.public_url, php_literal_problem);
  if (!web.install_dir.empty())
    accept(errors, "web.installDir", web.install_dir, pydio_path_problem);
  if (!web.conf_dir.empty()) accept(errors, "web.confDir", web.conf_dir, pydio_path_problem);
  if (!web.local_cache_dir.empty())
    accept(errors, "web.localCacheDir", web.local_cache_dir, pydio_path_problem);
  check_php(web.php, errors);
  check_release_fields(web, errors);
}

void check_database(const DesiredState& state, ErrorLines& errors) {
  const DatabaseSpec& database = state.database;
  const auto db_nodes = state.nodes_with_role(Role::kDb);
  if (auto problem = db_node_count_problem(db_nodes.size())) add_error(errors, "nodes", *problem);
  std::vector<std::string> db_addresses;
  for (const NodeSpec* node : db_nodes) db_addresses.push_back(node->address);
  if (db_nodes.size() >= kGaleraMinimumMembers) {
    if (database.members != db_addresses) {
      add_error(errors, "database.members", "must be the db nodes' addresses in document order");
    }
    if (!database.host.empty()) {
      add_error(errors, "database.host", "not allowed with a Galera cluster (three or more db nodes)");
    }
  } else {
    if (!database.members.empty()) {
      add_error(errors, "database.members", "only with three or more db nodes");
    }
    if (accept(errors, "database.host", database.host, check_host)) {
      check_database_host(state, database.host, errors);
    }
  }
  if (auto problem = port_problem(database.port)) add_error(errors, "database.port", *problem);
  if (auto problem = port_problem(database.proxy_port))
    add_error(errors, "database.proxyPort", *problem);
  accept(errors, "database.name", database.name, database_name_problem);
  accept(errors, "database.user", database.user, database_user_problem);
  if (database.allowed_hosts.empty()) add_error(errors, "database.allowedHosts", kNoAllowedHosts);
  std::vector<std::string> accepted;
  for (std::size_t i = 0; i < database.allowed_hosts.size(); ++i) {
    const std::string& host = database.allowed_hosts[i];
    if (auto problem = allowed_host_problem(host, accepted)) {
      add_error(errors, json_element_path("database.allowedHosts", i), *problem);
    } else {
      accepted.push_back(host);
    }
  }
}

ErrorLines validate(const DesiredState& state) {
  ErrorLines errors;
  DesiredState checked = state;
  accept(errors, "apiVersion", checked.api_version, api_version_problem);
  if (auto problem = generation_problem(checked.generation)) {
    add_error(errors, "generation", *problem);
  }
  if (!is_name_ok(errors, "cluster.name", checked.cluster_name)) checked.cluster_name.clear();
  if (checked.nodes.empty()) add_error(errors, "nodes", kNoNodes);
  for (std::size_t i = 0; i < checked.nodes.size(); ++i) {
    check_node(checked.nodes[i], json_element_path("nodes", i), errors);
  }
  if (checked.volumes.empty()) add_error(errors, "volumes", kNoVolumes);
  for (std::size_t i = 0; i < checked.volumes.size(); ++i) {
    check_volume(checked.volumes[i], json_element_path("volumes", i), errors);
  }
  check_web(checked.web, errors);
  check_ca_certificates(checked.security.ca_certificates, errors);
  check_nodes(checked, errors);
  check_volumes(checked, errors);
  // Serialized only when it differs from the defaults: then it counts as given.
  check_load_balancer(checked, checked.load_balancer != LoadBalancerSpec{}, errors);
  check_php_placement(checked, errors);
  check_release(checked, errors);
  check_database(checked, errors);
  check_backup(checked, errors);
  check_join_tokens(checked.join_tokens, errors);
  return errors;
}

}  // namespace
}  // namespace desired_state

std::vector<std::string> validate_desired_state(const DesiredState& state) {
  return desired_state::validate(state);
}

}  // namespace pydio::common
