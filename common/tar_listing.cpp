#include "common/tar_listing.hpp"

#include <cctype>
#include <optional>
#include <sstream>

#include "common/field_checks.hpp"

namespace pydio::common {

namespace {

// A C-quoted string (GNU quotearg's c style) starting at text[at] == '"'. On success `at` is
// just past the closing quote.
std::optional<std::string> read_quoted(const std::string& text, std::size_t& at) {
  if (at >= text.size() || text[at] != '"') return std::nullopt;
  std::string out;
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      at = i + 1;
      return out;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= text.size()) return std::nullopt;
    const char e = text[i];
    // The escapes of quotearg's c style; anything else is three octal digits.
    static const std::string kLetters = "abfnrtv\\\"?'";
    static const std::string kBytes = "\a\b\f\n\r\t\v\\\"?'";
    if (const auto letter = kLetters.find(e); letter != std::string::npos) {
      out += kBytes[letter];
      continue;
    }
    // A byte tar did not print as is (non-ASCII in the C locale).
    if (i + 2 >= text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t k = i; k < i + 3; ++k) {
      if (text[k] < '0' || text[k] > '7') return std::nullopt;
      value = value * 8 + (text[k] - '0');
    }
    if (value > 0377) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return std::nullopt;
}

bool all_digits(const std::string& text) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text)
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  return true;
}

// "<mode> <uid>/<gid> <size> <date> <time> <quoted name>[ -> "<target>"| link to "<target>"]"
std::optional<TarMember> read_member(const std::string& line) {
  std::istringstream fields(line);
  std::string mode, owner, size, date, time;
  if (!(fields >> mode >> owner >> size >> date >> time)) return std::nullopt;
  if (mode.size() != 10 || owner.find('/') == std::string::npos) return std::nullopt;
  TarMember member;
  member.type = mode.front();
  if (all_digits(size)) {
    member.size = std::stoll(size);
  } else if (size.find(',') == std::string::npos) {  // a device's "major,minor"
    return std::nullopt;
  }
  const auto after_time = fields.tellg();
  if (after_time < 0) return std::nullopt;
  std::size_t at = static_cast<std::size_t>(after_time);
  if (at >= line.size() || line[at] != ' ') return std::nullopt;
  ++at;
  auto name = read_quoted(line, at);
  if (!name) return std::nullopt;
  member.name = *name;
  const std::string rest = line.substr(at);
  std::string prefix;
  if (member.type == 'l') prefix = " -> ";
  if (member.type == 'h') prefix = " link to ";
  if (prefix.empty()) {
    if (!rest.empty()) return std::nullopt;
    return member;
  }
  if (rest.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  at += prefix.size();
  auto link = read_quoted(line, at);
  if (!link || at != line.size()) return std::nullopt;
  member.link = *link;
  return member;
}

}  // namespace

Expected<std::vector<TarMember>> parse_tar_listing(const std::string& listing) {
  std::vector<TarMember> members;
  std::size_t number = 0;
  std::size_t start = 0;
  while (start < listing.size()) {
    std::size_t end = listing.find('\n', start);
    if (end == std::string::npos) end = listing.size();
    const std::string line = listing.substr(start, end - start);
    start = end + 1;
    ++number;
    if (line.empty()) continue;
    auto member = read_member(line);
    if (!member) {
      return Status::error(
          "listing line " + std::to_string(number) +
          " is not a member as tar lists them: " + quote_value(line.substr(0, 200)));
    }
    member->line = number;
    members.push_back(std::move(*member));
  }
  return members;
}

}  // namespace pydio::common
