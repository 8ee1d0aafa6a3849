#pragma once
// MySQL account host patterns (database.allowedHosts, e.g. "198.18.0.%"): how MariaDB matches
// them against a client address, and whether one admits every IPv4 client. Pure.

#include <string>

namespace pydio::common {

// True when `text` matches the LIKE pattern `pattern` as MariaDB matches an account's host:
// "%" any run of characters (also none), "_" exactly one character, every other character
// itself, ASCII letters compared case-insensitively. Patterns here never contain "\" (the
// desired state refuses it), so there is no escape character.
bool host_pattern_matches(const std::string& pattern, const std::string& text);

// True when `pattern` matches every IPv4 address in dotted-quad form ("%", "%.%", "_%",
// "%%.%.%", ...). Sound and complete, see host_pattern.cpp.
bool matches_every_ipv4(const std::string& pattern);

}  // namespace pydio::common
