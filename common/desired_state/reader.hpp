#pragma once
// Readers of the sections of a desired-state document (JSON -> model), one file each; the
// top level and parse_desired_state() are in read_document.cpp. Internal to
// common/desired_state.
//
// Convention: a field whose value is invalid is reported and left empty in the model (0 for
// replica, -1 for arbiter), so the cross-field checks skip it instead of piling up follow-on
// errors. Defaults are documented in docs/desired-state.md; keep the two in step.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/desired_state.hpp"
#include "common/strict_json.hpp"

namespace pydio::common::desired_state {

// Appended to unknown keys that look like they carry a secret.
inline constexpr const char* kSecretHint =
    "secrets belong in /etc/pydio-agent/secrets.json, never in the desired state";

// One element of "nodes", at `path` (e.g. "nodes[2]"), with its bricks.
NodeSpec read_node(const nlohmann::json& value, const std::string& path, ErrorLines& errors);

// One element of "volumes", at `path`.
VolumeSpec read_volume(const nlohmann::json& value, const std::string& path, ErrorLines& errors);

// The "web" object.
WebSpec read_web(const nlohmann::json& value, ErrorLines& errors);

// The "loadBalancer" object: types only; check_load_balancer() checks the values.
LoadBalancerSpec read_load_balancer(const nlohmann::json& value, ErrorLines& errors);

// web.trustedProxies (an array given in the document: it must not be empty).
std::vector<std::string> read_trusted_proxies(const nlohmann::json& value, ErrorLines& errors);
// The "web.php" object (read_php.cpp).
PhpSpec read_php(const nlohmann::json& value, ErrorLines& errors);

// web.release and web.rollout: types only; check_release_fields() checks the values.
ReleaseSpec read_release(const nlohmann::json& value, ErrorLines& errors);
RolloutSpec read_rollout(const nlohmann::json& value, ErrorLines& errors);

// The "security" object.
SecuritySpec read_security(const nlohmann::json& value, ErrorLines& errors);

// security.caCertificates (each a self-signed CA certificate, PEM; ca_certificates.cpp).
std::vector<std::string> read_ca_certificates(const nlohmann::json& value, ErrorLines& errors);

// The "database" object, nullptr when absent. Its defaults come from `state`'s nodes.
DatabaseSpec read_database(const nlohmann::json* value, const DesiredState& state,
                           ErrorLines& errors);

// The "database.backup" object: types only; check_backup() checks the values.
BackupSpec read_backup(const nlohmann::json& value, ErrorLines& errors);
// Its JSON form, every field written (serialize.cpp).
nlohmann::ordered_json backup_to_json(const BackupSpec& backup);

// The "joinTokens" array (hashes of join tokens, never their secrets).
std::vector<JoinTokenSpec> read_join_tokens(const nlohmann::json& value, ErrorLines& errors);

}  // namespace pydio::common::desired_state
