#pragma once
// Checks of single values in operator-written documents (names, paths, addresses). Each
// returns nullopt when the value is acceptable, otherwise the "<what is wrong>" half of an
// error line, ready to be prefixed with the field's JSON path.

#include <cstddef>
#include <optional>
#include <string>

namespace pydio::common {

// The value as a JSON string literal, for quoting it safely in messages.
std::string quote_value(const std::string& value);

// [A-Za-z0-9_.-]+, not starting with "-" (names end up in argv), at most max_length.
std::optional<std::string> check_name(const std::string& value, std::size_t max_length = 64);

enum class RootPath { kAllowed, kRefused };

// An absolute, normalized path without ".." components and without characters that would
// need quoting in fstab or Apache configuration (whitespace, quotes, backslash, control).
std::optional<std::string> check_absolute_path(const std::string& value,
                                               RootPath root = RootPath::kRefused);

// check_absolute_path() (never "/"), and not one of kProtectedDirectories
// (common/reserved_names.hpp), below one, or above one: the rule of every path field of the
// desired state, since the agent creates, mounts, exports or writes there as root.
std::optional<std::string> check_confined_path(const std::string& value);

// Dotted-quad IPv4 (no leading zeros) usable as a node address: not 0.0.0.0, not broadcast,
// not multicast.
std::optional<std::string> check_node_ipv4(const std::string& value);
bool is_ipv4(const std::string& value);

// A DNS host name (letters, digits, "-" in dot-separated labels) or an IPv4 address.
std::optional<std::string> check_host(const std::string& value);

// Portable POSIX user or group name: [A-Za-z_][A-Za-z0-9_.-]*, at most 32 characters.
std::optional<std::string> check_posix_name(const std::string& value, const char* what);

// True when `path` is `base` or lies below it (both normalized absolute paths).
bool path_is_within(const std::string& path, const std::string& base);

}  // namespace pydio::common
