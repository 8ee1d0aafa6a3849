#include "agent/api/html_text.hpp"

#include "common/printable_text.hpp"

namespace pydio::agent::api {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string html_text(const std::string& text) {
  return html_escape(common::printable_line(text, kMaxHtmlText));
}

}  // namespace pydio::agent::api
