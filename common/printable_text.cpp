#include "common/printable_text.hpp"

namespace pydio::common {

namespace {

// Length of the valid UTF-8 sequence at text[at], 0 when there is none (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF).
std::size_t sequence_length(const std::string& text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  if (byte(at + 1) < low || byte(at + 1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i)
    if (byte(at + i) < 0x80 || byte(at + i) > 0xBF) return 0;
  return length;
}

}  // namespace

std::string printable_line(const std::string& text, std::size_t max_bytes) {
  std::string out;
  std::size_t last_fit = 0;  // out's size after the last character that leaves room for "..."
  bool cut = false;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t length = sequence_length(text, at);
    std::string character;
    if (length == 0) {
      character = "?";
      at += 1;
    } else {
      character = text.substr(at, length);
      if (length == 1 && (static_cast<unsigned char>(character[0]) < 0x20 || character[0] == 0x7f))
        character = " ";
      at += length;
    }
    if (out.size() + character.size() > max_bytes) {
      cut = true;
      break;
    }
    out += character;
    if (out.size() + 3 <= max_bytes) last_fit = out.size();
  }
  if (cut) out = out.substr(0, last_fit) + "...";
  return out;
}

}  // namespace pydio::common
