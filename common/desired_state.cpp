#include "common/desired_state.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "common/field_checks.hpp"
#include "common/strict_json.hpp"

// Validation rules and defaults are documented for operators in docs/desired-state.md; keep
// the two in step. Conventions: a field whose value is invalid is reported and left empty in
// the model, so the cross-field checks below skip it instead of piling up follow-on errors.

namespace pydio::common {

using nlohmann::json;

namespace {

constexpr const char* kSecretHint =
    "secrets belong in /etc/pydio-agent/secrets.json, never in the desired state";
constexpr std::size_t kMaxDatabaseUserLength = 32;  // MySQL's limit; MariaDB allows more
constexpr int kMaxPort = 65535;

struct RoleName {
  Role role;
  const char* name;
};
constexpr RoleName kRoleNames[] = {
    {Role::kStorage, "storage"}, {Role::kCompute, "compute"}, {Role::kDb, "db"}, {Role::kLb, "lb"}};

std::optional<Role> role_from_name(const std::string& name) {
  for (const auto& entry : kRoleNames) {
    if (name == entry.name) return entry.role;
  }
  return std::nullopt;
}

// Checks `value` with `check` and reports the problem under `path`. True when acceptable.
template <typename Check>
bool accept(ErrorLines& errors, const std::string& path, const std::string& value, Check check) {
  if (auto problem = check(value)) {
    add_error(errors, path, *problem);
    return false;
  }
  return true;
}

bool is_name_ok(ErrorLines& errors, const std::string& path, const std::string& value,
                std::size_t max_length = 64) {
  return accept(errors, path, value,
                [&](const std::string& v) { return check_name(v, max_length); });
}

bool is_path_ok(ErrorLines& errors, const std::string& path, const std::string& value) {
  return accept(errors, path, value, [](const std::string& v) { return check_absolute_path(v); });
}

// Host of an http(s) URL, or the problem with the URL.
struct UrlHost {
  std::string host;
  std::optional<std::string> problem;
};

UrlHost url_host(const std::string& url) {
  const std::string problem =
      "must be an http:// or https:// URL with a host name or IPv4 address, e.g. "
      "https://files.example.com, got " +
      quote_value(url);
  std::string rest;
  for (const char* scheme : {"http://", "https://"}) {
    if (url.rfind(scheme, 0) == 0) rest = url.substr(std::string(scheme).size());
  }
  if (rest.empty()) return {"", problem};
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isspace(u) != 0 || std::iscntrl(u) != 0 || c == '"' || c == '\'' || c == '\\' ||
        c == '<' || c == '>') {
      return {"", problem};
    }
  }
  const std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string::npos) return {"", problem};
  std::string host = authority;
  const auto colon = authority.find(':');
  if (colon != std::string::npos) {
    host = authority.substr(0, colon);
    const std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
        std::stoi(port) > kMaxPort) {
      return {"", problem};
    }
  }
  if (check_host(host)) return {"", problem};
  return {host, std::nullopt};
}

class DocumentReader {
 public:
  explicit DocumentReader(ErrorLines& errors) : errors_(errors) {}

  DesiredState read(const json& document) {
    DesiredState state;
    ObjectReader root(document, "", errors_);
    if (!root.is_object()) return state;

    if (auto version = root.string("apiVersion", Presence::kRequired)) {
      if (*version == kApiVersion) {
        state.api_version = *version;
      } else {
        add_error(errors_, "apiVersion",
                  std::string("must be \"") + kApiVersion + "\", got " + quote_value(*version));
      }
    }
    if (auto generation = root.integer("generation", Presence::kRequired)) {
      if (*generation >= 1) {
        state.generation = *generation;
      } else {
        add_error(errors_, "generation", "must be at least 1");
      }
    }
    if (const json* cluster = root.object("cluster", Presence::kRequired)) {
      ObjectReader reader(*cluster, "cluster", errors_);
      if (auto name = reader.string("name", Presence::kRequired)) {
        if (is_name_ok(errors_, "cluster.name", *name)) state.cluster_name = *name;
      }
      reader.finish(kSecretHint);
    }
    if (const json* nodes = root.array("nodes", Presence::kRequired)) {
      if (nodes->empty()) add_error(errors_, "nodes", "must list at least one node");
      for (std::size_t i = 0; i < nodes->size(); ++i) {
        state.nodes.push_back(read_node((*nodes)[i], json_element_path("nodes", i)));
      }
    }
    if (const json* volumes = root.array("volumes", Presence::kRequired)) {
      if (volumes->empty()) add_error(errors_, "volumes", "must list at least one volume");
      for (std::size_t i = 0; i < volumes->size(); ++i) {
        state.volumes.push_back(read_volume((*volumes)[i], json_element_path("volumes", i)));
      }
    }
    if (const json* web = root.object("web", Presence::kOptional)) {
      state.web = read_web(*web);
    }
    const json* database = root.object("database", Presence::kOptional);
    const bool database_ok = !root.has("database") || database != nullptr;
    root.finish(kSecretHint);

    check_nodes(state);
    check_volumes(state);
    if (database_ok) state.database = read_database(database, state);
    return state;
  }

 private:
  NodeSpec read_node(const json& value, const std::string& path) {
    NodeSpec node;
    ObjectReader reader(value, path, errors_);
    if (auto name = reader.string("name", Presence::kRequired)) {
      if (is_name_ok(errors_, reader.path_of("name"), *name)) node.name = *name;
    }
    if (auto address = reader.string("address", Presence::kRequired)) {
      if (accept(errors_, reader.path_of("address"), *address, check_node_ipv4)) {
        node.address = *address;
      }
    }
    if (const json* roles = reader.array("roles", Presence::kRequired)) {
      const std::string roles_path = reader.path_of("roles");
      if (roles->empty()) add_error(errors_, roles_path, "must list at least one role");
      std::vector<std::string> seen;
      for (std::size_t i = 0; i < roles->size(); ++i) {
        const std::string role_path = json_element_path(roles_path, i);
        auto name = read_string_element((*roles)[i], role_path, errors_);
        if (!name) continue;
        const auto role = role_from_name(*name);
        if (!role) {
          add_error(errors_, role_path,
                    "unknown role " + quote_value(*name) + "; expected storage, compute, db or lb");
          continue;
        }
        if (node.has_role(*role)) {
          add_error(errors_, role_path, "role " + quote_value(*name) + " listed twice");
          continue;
        }
        node.roles.push_back(*role);
      }
    }
    if (const json* bricks = reader.array("bricks", Presence::kOptional)) {
      for (std::size_t i = 0; i < bricks->size(); ++i) {
        node.bricks.push_back(
            read_brick((*bricks)[i], json_element_path(reader.path_of("bricks"), i)));
      }
    }
    reader.finish(kSecretHint);
    return node;
  }

  BrickSpec read_brick(const json& value, const std::string& path) {
    BrickSpec brick;
    ObjectReader reader(value, path, errors_);
    if (auto name = reader.string("name", Presence::kRequired)) {
      if (is_name_ok(errors_, reader.path_of("name"), *name)) brick.name = *name;
    }
    const bool has_device = reader.has("device");
    const bool has_directory = reader.has("directory");
    if (reader.is_object() && has_device && has_directory) {
      add_error(errors_, path,
                "has both \"device\" and \"directory\"; a brick is one or the other");
    } else if (reader.is_object() && !has_device && !has_directory) {
      add_error(errors_, path, "needs \"device\" (a block device) or \"directory\"");
    }
    if (auto device = reader.string("device", Presence::kOptional)) {
      const std::string device_path = reader.path_of("device");
      if (is_path_ok(errors_, device_path, *device)) {
        if (device->rfind("/dev/", 0) == 0) {
          brick.device = *device;
        } else {
          add_error(errors_, device_path,
                    "must be a block device under /dev, got " + quote_value(*device));
        }
      }
    }
    if (auto directory = reader.string("directory", Presence::kOptional)) {
      if (is_path_ok(errors_, reader.path_of("directory"), *directory))
        brick.directory = *directory;
    }
    // Device-only and directory-only fields: refusing the wrong kind catches a brick that
    // was meant to be the other kind before anything is formatted.
    const bool is_device = has_device && !has_directory;
    const bool is_directory = has_directory && !has_device;
    if (auto mountpoint = reader.string("mountpoint", Presence::kOptional)) {
      if (is_directory) {
        add_error(errors_, reader.path_of("mountpoint"),
                  "only for device bricks (a directory brick is not mounted)");
      } else if (is_path_ok(errors_, reader.path_of("mountpoint"), *mountpoint)) {
        brick.mountpoint = *mountpoint;
      }
    } else if (is_device && !reader.has("mountpoint")) {
      add_error(errors_, reader.path_of("mountpoint"), "required for a device brick");
    }
    if (auto filesystem = reader.string("filesystem", Presence::kOptional)) {
      if (is_directory) {
        add_error(errors_, reader.path_of("filesystem"), "only for device bricks");
      } else if (*filesystem != "xfs") {
        add_error(errors_, reader.path_of("filesystem"),
                  "only \"xfs\" is supported, got " + quote_value(*filesystem));
      }
    }
    if (auto allow = reader.boolean("allowRootPartition", Presence::kOptional)) {
      if (is_device) {
        add_error(errors_, reader.path_of("allowRootPartition"), "only for directory bricks");
      } else {
        brick.allow_root_partition = *allow;
      }
    }
    reader.finish(kSecretHint);
    return brick;
  }

  VolumeSpec read_volume(const json& value, const std::string& path) {
    VolumeSpec volume;
    ObjectReader reader(value, path, errors_);
    if (auto name = reader.string("name", Presence::kRequired)) {
      const std::string name_path = reader.path_of("name");
      if (is_name_ok(errors_, name_path, *name)) {
        // gluster's CLI accepts only letters, digits, "-" and "_" in volume names, and
        // "all" means every volume in `gluster volume set all`.
        if (name->find('.') != std::string::npos) {
          add_error(errors_, name_path, "gluster volume names may not contain \".\"");
        } else if (*name == "all") {
          add_error(errors_, name_path, "\"all\" is reserved by gluster");
        } else {
          volume.name = *name;
        }
      }
    }
    volume.replica = 0;  // stays 0 (skipped by the layout checks) unless valid
    if (auto replica = reader.integer("replica", Presence::kOptional)) {
      if (*replica < 1) {
        add_error(errors_, reader.path_of("replica"), "must be at least 1");
      } else if (*replica > 16) {
        add_error(errors_, reader.path_of("replica"), "must be at most 16");
      } else {
        volume.replica = static_cast<int>(*replica);
      }
    } else if (!reader.has("replica")) {
      volume.replica = 1;
    }
    volume.arbiter = -1;  // stays -1 unless valid
    if (auto arbiter = reader.integer("arbiter", Presence::kOptional)) {
      if (*arbiter != 0 && *arbiter != 1) {
        add_error(errors_, reader.path_of("arbiter"), "must be 0 or 1");
      } else {
        volume.arbiter = static_cast<int>(*arbiter);
      }
    } else if (!reader.has("arbiter")) {
      volume.arbiter = 0;
    }
    if (volume.arbiter == 1 && volume.replica != 3 && volume.replica != 0) {
      add_error(errors_, reader.path_of("arbiter"),
                "arbiter 1 needs replica 3, got replica " + std::to_string(volume.replica));
    }
    if (auto brick = reader.string("brick", Presence::kRequired)) {
      if (is_name_ok(errors_, reader.path_of("brick"), *brick)) volume.brick = *brick;
    }
    if (const json* options = reader.object("options", Presence::kOptional)) {
      const std::string options_path = reader.path_of("options");
      for (const auto& [key, option] : options->items()) {
        if (auto problem = check_name(key, 128)) {
          add_error(errors_, options_path, "option name " + quote_value(key) + " " + *problem);
          continue;
        }
        const std::string option_path = json_member_path(options_path, key);
        auto text = read_string_element(option, option_path, errors_);
        if (!text) continue;
        bool clean = !text->empty();
        for (char c : *text) {
          if (std::iscntrl(static_cast<unsigned char>(c)) != 0) clean = false;
        }
        if (!clean) {
          add_error(errors_, option_path, "must be a non-empty value without control characters");
          continue;
        }
        volume.options[key] = *text;
      }
    }
    if (auto mountpoint = reader.string("mountpoint", Presence::kOptional)) {
      if (is_path_ok(errors_, reader.path_of("mountpoint"), *mountpoint)) {
        volume.mountpoint = *mountpoint;
      }
    } else if (!reader.has("mountpoint") && !volume.name.empty()) {
      volume.mountpoint = "/mnt/" + volume.name;
    }
    reader.finish(kSecretHint);
    return volume;
  }

  WebSpec read_web(const json& value) {
    WebSpec web;
    ObjectReader reader(value, "web", errors_);
    if (auto docroot = reader.string("docroot", Presence::kOptional)) {
      if (is_path_ok(errors_, "web.docroot", *docroot)) web.docroot = *docroot;
    }
    if (auto alias = reader.string("alias", Presence::kOptional)) {
      if (auto problem = alias_problem(*alias)) {
        add_error(errors_, "web.alias", *problem);
      } else {
        web.alias = *alias;
      }
    }
    if (auto health_file = reader.string("healthFile", Presence::kOptional)) {
      if (*health_file == "." || *health_file == ".." || check_name(*health_file)) {
        add_error(errors_, "web.healthFile",
                  "must be a plain file name ([A-Za-z0-9._-]+, not \".\" or \"..\"), got " +
                      quote_value(*health_file));
      } else {
        web.health_file = *health_file;
      }
    }
    if (auto user = reader.string("user", Presence::kOptional)) {
      if (accept(errors_, "web.user", *user,
                 [](const std::string& v) { return check_posix_name(v, "user"); })) {
        web.user = *user;
      }
    }
    if (auto group = reader.string("group", Presence::kOptional)) {
      if (accept(errors_, "web.group", *group,
                 [](const std::string& v) { return check_posix_name(v, "group"); })) {
        web.group = *group;
      }
    }
    if (auto public_url = reader.string("publicUrl", Presence::kOptional)) {
      const UrlHost parsed = url_host(*public_url);
      if (parsed.problem) {
        add_error(errors_, "web.publicUrl", *parsed.problem);
      } else {
        web.public_url = *public_url;
        web.server_name = parsed.host;  // default; an explicit serverName replaces it
      }
    }
    if (auto server_name = reader.string("serverName", Presence::kOptional)) {
      if (accept(errors_, "web.serverName", *server_name, check_host)) {
        web.server_name = *server_name;
      } else {
        web.server_name.clear();
      }
    }
    reader.finish(kSecretHint);
    return web;
  }

  static std::optional<std::string> alias_problem(const std::string& alias) {
    if (alias.empty() || alias.front() != '/')
      return "must start with \"/\", got " + quote_value(alias);
    const std::string problem =
        "must be \"/\" followed by path segments of [A-Za-z0-9._~-], without \"..\" or a "
        "trailing \"/\" (e.g. \"/pydio\"), got " +
        quote_value(alias);
    if (alias == "/") return problem;
    std::string segment;
    for (std::size_t i = 1; i <= alias.size(); ++i) {
      if (i == alias.size() || alias[i] == '/') {
        if (segment.empty() || segment == "." || segment == "..") return problem;
        segment.clear();
        continue;
      }
      const char c = alias[i];
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '_' && c != '~' &&
          c != '-') {
        return problem;
      }
      segment += c;
    }
    return std::nullopt;
  }

  DatabaseSpec read_database(const json* value, const DesiredState& state) {
    DatabaseSpec database;
    static const json kEmptyObject = json::object();
    ObjectReader reader(value != nullptr ? *value : kEmptyObject, "database", errors_);
    if (auto host = reader.string("host", Presence::kOptional)) {
      if (accept(errors_, "database.host", *host, check_host)) {
        database.host = *host;
        for (std::size_t i = 0; i < state.nodes.size(); ++i) {
          const NodeSpec& node = state.nodes[i];
          if (node.address == *host && !node.has_role(Role::kDb)) {
            add_error(errors_, "database.host",
                      *host + " is the address of nodes[" + std::to_string(i) + "] " +
                          quote_value(node.name) + ", which lacks role \"db\"");
          }
        }
      }
    } else if (!reader.has("host")) {
      const auto db_nodes = state.nodes_with_role(Role::kDb);
      if (db_nodes.size() == 1) {
        database.host = db_nodes.front()->address;
      } else if (db_nodes.empty()) {
        add_error(errors_, "database.host", "required when no node has role \"db\"");
      } else {
        add_error(errors_, "database.host", "required when more than one node has role \"db\"");
      }
    }
    if (auto port = reader.integer("port", Presence::kOptional)) {
      if (*port < 1 || *port > kMaxPort) {
        add_error(errors_, "database.port", "must be between 1 and 65535");
      } else {
        database.port = static_cast<int>(*port);
      }
    }
    if (auto name = reader.string("name", Presence::kOptional)) {
      if (is_name_ok(errors_, "database.name", *name)) database.name = *name;
    }
    if (auto user = reader.string("user", Presence::kOptional)) {
      if (is_name_ok(errors_, "database.user", *user, kMaxDatabaseUserLength))
        database.user = *user;
    }
    if (const json* hosts = reader.array("allowedHosts", Presence::kOptional)) {
      if (hosts->empty()) {
        add_error(errors_, "database.allowedHosts",
                  "must list at least one host (omit the field to allow every node's address)");
      }
      for (std::size_t i = 0; i < hosts->size(); ++i) {
        const std::string host_path = json_element_path("database.allowedHosts", i);
        auto host = read_string_element((*hosts)[i], host_path, errors_);
        if (!host) continue;
        if (host->empty() ||
            host->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789._%-") != std::string::npos) {
          add_error(errors_, host_path, "must match [A-Za-z0-9._%-]+, got " + quote_value(*host));
        } else if (host->find_first_not_of('%') == std::string::npos) {
          add_error(errors_, host_path,
                    quote_value(*host) +
                        " would allow every host; list the nodes' addresses or a subnet "
                        "pattern like 198.18.0.%");
        } else if (std::find(database.allowed_hosts.begin(), database.allowed_hosts.end(), *host) !=
                   database.allowed_hosts.end()) {
          add_error(errors_, host_path, quote_value(*host) + " listed twice");
        } else {
          database.allowed_hosts.push_back(*host);
        }
      }
    } else if (!reader.has("allowedHosts")) {
      // Default: exactly the cluster's own nodes.
      for (const auto& node : state.nodes) {
        if (!node.address.empty()) database.allowed_hosts.push_back(node.address);
      }
    }
    reader.finish(kSecretHint);
    return database;
  }

  void check_nodes(const DesiredState& state) {
    for (std::size_t i = 0; i < state.nodes.size(); ++i) {
      const NodeSpec& node = state.nodes[i];
      const std::string path = json_element_path("nodes", i);
      for (std::size_t j = 0; j < i; ++j) {
        const NodeSpec& earlier = state.nodes[j];
        const std::string earlier_path = json_element_path("nodes", j);
        if (!node.name.empty() && node.name == earlier.name) {
          add_error(errors_, path + ".name",
                    "duplicate of " + earlier_path + ".name " + quote_value(node.name));
        }
        if (!node.address.empty() && node.address == earlier.address) {
          add_error(errors_, path + ".address",
                    "duplicate of " + earlier_path + ".address " + quote_value(node.address));
        }
      }
      if (!node.bricks.empty() && !node.roles.empty() && !node.has_role(Role::kStorage)) {
        add_error(errors_, path + ".bricks", "only nodes with role \"storage\" have bricks");
      }
      check_bricks(node, path);
    }
  }

  void check_bricks(const NodeSpec& node, const std::string& node_path) {
    for (std::size_t i = 0; i < node.bricks.size(); ++i) {
      const BrickSpec& brick = node.bricks[i];
      const std::string path = json_element_path(node_path + ".bricks", i);
      for (std::size_t j = 0; j < i; ++j) {
        const BrickSpec& earlier = node.bricks[j];
        const std::string earlier_path = json_element_path(node_path + ".bricks", j);
        if (!brick.name.empty() && brick.name == earlier.name) {
          add_error(errors_, path + ".name",
                    "duplicate of " + earlier_path + ".name " + quote_value(brick.name));
        }
        if (brick.device && earlier.device && *brick.device == *earlier.device) {
          add_error(errors_, path + ".device",
                    "duplicate of " + earlier_path + ".device " + quote_value(*brick.device));
        }
        if (!brick.mountpoint.empty() && brick.mountpoint == earlier.mountpoint) {
          add_error(
              errors_, path + ".mountpoint",
              "duplicate of " + earlier_path + ".mountpoint " + quote_value(brick.mountpoint));
        }
      }
      // A directory brick at a device's mountpoint would put gluster's data on the root
      // filesystem whenever the device is not mounted.
      if (brick.directory) {
        for (std::size_t j = 0; j < node.bricks.size(); ++j) {
          const BrickSpec& other = node.bricks[j];
          if (other.device && !other.mountpoint.empty() && other.mountpoint == *brick.directory) {
            add_error(errors_, path + ".directory",
                      "is the mountpoint of " + json_element_path(node_path + ".bricks", j) +
                          "; use a subdirectory of it");
          }
        }
      }
    }
  }

  void check_volumes(const DesiredState& state) {
    std::set<std::pair<std::size_t, std::size_t>> reported_overlaps;
    for (std::size_t v = 0; v < state.volumes.size(); ++v) {
      const VolumeSpec& volume = state.volumes[v];
      const std::string path = json_element_path("volumes", v);
      for (std::size_t u = 0; u < v; ++u) {
        const VolumeSpec& earlier = state.volumes[u];
        const std::string earlier_path = json_element_path("volumes", u);
        if (!volume.name.empty() && volume.name == earlier.name) {
          add_error(errors_, path + ".name",
                    "duplicate of " + earlier_path + ".name " + quote_value(volume.name));
        }
        if (volume.mountpoint.empty() || earlier.mountpoint.empty()) continue;
        if (volume.mountpoint == earlier.mountpoint) {
          add_error(
              errors_, path + ".mountpoint",
              "duplicate of " + earlier_path + ".mountpoint " + quote_value(volume.mountpoint));
        } else if (path_is_within(volume.mountpoint, earlier.mountpoint) ||
                   path_is_within(earlier.mountpoint, volume.mountpoint)) {
          add_error(errors_, path + ".mountpoint",
                    "nests with " + earlier_path + ".mountpoint " +
                        quote_value(earlier.mountpoint) +
                        " (FUSE mounts must not be inside each other)");
        }
      }
      if (!volume.mountpoint.empty()) check_mountpoint_against_bricks(state, volume, path);
      if (volume.brick.empty()) continue;

      std::size_t bricks_found = 0;
      for (std::size_t n = 0; n < state.nodes.size(); ++n) {
        const NodeSpec& node = state.nodes[n];
        if (!node.has_role(Role::kStorage)) continue;
        if (node.find_brick(volume.brick) != nullptr) {
          ++bricks_found;
        } else {
          add_error(errors_, path + ".brick",
                    "storage node " + quote_value(node.name) + " (nodes[" + std::to_string(n) +
                        "]) has no brick " + quote_value(volume.brick));
        }
      }
      // Fewer bricks than copies cannot form one replica set. More bricks that are not a
      // multiple of replica are fine: the extra ones wait until a whole set is available.
      if (volume.replica >= 1 && bricks_found < static_cast<std::size_t>(volume.replica)) {
        add_error(errors_, path,
                  "replica " + std::to_string(volume.replica) + " needs at least " +
                      std::to_string(volume.replica) + " storage node" +
                      (volume.replica == 1 ? "" : "s") + " with brick " +
                      quote_value(volume.brick) + ", found " + std::to_string(bricks_found));
      }
      check_brick_paths(state, v, reported_overlaps);
    }
  }

  // Gluster refuses (or worse, half-creates) bricks nested in one another on one node.
  void check_brick_paths(const DesiredState& state, std::size_t v,
                         std::set<std::pair<std::size_t, std::size_t>>& reported) {
    const VolumeSpec& volume = state.volumes[v];
    for (const NodeSpec& node : state.nodes) {
      if (!node.has_role(Role::kStorage) || !usable_brick(node, volume)) continue;
      const std::string mine = brick_path(node, volume);
      for (std::size_t u = 0; u < v; ++u) {
        const VolumeSpec& earlier = state.volumes[u];
        if (earlier.name.empty() || !usable_brick(node, earlier)) continue;
        const std::string theirs = brick_path(node, earlier);
        if (!path_is_within(mine, theirs) && !path_is_within(theirs, mine)) continue;
        if (!reported.insert({u, v}).second) continue;
        add_error(errors_, json_element_path("volumes", v) + ".brick",
                  "on node " + quote_value(node.name) + " the brick path " + quote_value(mine) +
                      " overlaps the brick path " + quote_value(theirs) + " of volumes[" +
                      std::to_string(u) + "]; each volume needs its own, non-nested brick");
      }
    }
  }

  static bool usable_brick(const NodeSpec& node, const VolumeSpec& volume) {
    if (volume.name.empty() || volume.brick.empty()) return false;
    const BrickSpec* brick = node.find_brick(volume.brick);
    if (brick == nullptr) return false;
    return brick->device ? !brick->mountpoint.empty() : brick->directory.has_value();
  }

  // A FUSE mount over a brick (or a brick inside a FUSE mount) would hide or loop data.
  void check_mountpoint_against_bricks(const DesiredState& state, const VolumeSpec& volume,
                                       const std::string& path) {
    for (std::size_t n = 0; n < state.nodes.size(); ++n) {
      const NodeSpec& node = state.nodes[n];
      for (std::size_t b = 0; b < node.bricks.size(); ++b) {
        const BrickSpec& brick = node.bricks[b];
        const std::string brick_field = brick.device ? "mountpoint" : "directory";
        const std::string where = brick.device ? brick.mountpoint : brick.directory.value_or("");
        if (where.empty()) continue;
        if (path_is_within(volume.mountpoint, where) || path_is_within(where, volume.mountpoint)) {
          add_error(errors_, path + ".mountpoint",
                    "overlaps nodes[" + std::to_string(n) + "].bricks[" + std::to_string(b) + "]." +
                        brick_field + " " + quote_value(where) +
                        "; a volume's mountpoint must be outside every brick");
          return;
        }
      }
    }
  }

  ErrorLines& errors_;
};

// Serialization keeps the reading order of docs/desired-state.md, hence ordered_json.
using OrderedJson = nlohmann::ordered_json;

OrderedJson brick_to_json(const BrickSpec& brick) {
  OrderedJson out;
  out["name"] = brick.name;
  if (brick.device) {
    out["device"] = *brick.device;
    out["mountpoint"] = brick.mountpoint;
    out["filesystem"] = brick.filesystem;
  } else {
    out["directory"] = brick.directory.value_or("");
    out["allowRootPartition"] = brick.allow_root_partition;
  }
  return out;
}

}  // namespace

bool NodeSpec::has_role(Role role) const {
  for (Role mine : roles) {
    if (mine == role) return true;
  }
  return false;
}

const BrickSpec* NodeSpec::find_brick(const std::string& brick_name) const {
  for (const auto& brick : bricks) {
    if (brick.name == brick_name) return &brick;
  }
  return nullptr;
}

const NodeSpec* DesiredState::find_node(const std::string& node_name) const {
  for (const auto& node : nodes) {
    if (node.name == node_name) return &node;
  }
  return nullptr;
}

const VolumeSpec* DesiredState::find_volume(const std::string& volume_name) const {
  for (const auto& volume : volumes) {
    if (volume.name == volume_name) return &volume;
  }
  return nullptr;
}

std::vector<const NodeSpec*> DesiredState::nodes_with_role(Role role) const {
  std::vector<const NodeSpec*> found;
  for (const auto& node : nodes) {
    if (node.has_role(role)) found.push_back(&node);
  }
  return found;
}

std::vector<std::string> DesiredState::brick_endpoints(const VolumeSpec& volume) const {
  std::vector<std::string> endpoints;
  for (const auto& node : nodes) {
    if (!node.has_role(Role::kStorage) || node.find_brick(volume.brick) == nullptr) continue;
    endpoints.push_back(node.address + ":" + brick_path(node, volume));
  }
  return endpoints;
}

std::string brick_path(const NodeSpec& node, const VolumeSpec& volume) {
  const BrickSpec* brick = node.find_brick(volume.brick);
  if (brick == nullptr) return "";
  if (brick->device) return brick->mountpoint + "/" + volume.name;
  return brick->directory.value_or("");
}

std::string role_name(Role role) {
  for (const auto& entry : kRoleNames) {
    if (entry.role == role) return entry.name;
  }
  return "unknown";
}

std::optional<Role> parse_role(const std::string& name) { return role_from_name(name); }

ValidationResult parse_desired_state(const std::string& json_text) {
  ValidationResult result;
  auto document = parse_strict_json(json_text, result.errors);
  if (!document) return result;
  DesiredState state = DocumentReader(result.errors).read(*document);
  if (result.errors.empty()) {
    result.state = std::make_shared<const DesiredState>(std::move(state));
  }
  return result;
}

std::string serialize_desired_state(const DesiredState& state) {
  OrderedJson out;
  out["apiVersion"] = state.api_version;
  out["generation"] = state.generation;
  out["cluster"]["name"] = state.cluster_name;
  out["nodes"] = OrderedJson::array();
  for (const auto& node : state.nodes) {
    OrderedJson entry;
    entry["name"] = node.name;
    entry["address"] = node.address;
    entry["roles"] = OrderedJson::array();
    for (Role role : node.roles) entry["roles"].push_back(role_name(role));
    entry["bricks"] = OrderedJson::array();
    for (const auto& brick : node.bricks) entry["bricks"].push_back(brick_to_json(brick));
    out["nodes"].push_back(std::move(entry));
  }
  out["volumes"] = OrderedJson::array();
  for (const auto& volume : state.volumes) {
    OrderedJson entry;
    entry["name"] = volume.name;
    entry["replica"] = volume.replica;
    entry["arbiter"] = volume.arbiter;
    entry["brick"] = volume.brick;
    entry["options"] = OrderedJson::object();
    for (const auto& [key, value] : volume.options) entry["options"][key] = value;
    entry["mountpoint"] = volume.mountpoint;
    out["volumes"].push_back(std::move(entry));
  }
  auto& web = out["web"];
  web["docroot"] = state.web.docroot;
  web["alias"] = state.web.alias;
  web["healthFile"] = state.web.health_file;
  web["user"] = state.web.user;
  web["group"] = state.web.group;
  if (!state.web.public_url.empty()) web["publicUrl"] = state.web.public_url;
  if (!state.web.server_name.empty()) web["serverName"] = state.web.server_name;
  auto& database = out["database"];
  database["host"] = state.database.host;
  database["port"] = state.database.port;
  database["name"] = state.database.name;
  database["user"] = state.database.user;
  database["allowedHosts"] = state.database.allowed_hosts;
  return out.dump(2) + "\n";
}

}  // namespace pydio::common
