#pragma once
// The cluster-wide desired-state document (docs/desired-state.md): an immutable snapshot,
// created by parse_desired_state(), which validates everything, or built in code from one
// and checked with validate_desired_state() before use. No secrets in it: join tokens appear
// only as the SHA-256 of their secret half.
// The implementation is in common/desired_state/, one file per section of the document.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace pydio::common {

inline constexpr const char* kApiVersion = "pydio-agent/v1";
// The two volumes a Pydio cluster has (names fixed by the layout the agent creates).
inline constexpr const char* kDataVolume = "pydio-data";
inline constexpr const char* kConfigVolume = "pydio-config";

enum class Role { kStorage, kCompute, kDb, kLb };

// A node's brick: either a block device the agent formats (XFS, only when blank) and mounts
// at `mountpoint`, or a plain directory (the config brick may live on the data device).
struct BrickSpec {
  std::string name;                      // referenced by VolumeSpec::brick
  std::optional<std::string> device;     // absolute path, e.g. /dev/xvdb
  std::optional<std::string> directory;  // absolute path, for a directory brick
  std::string mountpoint;                // device bricks only, e.g. /data
  std::string filesystem = "xfs";        // device bricks only; only "xfs" is supported
  bool allow_root_partition = false;     // directory bricks: allowed on the root filesystem
};

struct NodeSpec {
  std::string name;
  std::string address;  // private IPv4 address, used as the gluster identity
  std::vector<Role> roles;
  std::vector<BrickSpec> bricks;

  bool has_role(Role role) const;
  const BrickSpec* find_brick(const std::string& brick_name) const;
};

struct VolumeSpec {
  std::string name;                            // e.g. pydio-data
  int replica = 1;                             // copies, counting the arbiter
  int arbiter = 0;                             // 0, or 1 with replica 3
  std::string brick;                           // BrickSpec::name on every storage node
  std::map<std::string, std::string> options;  // gluster volume options
  std::string mountpoint;                      // FUSE mountpoint on compute nodes
};

// PHP for Apache on compute nodes ("web.php"): the settings go into the agent's conf.d drop-in
// (/etc/php/<version>/apache2/conf.d/99-pydio-agent.ini). Defaults are the tutorial's values.
struct PhpSpec {
  std::string version = "8.2";                // packages php<v>-*, Apache module php<v>
  std::string upload_max_filesize = "200M";   // PHP size: digits and an optional K, M or G
  std::string post_max_size = "200M";         // at least upload_max_filesize
  std::string memory_limit = "128M";          // PHP size or "-1" (no limit)
  int max_execution_time = 30;                // seconds, 0 = no limit
  int max_input_time = 60;                    // seconds, -1 = max_execution_time
  bool output_buffering = false;              // false: Off, true: 4096
  std::string temp_dir = "/var/cache/pydio/tmp";  // upload_tmp_dir and sys_temp_dir, node-local

  bool operator==(const PhpSpec& other) const;
  bool operator!=(const PhpSpec& other) const { return !(*this == other); }
};

// A Pydio release archive published with `agentctl app publish` ("web.release"): every compute
// node serves exactly this one (docs/operations.md, "Releases"). Written only by the agent.
struct ReleaseSpec {
  std::string sha256;             // "sha256:<64 lowercase hex digits>" of the archive
  std::string version;            // the first "__" field of the archive's conf/VERSION
  std::string file;               // the archive's file name as published (no directory)
  std::int64_t size = 0;          // bytes
  std::int64_t published_at = 0;  // seconds since the epoch (UTC); a UTC time in JSON

  bool operator==(const ReleaseSpec& other) const;
  bool operator!=(const ReleaseSpec& other) const { return !(*this == other); }
};

// The directory name of a release on a node: the first 12 hex digits of its sha256.
std::string release_id(const std::string& sha256);

enum class RolloutPhase { kNone, kDraining, kSwitching, kUndraining };
std::string rollout_phase_name(RolloutPhase phase);  // "", "draining", "switching", "undraining"

// The leader's rolling rollout of web.release, one compute node at a time ("web.rollout";
// agent/daemon/release_rollout.hpp). Written only by the leader; a new leader resumes from it.
struct RolloutSpec {
  std::string release;             // sha256 being rolled out (web.release's)
  std::string previous;            // sha256 the compute nodes ran before
  std::vector<std::string> done;   // compute nodes switched and back in service
  std::string node;                // the compute node being switched now; "" between nodes
  RolloutPhase phase = RolloutPhase::kNone;  // kNone exactly when node is ""
  std::int64_t since = 0;          // when the phase began, seconds since the epoch (UTC)
  std::string stopped;             // "" while running; "<node>: <reason>" once stopped

  bool operator==(const RolloutSpec& other) const;
  bool operator!=(const RolloutSpec& other) const { return !(*this == other); }
};

struct WebSpec {
  std::string docroot = "/var/www/pydio";
  std::string alias = "/pydio";
  std::string health_file = "check.txt";  // file name inside docroot
  std::string user = "www-data";
  std::string group = "www-data";
  std::string public_url;   // e.g. https://files.example.com
  std::string server_name;  // derived from public_url when empty
  // Addresses (IPv4 or CIDR) whose X-Forwarded-For / X-Forwarded-Proto Apache believes
  // (RemoteIPInternalProxy); empty: the addresses of the lb nodes (effective_trusted_proxies).
  std::vector<std::string> trusted_proxies;
  // Operator-installed Pydio (docs/plans/web-tier.md §2). Empty: the default, which the
  // functions below give (and which is never written into saved documents).
  std::string install_dir;      // where Pydio is; default docroot
  std::string conf_dir;         // Pydio's conf/; default <install dir>/conf
  std::string local_cache_dir;  // AJXP_CACHE_DIR, node-local; default /var/cache/pydio
  PhpSpec php;
  // Seconds a rollout waits for a drained node's users to finish when no lb node reports
  // (an ELB: its health check interval x unhealthy threshold, the tutorial's 5 s x 2).
  int drain_seconds = 10;
  std::optional<ReleaseSpec> release;  // managed by agentctl app publish, never by a spec file
  std::optional<RolloutSpec> rollout;  // managed by the leader, never by a spec file
};

// The HAProxy of the nodes with role lb ("loadBalancer"; docs/desired-state.md). Defaults apply
// when an lb node exists and the section is absent.
struct LoadBalancerSpec {
  std::string bind = "0.0.0.0:80";  // frontend address:port
  std::string tls_certificate;      // PEM (certificate + key) for TLS termination; "" none
  std::string tls_bind = "0.0.0.0:443";
  int stats_port = 8404;         // stats page, on the lb node's private address only
  int check_interval_ms = 2000;  // HTTP check of GET /health/serving (inter)
  int fall = 2;
  int rise = 2;
  int agent_port = 8482;  // agent-check port the compute agents listen on
  int agent_interval_ms = 2000;
  std::string session_cookie = "AjaXplorer";  // Pydio 8's session cookie (SessionService.php)
  int timeout_seconds = 300;                  // timeout client/server (uploads)
  // A rollout waits at most this long for a drained server's sessions (scur) to reach 0.
  int drain_timeout_seconds = 300;

  bool operator==(const LoadBalancerSpec& other) const;
  bool operator!=(const LoadBalancerSpec& other) const { return !(*this == other); }
};

inline constexpr const char* kDefaultLocalCacheDir = "/var/cache/pydio";
// Where Pydio is: web.installDir, else the docroot; with web.release <docroot>/current (the
// link to the release the node serves).
std::string web_install_dir(const WebSpec& web);
std::string web_conf_dir(const WebSpec& web);
std::string web_local_cache_dir(const WebSpec& web);

// Scheduled backups of the database ("database.backup"; docs/operations.md, "Backups"): the
// leader has one healthy db member stream a mariadb-backup into the root-only folder
// pydio-agent/db-backups of `volume` (which every db node then mounts), checksummed.
struct BackupSpec {
  int interval_seconds = 86400;  // "intervalSeconds": a backup is due this long after the last
  int keep = 7;                  // "keep": the newest good backups kept
  std::int64_t max_total_mb = 0;  // "maxTotalMB": bound on their summed size, 0 = none
  int min_free_percent = 10;      // "minFreePercent": free space never taken from the target
  std::string volume = "pydio-data";  // "volume": the volume that holds them
  std::string offsite_hook;  // "offsiteHook": run with the backup's paths after each good one
  int rate_limit_mbps = 25;  // "rateLimitMBps": the stream's pace cap in MiB/s, 0 = none
  bool operator==(const BackupSpec&) const;
  bool operator!=(const BackupSpec& other) const { return !(*this == other); }
};

struct DatabaseSpec {
  // One server: its address (the one db node, or a server outside the cluster). "" when the
  // db nodes form a Galera cluster (three or more db nodes): then `members` is used.
  std::string host;
  // Galera: the addresses of the db nodes in document order (derived, never written), at least
  // three; empty with one server. Two db nodes are refused: no quorum after one failure.
  std::vector<std::string> members;
  int port = 3306;
  // Galera: the local database proxy every compute node runs on 127.0.0.1:<proxyPort>, through
  // which Pydio reaches a healthy member ("database.proxyPort").
  int proxy_port = 3307;
  std::string name = "pydio";
  std::string user = "pydio";
  std::vector<std::string> allowed_hosts;  // MySQL host patterns, e.g. 198.18.0.%
  std::optional<BackupSpec> backup;        // no backups when absent

  bool galera() const { return !members.empty(); }
};

// How the cluster protects itself beyond what is always on (docs/security.md).
struct SecuritySpec {
  // Gluster's own TLS (management and I/O), with the cluster CA and the node certificates;
  // volumes then admit only clients whose certificate names a storage or compute node
  // (auth.ssl-allow). Chosen at init: a running cluster cannot switch it (check_transition).
  bool gluster_tls = false;
  // The cluster CAs every node trusts for peer TLS ("caCertificates", PEM), first the one that
  // issues node certificates now; empty: only the CA each node got at init or join. Managed by
  // `agentctl rotate ca` (agent/daemon/ca_rotation.hpp), never by a spec file.
  std::vector<std::string> ca_certificates;
};

// A join token as the signed desired state holds it ("joinTokens"), so that every storage node
// can admit a join and nobody who cannot sign the document can add one. Never the secret: only
// its hash (agent/cluster/join_token.hpp makes and checks tokens; agentctl token manages them).
struct JoinTokenSpec {
  std::string id;            // the 6 characters before the "." of "<id>.<secret>", [a-z0-9]
  std::string secret_hash;   // "sha256:<64 lowercase hex digits>" of the 16-character secret
  std::int64_t expires = 0;  // seconds since the epoch (UTC); "2026-01-31T12:00:00Z" in JSON
  std::string description;   // optional, what the operator wrote at `agentctl token create`
};

struct DesiredState {
  std::string api_version;
  std::int64_t generation = 0;
  std::string cluster_name;
  std::vector<NodeSpec> nodes;
  std::vector<VolumeSpec> volumes;
  WebSpec web;
  DatabaseSpec database;
  SecuritySpec security;
  LoadBalancerSpec load_balancer;          // used only when a node has role lb
  std::vector<JoinTokenSpec> join_tokens;  // managed by agentctl token, never by a spec file

  const NodeSpec* find_node(const std::string& node_name) const;
  const VolumeSpec* find_volume(const std::string& volume_name) const;
  std::vector<const NodeSpec*> nodes_with_role(Role role) const;
  // "<address>:<brick path>" for every storage node, in node order.
  std::vector<std::string> brick_endpoints(const VolumeSpec& volume) const;
};

// Path of the brick directory of `volume` on `node`: "<mountpoint>/<volume name>" for a
// device brick (never the mountpoint itself, so an unmounted device can never make gluster
// write to the root filesystem), the directory itself for a directory brick.
// REQUIRES: the node has the volume's brick (guaranteed for validated documents).
std::string brick_path(const NodeSpec& node, const VolumeSpec& volume);

// web.trustedProxies, or the addresses of the lb nodes when it is empty.
std::vector<std::string> effective_trusted_proxies(const DesiredState& state);

std::string role_name(Role role);
// nullopt for a name that is not a role ("storage", "compute", "db", "lb").
std::optional<Role> parse_role(const std::string& name);

struct ValidationResult {
  std::shared_ptr<const DesiredState> state;  // set only when errors is empty
  std::vector<std::string> errors;            // "<json path>: <what is wrong>", one per problem
};

// Parses and validates a document. Every problem is reported, not just the first.
ValidationResult parse_desired_state(const std::string& json_text);

// Validates a state built in code (e.g. a parsed state with a node appended) by every rule
// parse_desired_state() applies, and returns the same lines in the same order as parsing the
// document serialize_desired_state() writes for it would; empty when valid. Every field
// counts as given, except optional texts left empty (web.publicUrl, web.serverName, a
// device-only field of a directory brick). Fills in no defaults: a valid state is used as is.
std::vector<std::string> validate_desired_state(const DesiredState& state);

// Pure: the problems with `next` replacing `current` that no single document shows: settings
// chosen once at init (security.glusterTls). Empty when `next` may replace it. Lines name the
// field, like validation errors.
std::vector<std::string> check_transition(const DesiredState& current, const DesiredState& next);

// The document as JSON text, in the same format parse_desired_state() reads.
std::string serialize_desired_state(const DesiredState& state);

}  // namespace pydio::common
