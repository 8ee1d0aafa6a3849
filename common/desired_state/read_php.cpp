// The "web.php" section of a desired-state document (PHP for Apache, rendered into the agent's
// conf.d drop-in by agent/resources/php_settings.cpp), its rules, and where tempDir may be.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>

#include "common/desired_state/cross_checks.hpp"
#include "common/desired_state/field_rules.hpp"
#include "common/desired_state/reader.hpp"
#include "common/field_checks.hpp"

namespace pydio::common {

bool PhpSpec::operator==(const PhpSpec& other) const {
  return version == other.version && upload_max_filesize == other.upload_max_filesize &&
         post_max_size == other.post_max_size && memory_limit == other.memory_limit &&
         max_execution_time == other.max_execution_time && max_input_time == other.max_input_time &&
         output_buffering == other.output_buffering && temp_dir == other.temp_dir;
}

namespace desired_state {

using nlohmann::json;

namespace {

constexpr std::int64_t kMaxSeconds = 86400;
constexpr std::uint64_t kMaxSizeBytes = std::uint64_t{64} << 30;  // 64G

std::optional<std::string> seconds_problem(std::int64_t value, std::int64_t min) {
  if (value < min || value > kMaxSeconds)
    return "must be between " + std::to_string(min) + " and " + std::to_string(kMaxSeconds) +
           ", got " + std::to_string(value);
  return std::nullopt;
}

// Every field but the sizes' relation, in document order; an invalid value is reset to the
// default so that the relation check below does not pile a second error on it.
void check_fields(PhpSpec& php, ErrorLines& errors) {
  const PhpSpec defaults;
  if (!accept(errors, "web.php.version", php.version, php_version_problem))
    php.version = defaults.version;
  if (!accept(errors, "web.php.uploadMaxFilesize", php.upload_max_filesize, php_size_problem))
    php.upload_max_filesize.clear();
  if (!accept(errors, "web.php.postMaxSize", php.post_max_size, php_size_problem))
    php.post_max_size.clear();
  accept(errors, "web.php.memoryLimit", php.memory_limit, [](const std::string& value) {
    return value == "-1" ? std::nullopt : php_size_problem(value);
  });
  if (auto problem = seconds_problem(php.max_execution_time, 0))
    add_error(errors, "web.php.maxExecutionTime", *problem);
  if (auto problem = seconds_problem(php.max_input_time, -1))
    add_error(errors, "web.php.maxInputTime", *problem);
  if (is_path_ok(errors, "web.php.tempDir", php.temp_dir)) {
    accept(errors, "web.php.tempDir", php.temp_dir, php_temp_dir_problem);
  }
}

// postMaxSize >= uploadMaxFilesize: PHP refuses a whole request over post_max_size before it
// looks at the file, so a smaller post_max_size makes upload_max_filesize a lie.
void check_relation(const PhpSpec& php, ErrorLines& errors) {
  if (php.upload_max_filesize.empty() || php.post_max_size.empty()) return;
  if (*php_size_bytes(php.post_max_size) < *php_size_bytes(php.upload_max_filesize)) {
    add_error(errors, "web.php.postMaxSize",
              "must be at least uploadMaxFilesize (" + php.upload_max_filesize + "), got " +
                  quote_value(php.post_max_size));
  }
}

}  // namespace

std::optional<std::uint64_t> php_size_bytes(const std::string& value) {
  static const std::regex kSize("^[1-9][0-9]{0,5}[KMG]?$");
  if (!std::regex_match(value, kSize)) return std::nullopt;
  std::uint64_t number = 0;
  std::uint64_t unit = 1;
  for (char c : value) {
    if (c >= '0' && c <= '9') number = number * 10 + static_cast<std::uint64_t>(c - '0');
    if (c == 'K') unit = std::uint64_t{1} << 10;
    if (c == 'M') unit = std::uint64_t{1} << 20;
    if (c == 'G') unit = std::uint64_t{1} << 30;
  }
  return number * unit;
}

std::optional<std::string> php_version_problem(const std::string& value) {
  static const std::regex kVersion("^[5-9]\\.[0-9]$");
  if (std::regex_match(value, kVersion)) return std::nullopt;
  return "must be a PHP major.minor version such as \"8.2\" or \"7.4\", got " + quote_value(value);
}

std::optional<std::string> php_size_problem(const std::string& value) {
  auto bytes = php_size_bytes(value);
  if (!bytes) {
    return "must be a PHP size: digits with an optional K, M or G (e.g. \"200M\"), got " +
           quote_value(value);
  }
  if (*bytes > kMaxSizeBytes) return "must be at most 64G, got " + quote_value(value);
  return std::nullopt;
}

std::optional<std::string> php_temp_dir_problem(const std::string& value) {
  // Written unquoted into a PHP ini file, where '$', ';', '"' and spaces mean something.
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '.' || c == '_' || c == '-';
    if (!ok)
      return "may hold only letters, digits, '/', '.', '_' and '-', got " + quote_value(value);
  }
  return std::nullopt;
}

PhpSpec read_php(const json& value, ErrorLines& errors) {
  PhpSpec php;
  ObjectReader reader(value, "web.php", errors);
  if (auto v = reader.string("version", Presence::kOptional)) php.version = *v;
  if (auto v = reader.string("uploadMaxFilesize", Presence::kOptional))
    php.upload_max_filesize = *v;
  if (auto v = reader.string("postMaxSize", Presence::kOptional)) php.post_max_size = *v;
  if (auto v = reader.string("memoryLimit", Presence::kOptional)) php.memory_limit = *v;
  // Out-of-range integers are clamped into a value the range check still refuses.
  const auto clamp = [](std::int64_t v) {
    return static_cast<int>(std::max<std::int64_t>(-2, std::min<std::int64_t>(v, kMaxSeconds + 1)));
  };
  if (auto v = reader.integer("maxExecutionTime", Presence::kOptional))
    php.max_execution_time = clamp(*v);
  if (auto v = reader.integer("maxInputTime", Presence::kOptional)) php.max_input_time = clamp(*v);
  if (auto v = reader.boolean("outputBuffering", Presence::kOptional)) php.output_buffering = *v;
  if (auto v = reader.string("tempDir", Presence::kOptional)) php.temp_dir = *v;
  reader.finish(kSecretHint);
  check_php(php, errors);
  return php;
}

void check_php(const PhpSpec& php, ErrorLines& errors) {
  PhpSpec checked = php;
  check_fields(checked, errors);
  check_relation(checked, errors);
}

void check_php_placement(const DesiredState& state, ErrorLines& errors) {
  const std::string& temp_dir = state.web.php.temp_dir;
  if (check_confined_path(temp_dir) || php_temp_dir_problem(temp_dir)) return;  // reported
  // Uploads are buffered there: on a volume a 200 MB upload would cross the network twice, and
  // under the docroot Apache would serve what is being uploaded.
  for (const auto& volume : state.volumes) {
    if (!volume.mountpoint.empty() && path_is_within(temp_dir, volume.mountpoint)) {
      add_error(errors, "web.php.tempDir",
                "must be on the node itself, not on volume " + volume.name + " (" +
                    volume.mountpoint + ")");
    }
  }
  if (!state.web.docroot.empty() && path_is_within(temp_dir, state.web.docroot)) {
    add_error(errors, "web.php.tempDir",
              "must not be under web.docroot (" + state.web.docroot + "): Apache would serve it");
  }
}

}  // namespace desired_state
}  // namespace pydio::common
