#pragma once
// The rule for each single value of a desired-state document, shared by the reader of JSON
// text (read_*.cpp) and the validator of a state built in code (validate.cpp) so both refuse
// the same values with the same words. Internal to common/desired_state.
//
// A *_problem() function returns nullopt when the value is acceptable, otherwise the
// "<what is wrong>" half of an error line; the caller adds the field's JSON path.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/desired_state.hpp"
#include "common/strict_json.hpp"

namespace pydio::common::desired_state {

inline constexpr std::size_t kMaxNameLength = 64;
inline constexpr std::size_t kMaxOptionNameLength = 128;
inline constexpr std::size_t kMaxDatabaseUserLength = 32;  // MySQL's limit; MariaDB allows more
// 2^53-1: the agents compute generation + 1 in int64 (never overflows below this bound), and
// every JSON implementation reads it exactly (it is a double's largest exact integer).
inline constexpr std::int64_t kMaxGeneration = (std::int64_t{1} << 53) - 1;

// Messages about the kind of a brick (device or directory) and the fields of the other kind.
inline constexpr const char* kBrickHasBothKinds =
    "has both \"device\" and \"directory\"; a brick is one or the other";
inline constexpr const char* kBrickHasNoKind = "needs \"device\" (a block device) or \"directory\"";
inline constexpr const char* kMountpointOnlyForDevice =
    "only for device bricks (a directory brick is not mounted)";
inline constexpr const char* kMountpointRequired = "required for a device brick";
inline constexpr const char* kOnlyForDeviceBricks = "only for device bricks";
inline constexpr const char* kOnlyForDirectoryBricks = "only for directory bricks";
inline constexpr const char* kNoNodes = "must list at least one node";
inline constexpr const char* kNoVolumes = "must list at least one volume";
inline constexpr const char* kNoRoles = "must list at least one role";
inline constexpr const char* kNoAllowedHosts =
    "must list at least one host (omit the field to allow every node's address)";

// Reports the problem `check(value)` finds under `path`. True when the value is acceptable.
template <typename Check>
bool accept(ErrorLines& errors, const std::string& path, const std::string& value, Check check) {
  if (auto problem = check(value)) {
    add_error(errors, path, *problem);
    return false;
  }
  return true;
}

// "must be between LOW and HIGH, got VALUE" unless low <= value <= high.
std::optional<std::string> range_problem(std::int64_t value, std::int64_t low, std::int64_t high);
// Reports range_problem() under `field`.
void check_int(ErrorLines& errors, const std::string& field, std::int64_t value, std::int64_t low,
               std::int64_t high);

bool is_name_ok(ErrorLines& errors, const std::string& path, const std::string& value,
                std::size_t max_length = kMaxNameLength);
// A path field: check_confined_path() (absolute, normalized, outside the protected dirs).
bool is_path_ok(ErrorLines& errors, const std::string& path, const std::string& value);
// A value written into a PHP string of Pydio's files: no ", \, $ or control character.
std::optional<std::string> php_literal_problem(const std::string& value);
// web.installDir, web.confDir, web.localCacheDir: the path rules, and writable into PHP.
std::optional<std::string> pydio_path_problem(const std::string& value);

std::optional<std::string> api_version_problem(const std::string& value);
std::optional<std::string> generation_problem(std::int64_t value);
// "role \"storage\" listed twice" for a role already in `earlier`, else nullopt.
std::optional<std::string> repeated_role_problem(Role role, const std::vector<Role>& earlier);

// Bricks.
std::optional<std::string> device_problem(const std::string& value);
std::optional<std::string> filesystem_problem(const std::string& value);

// Volumes.
std::optional<std::string> volume_name_problem(const std::string& value);
std::optional<std::string> replica_problem(std::int64_t value);
std::optional<std::string> arbiter_problem(std::int64_t value);
// REQUIRES: both values valid on their own (0 for a replica that was not).
std::optional<std::string> arbiter_replica_problem(int arbiter, int replica);
// Reported under the path of "options" itself, since the name is what is wrong.
std::optional<std::string> option_name_problem(const std::string& key);
std::optional<std::string> option_value_problem(const std::string& value);

// Web.
std::optional<std::string> alias_problem(const std::string& alias);
std::optional<std::string> health_file_problem(const std::string& value);
// Host of an http(s) URL, or the problem with the URL.
struct UrlHost {
  std::string host;
  std::optional<std::string> problem;
};
UrlHost url_host(const std::string& url);

// "<IPv4>:<port>" (loadBalancer.bind, tlsBind).
std::optional<std::string> host_port_problem(const std::string& value);
// web.trustedProxies: an IPv4 address or CIDR block, not /0.
std::optional<std::string> proxy_address_problem(const std::string& value);
void check_trusted_proxies(const std::vector<std::string>& proxies, ErrorLines& errors);
// web.php (read_php.cpp).
// Bytes of a PHP size ("200M"): digits with an optional K, M or G; nullopt when it is not one.
std::optional<std::uint64_t> php_size_bytes(const std::string& value);
std::optional<std::string> php_version_problem(const std::string& value);
std::optional<std::string> php_size_problem(const std::string& value);
std::optional<std::string> php_temp_dir_problem(const std::string& value);
// Every single-field rule of web.php and postMaxSize >= uploadMaxFilesize, as the reader
// reports them.
void check_php(const PhpSpec& php, ErrorLines& errors);

// Database.
std::optional<std::string> port_problem(std::int64_t value);
// database.name: a name, not a reserved schema (common/reserved_names.hpp).
std::optional<std::string> database_name_problem(const std::string& value);
// database.user: a name of at most 32 characters, not a reserved account.
std::optional<std::string> database_user_problem(const std::string& value);

// web.user and web.group (`what`: "user" or "group"): a POSIX name, not a system account
// (common/reserved_names.hpp).
std::optional<std::string> web_account_problem(const std::string& value, const char* what);
// A MySQL host pattern for database.allowedHosts, given the patterns accepted before it:
// not starting with "-", and not matching every IPv4 address (common/host_pattern.hpp).
std::optional<std::string> allowed_host_problem(const std::string& host,
                                                const std::vector<std::string>& earlier);

// Join tokens (join_tokens.cpp).
inline constexpr std::size_t kMaxJoinTokens = 100;
inline constexpr std::size_t kMaxTokenDescriptionLength = 200;
std::optional<std::string> token_id_problem(const std::string& value);
std::optional<std::string> token_hash_problem(const std::string& value);
std::optional<std::string> token_description_problem(const std::string& value);
// Every rule for "joinTokens" on a list built in code, in the order the reader reports them.
void check_join_tokens(const std::vector<JoinTokenSpec>& tokens, ErrorLines& errors);

// web.drainSeconds, web.release and web.rollout, value by value (release.cpp).
void check_release_fields(const WebSpec& web, ErrorLines& errors);

// security.caCertificates (ca_certificates.cpp): during a CA rotation the old and the new CA.
inline constexpr std::size_t kMaxCaCertificates = 3;
inline constexpr std::size_t kMaxCaCertificateLength = 8 * 1024;
// nullopt when `pem` is one self-signed CA certificate in PEM and nothing else.
std::optional<std::string> ca_certificate_problem(const std::string& pem);
// Every rule for "security.caCertificates" on a list built in code, as the reader reports them.
void check_ca_certificates(const std::vector<std::string>& certificates, ErrorLines& errors);

}  // namespace pydio::common::desired_state
