// serialize_desired_state(): the model as a document parse_desired_state() reads back.

#include <nlohmann/json.hpp>
#include <utility>

#include "common/desired_state.hpp"
#include "common/desired_state/reader.hpp"
#include "common/utc_time.hpp"

namespace pydio::common {

namespace {

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

OrderedJson node_to_json(const NodeSpec& node) {
  OrderedJson out;
  out["name"] = node.name;
  out["address"] = node.address;
  out["roles"] = OrderedJson::array();
  for (Role role : node.roles) out["roles"].push_back(role_name(role));
  out["bricks"] = OrderedJson::array();
  for (const auto& brick : node.bricks) out["bricks"].push_back(brick_to_json(brick));
  return out;
}

OrderedJson volume_to_json(const VolumeSpec& volume) {
  OrderedJson out;
  out["name"] = volume.name;
  out["replica"] = volume.replica;
  out["arbiter"] = volume.arbiter;
  out["brick"] = volume.brick;
  out["options"] = OrderedJson::object();
  for (const auto& [key, value] : volume.options) out["options"][key] = value;
  out["mountpoint"] = volume.mountpoint;
  return out;
}

// Only the fields that differ from the defaults.
OrderedJson load_balancer_to_json(const LoadBalancerSpec& lb) {
  const LoadBalancerSpec defaults;
  OrderedJson out = OrderedJson::object();
  if (lb.bind != defaults.bind) out["bind"] = lb.bind;
  if (lb.tls_certificate != defaults.tls_certificate) out["tlsCertificate"] = lb.tls_certificate;
  if (lb.tls_bind != defaults.tls_bind) out["tlsBind"] = lb.tls_bind;
  if (lb.stats_port != defaults.stats_port) out["statsPort"] = lb.stats_port;
  if (lb.check_interval_ms != defaults.check_interval_ms)
    out["checkIntervalMs"] = lb.check_interval_ms;
  if (lb.fall != defaults.fall) out["fall"] = lb.fall;
  if (lb.rise != defaults.rise) out["rise"] = lb.rise;
  if (lb.agent_port != defaults.agent_port) out["agentPort"] = lb.agent_port;
  if (lb.agent_interval_ms != defaults.agent_interval_ms)
    out["agentIntervalMs"] = lb.agent_interval_ms;
  if (lb.session_cookie != defaults.session_cookie) out["sessionCookie"] = lb.session_cookie;
  if (lb.timeout_seconds != defaults.timeout_seconds) out["timeoutSeconds"] = lb.timeout_seconds;
  if (lb.drain_timeout_seconds != defaults.drain_timeout_seconds)
    out["drainTimeoutSeconds"] = lb.drain_timeout_seconds;
  return out;
}

// Only the fields that differ from their defaults: a document that sets none reads as before
// web.php existed, so agents of the previous version still accept it during a rolling upgrade.
OrderedJson php_to_json(const PhpSpec& php) {
  const PhpSpec defaults;
  OrderedJson out = OrderedJson::object();
  if (php.version != defaults.version) out["version"] = php.version;
  if (php.upload_max_filesize != defaults.upload_max_filesize)
    out["uploadMaxFilesize"] = php.upload_max_filesize;
  if (php.post_max_size != defaults.post_max_size) out["postMaxSize"] = php.post_max_size;
  if (php.memory_limit != defaults.memory_limit) out["memoryLimit"] = php.memory_limit;
  if (php.max_execution_time != defaults.max_execution_time)
    out["maxExecutionTime"] = php.max_execution_time;
  if (php.max_input_time != defaults.max_input_time) out["maxInputTime"] = php.max_input_time;
  if (php.output_buffering != defaults.output_buffering)
    out["outputBuffering"] = php.output_buffering;
  if (php.temp_dir != defaults.temp_dir) out["tempDir"] = php.temp_dir;
  return out;
}

OrderedJson release_to_json(const ReleaseSpec& release) {
  OrderedJson out;
  out["sha256"] = release.sha256;
  out["version"] = release.version;
  out["file"] = release.file;
  out["size"] = release.size;
  out["publishedAt"] = format_utc(release.published_at);
  return out;
}

OrderedJson rollout_to_json(const RolloutSpec& rollout) {
  OrderedJson out;
  out["release"] = rollout.release;
  out["previous"] = rollout.previous;
  out["done"] = rollout.done;
  if (!rollout.node.empty()) {
    out["node"] = rollout.node;
    out["phase"] = rollout_phase_name(rollout.phase);
  }
  out["since"] = format_utc(rollout.since);
  if (!rollout.stopped.empty()) out["stopped"] = rollout.stopped;
  return out;
}

}  // namespace

std::string serialize_desired_state(const DesiredState& state) {
  OrderedJson out;
  out["apiVersion"] = state.api_version;
  out["generation"] = state.generation;
  out["cluster"]["name"] = state.cluster_name;
  out["nodes"] = OrderedJson::array();
  for (const auto& node : state.nodes) out["nodes"].push_back(node_to_json(node));
  out["volumes"] = OrderedJson::array();
  for (const auto& volume : state.volumes) out["volumes"].push_back(volume_to_json(volume));
  auto& web = out["web"];
  web["docroot"] = state.web.docroot;
  web["alias"] = state.web.alias;
  web["healthFile"] = state.web.health_file;
  web["user"] = state.web.user;
  web["group"] = state.web.group;
  if (!state.web.public_url.empty()) web["publicUrl"] = state.web.public_url;
  if (!state.web.server_name.empty()) web["serverName"] = state.web.server_name;
  // Left out when empty (the lb nodes' addresses), as loadBalancer when it holds the defaults:
  // agents of the previous version refuse fields they do not know.
  if (!state.web.trusted_proxies.empty()) web["trustedProxies"] = state.web.trusted_proxies;
  // New fields only when set: older agents refuse unknown fields (the upgrade scenario).
  if (!state.web.install_dir.empty()) web["installDir"] = state.web.install_dir;
  if (!state.web.conf_dir.empty()) web["confDir"] = state.web.conf_dir;
  if (!state.web.local_cache_dir.empty()) web["localCacheDir"] = state.web.local_cache_dir;
  if (state.web.php != PhpSpec{}) web["php"] = php_to_json(state.web.php);
  if (state.web.drain_seconds != WebSpec{}.drain_seconds)
    web["drainSeconds"] = state.web.drain_seconds;
  if (state.web.release) web["release"] = release_to_json(*state.web.release);
  if (state.web.rollout) web["rollout"] = rollout_to_json(*state.web.rollout);
  auto& database = out["database"];
  // Galera: no host (the members are the db nodes, derived when the document is read).
  if (!state.database.galera()) database["host"] = state.database.host;
  database["port"] = state.database.port;
  if (state.database.proxy_port != DatabaseSpec{}.proxy_port)
    database["proxyPort"] = state.database.proxy_port;
  database["name"] = state.database.name;
  database["user"] = state.database.user;
  database["allowedHosts"] = state.database.allowed_hosts;
  if (state.database.backup) database["backup"] = desired_state::backup_to_json(*state.database.backup);
  // Only when on: a document without TLS reads the same as before the field existed, so agents
  // of the previous version still accept it during a rolling upgrade.
  if (state.security.gluster_tls) out["security"]["glusterTls"] = true;
  // Likewise left out when empty (no CA rotation ever ran).
  if (!state.security.ca_certificates.empty())
    out["security"]["caCertificates"] = state.security.ca_certificates;
  if (state.load_balancer != LoadBalancerSpec{})
    out["loadBalancer"] = load_balancer_to_json(state.load_balancer);
  // Left out when empty, so a document without tokens reads as it always did.
  if (!state.join_tokens.empty()) {
    auto& tokens = out["joinTokens"] = OrderedJson::array();
    for (const auto& token : state.join_tokens) {
      OrderedJson entry;
      entry["id"] = token.id;
      entry["secretHash"] = token.secret_hash;
      entry["expires"] = format_utc(token.expires);
      if (!token.description.empty()) entry["description"] = token.description;
      tokens.push_back(std::move(entry));
    }
  }
  return out.dump(2) + "\n";
}

}  // namespace pydio::common
