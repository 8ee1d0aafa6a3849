#pragma once
// Text from the cluster (node names, health reasons, drain reasons, command errors, event
// messages) made safe for the status page. Every such string goes through html_text() before it
// reaches the page: a drain reason or a brick's error may be written by anyone who can make a
// command fail, and the operator's browser must show it, never run it.

#include <string>
#include <string_view>

namespace pydio::agent::api {

// `text` with & < > " ' replaced by their character references: safe inside an element and
// inside a double- or single-quoted attribute value.
std::string html_escape(std::string_view text);

// `text` as one printable line (invalid UTF-8 replaced, control characters as spaces, cut at
// kMaxHtmlText bytes; common/printable_text.hpp), then escaped.
std::string html_text(const std::string& text);

inline constexpr std::size_t kMaxHtmlText = 2000;

}  // namespace pydio::agent::api
