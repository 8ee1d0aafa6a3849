#pragma once
// Per-node settings (/etc/pydio-agent/agent.json) and secrets (/etc/pydio-agent/secrets.json,
// 0600 root). Both are local to the node and never written to a shared volume.

#include <string>

#include "common/status.hpp"

namespace pydio::common {

inline constexpr const char* kDefaultConfigPath = "/etc/pydio-agent/agent.json";
inline constexpr const char* kDefaultSecretsPath = "/etc/pydio-agent/secrets.json";
inline constexpr const char* kDefaultPkiDir = "/etc/pydio-agent/pki";

enum class ServiceManager { kAuto, kSystemd, kDirect };

struct LocalConfig {
  std::string node_name;                       // this node's name in the desired state
  std::string address;                         // private address (gluster identity)
  std::string health_listen = "0.0.0.0:8480";  // host:port of GET /health
  // host:port of GET /metrics (Prometheus); default "<address>:8483", "" when turned off.
  std::string metrics_listen;
  std::string admin_socket = "/run/pydio-agent/admin.sock";
  std::string state_dir = "/var/lib/pydio-agent";  // last valid desired state, events, drain flag
  std::string secrets_path = kDefaultSecretsPath;
  // Keys and certificates (root 0700): the cluster CA, this node's certificate, the key that
  // signs the desired state. Private keys only on the nodes that hold them (docs/security.md).
  std::string pki_dir = kDefaultPkiDir;
  ServiceManager services = ServiceManager::kAuto;  // auto: systemd when /run/systemd/system exists
  // Timer-triggered passes; mount-table, health and desired-state changes trigger passes at
  // once, so the timer only catches drift nothing signals (a deleted vhost, a chown).
  int pass_interval_seconds = 60;
  // Leader lease duration. A killed leader is replaced within it plus one renew interval
  // (duration / 3): 3 s gives failover in about 4 s.
  int lease_seconds = 3;
  std::string apache_config_dir = "/etc/apache2";
  std::string mysql_datadir = "/var/lib/mysql";
  std::string mysql_socket = "/run/mysqld/mysqld.sock";
  // Missing distribution packages of this node's roles (PHP for compute, haproxy for lb) are
  // installed with apt-get when true; when false they are reported by name and never installed
  // (simulated test nodes, whose /usr and dpkg database are the host's).
  bool install_packages = true;
  // Where the agent writes the PHP probe page (root-owned, outside Pydio's tree); the vhost
  // serves it as /.pydio-agent/ to local requests only.
  std::string php_probe_dir = "/var/www/pydio-agent";
};

// Join tokens are not secrets of a node: the signed desired state holds their hashes
// (JoinTokenSpec) and nothing holds the tokens themselves.
struct Secrets {
  std::string db_password;     // password of DatabaseSpec::user
  std::string lease_password;  // password of the agents' own lease user
  // Set by load_secrets when the file held a field this version no longer keeps (the join
  // token of older versions): the agent writes the file again without it.
  bool has_dropped_fields = false;
};

Expected<LocalConfig> load_local_config(const std::string& path);
// Refuses a file readable or writable by group or others, naming the mode it found.
Expected<Secrets> load_secrets(const std::string& path);
// Writes atomically with mode 0600.
Status save_secrets(const std::string& path, const Secrets& secrets);

}  // namespace pydio::common
