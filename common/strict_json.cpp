#include "common/strict_json.hpp"

#include <cctype>
#include <cstdio>
#include <limits>
#include <utility>

namespace pydio::common {

using nlohmann::json;

std::string json_member_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string json_element_path(const std::string& parent, std::size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

namespace {

// Cuts `line` to at most `limit` bytes without splitting a UTF-8 sequence (the lines end up
// in JSON answers, and nlohmann refuses to serialize invalid UTF-8).
void cut_line(std::string& line, std::size_t limit) {
  if (line.size() <= limit) return;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(line[end]) & 0xC0U) == 0x80U) --end;
  line.resize(end);
  line += "... (cut)";
}

// Control characters (ESC above all) written as \xNN: error lines quote the input and end up
// on an operator's terminal (agentctl), where raw escape sequences would act.
std::string without_control_characters(const std::string& line) {
  std::string out;
  out.reserve(line.size());
  for (const char c : line) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02X", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void add_error(ErrorLines& errors, const std::string& path, const std::string& what) {
  if (errors.size() > kMaxErrorLines) return;
  if (errors.size() == kMaxErrorLines) {
    errors.push_back(std::string(kDocumentPath) + ": further errors not listed (only the first " +
                     std::to_string(kMaxErrorLines) + " are)");
    return;
  }
  std::string line =
      without_control_characters((path.empty() ? std::string(kDocumentPath) : path) + ": " + what);
  cut_line(line, kMaxErrorLineLength);
  errors.push_back(std::move(line));
}

namespace {

// One open object or array while parsing, to name the location of a duplicate key.
struct OpenContainer {
  bool is_object = false;
  std::set<std::string> keys;
  std::set<std::string> duplicated;  // keys already reported (or counted) as duplicates
  std::string current_key;
  long index = -1;  // arrays: index of the element being read
};

// REQUIRES: open.size() <= kMaxNestingDepth (so a path has at most that many parts).
std::string location(const std::vector<OpenContainer>& open) {
  std::string path;
  for (const auto& container : open) {
    if (container.is_object) {
      path = json_member_path(path, container.current_key);
    } else if (container.index >= 0) {
      path = json_element_path(path, static_cast<std::size_t>(container.index));
    }
  }
  return path;
}

// "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." ->
// "at line 1, column 5: syntax error ...".
std::string parser_message(const std::string& what) {
  std::string message = what;
  const auto bracket = message.find("] ");
  if (message.rfind("[json.exception.", 0) == 0 && bracket != std::string::npos) {
    message = message.substr(bracket + 2);
  }
  const std::string prefix = "parse error ";
  if (message.rfind(prefix, 0) == 0) message = message.substr(prefix.size());
  return message;
}

// Thrown from the parser callback to stop parsing a document nested too deeply.
struct NestingTooDeep {};

}  // namespace

std::optional<json> parse_strict_json(const std::string& text, ErrorLines& errors, EchoInput echo) {
  if (text.size() > kMaxDocumentBytes) {
    add_error(errors, kDocumentPath,
              "too large: " + std::to_string(text.size()) + " bytes, at most " +
                  std::to_string(kMaxDocumentBytes) + " (1 MiB)");
    return std::nullopt;
  }
  std::vector<OpenContainer> open;
  ErrorLines duplicates;
  std::size_t unlisted_duplicates = 0;
  auto element_started = [&open] {
    if (!open.empty() && !open.back().is_object) ++open.back().index;
  };
  auto container_started = [&](bool is_object) {
    if (open.size() >= kMaxNestingDepth) throw NestingTooDeep{};
    element_started();
    open.push_back(OpenContainer{is_object, {}, {}, {}, -1});
  };
  // The location is built only for the lines kept, so a flood of duplicates costs no more
  // than the set lookups.
  auto duplicate_found = [&](OpenContainer& object) {
    if (!object.duplicated.insert(object.current_key).second) return;
    if (duplicates.size() < kMaxDuplicateKeyLines) {
      add_error(duplicates, location(open),
                "appears more than once in the same object (remove all but one)");
    } else {
      ++unlisted_duplicates;
    }
  };
  json::parser_callback_t callback = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        container_started(true);
        break;
      case json::parse_event_t::array_start:
        container_started(false);
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!open.empty()) open.pop_back();
        break;
      case json::parse_event_t::key: {
        if (open.empty() || !parsed.is_string()) break;
        auto& object = open.back();
        object.current_key = parsed.get<std::string>();
        if (!object.keys.insert(object.current_key).second) duplicate_found(object);
        break;
      }
      case json::parse_event_t::value:
        element_started();
        break;
    }
    return true;
  };

  json document;
  try {
    document = json::parse(text, callback, /*allow_exceptions=*/true,
                           /*ignore_comments=*/false);
  } catch (const NestingTooDeep&) {
    add_error(
        errors, kDocumentPath,
        "nested deeper than " + std::to_string(kMaxNestingDepth) + " levels of objects and arrays");
    return std::nullopt;
  } catch (const json::exception& error) {
    std::string message = parser_message(error.what());
    const auto last_read = message.find("; last read:");
    if (echo == EchoInput::kNo && last_read != std::string::npos) message.erase(last_read);
    add_error(errors, kDocumentPath, "malformed JSON " + message);
    return std::nullopt;
  }
  if (!duplicates.empty()) {
    for (const auto& line : duplicates) {
      if (errors.size() < kMaxErrorLines) errors.push_back(without_control_characters(line));
    }
    if (unlisted_duplicates > 0) {
      add_error(errors, kDocumentPath,
                std::to_string(unlisted_duplicates) + " more duplicated keys not listed");
    }
    return std::nullopt;
  }
  return document;
}

std::string json_type_name(const json& value) {
  if (value.is_number_integer()) return "integer";
  if (value.is_number_float()) return "number";
  return value.type_name();
}

ObjectReader::ObjectReader(const json& value, std::string path, ErrorLines& errors)
    : value_(value), path_(std::move(path)), errors_(errors), is_object_(value.is_object()) {
  if (!is_object_) add_error(errors_, path_, "must be an object, got " + json_type_name(value));
}

bool ObjectReader::has(const std::string& key) const { return is_object_ && value_.contains(key); }

const json* ObjectReader::member(const std::string& key, Presence presence) {
  known_.insert(key);
  if (!is_object_) return nullptr;
  const auto found = value_.find(key);
  if (found == value_.end()) {
    if (presence == Presence::kRequired) add_error(errors_, path_of(key), "required");
    return nullptr;
  }
  return &*found;
}

bool ObjectReader::check_type(const json& value, const std::string& key, bool ok,
                              const char* wanted) {
  if (!ok) {
    add_error(errors_, path_of(key),
              std::string("must be ") + wanted + ", got " + json_type_name(value));
  }
  return ok;
}

std::optional<std::string> ObjectReader::string(const std::string& key, Presence presence) {
  const json* value = member(key, presence);
  if (value == nullptr || !check_type(*value, key, value->is_string(), "a string")) {
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<std::int64_t> ObjectReader::integer(const std::string& key, Presence presence) {
  const json* value = member(key, presence);
  if (value == nullptr || !check_type(*value, key, value->is_number_integer(), "an integer")) {
    return std::nullopt;
  }
  if (value->is_number_unsigned() &&
      value->get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    add_error(errors_, path_of(key), "integer out of range");
    return std::nullopt;
  }
  return value->get<std::int64_t>();
}

std::optional<bool> ObjectReader::boolean(const std::string& key, Presence presence) {
  const json* value = member(key, presence);
  if (value == nullptr ||
      !check_type(*value, key, value->is_boolean(), "a boolean (true or false)")) {
    return std::nullopt;
  }
  return value->get<bool>();
}

const json* ObjectReader::array(const std::string& key, Presence presence) {
  const json* value = member(key, presence);
  if (value == nullptr || !check_type(*value, key, value->is_array(), "an array")) {
    return nullptr;
  }
  return value;
}

const json* ObjectReader::object(const std::string& key, Presence presence) {
  const json* value = member(key, presence);
  if (value == nullptr || !check_type(*value, key, value->is_object(), "an object")) {
    return nullptr;
  }
  return value;
}

namespace {
bool looks_secret(const std::string& key) {
  std::string lower;
  for (char c : key) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"password", "passwd", "secret", "token", "key"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

void ObjectReader::finish(const std::string& secret_hint) {
  if (!is_object_) return;
  for (const auto& [key, unused] : value_.items()) {
    (void)unused;
    if (known_.count(key) != 0) continue;
    std::string what = "unknown field";
    if (!secret_hint.empty() && looks_secret(key)) what += " (" + secret_hint + ")";
    add_error(errors_, path_of(key), what);
  }
}

std::optional<std::string> read_string_element(const json& value, const std::string& path,
                                               ErrorLines& errors) {
  if (!value.is_string()) {
    add_error(errors, path, "must be a string, got " + json_type_name(value));
    return std::nullopt;
  }
  return value.get<std::string>();
}

}  // namespace pydio::common
