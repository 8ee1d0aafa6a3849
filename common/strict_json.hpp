#pragma once
// Strict reading of small JSON documents written by operators (desired state, agent.json,
// secrets.json). Every problem is collected as one line "<json path>: <what is wrong>" so a
// reader can report all of them at once instead of stopping at the first.
//
// Strict means: duplicate keys, unknown fields, wrong types and missing required fields are
// all errors (nlohmann would silently keep the last duplicate and ignore unknown keys).
// Messages never echo string values of fields marked secret (see ObjectReader::secret_string).
//
// Bounded: anyone who can write a document (a typo, or the web application on a shared
// volume) must not make the reader use unbounded memory, stack or error output. Documents
// over kMaxDocumentBytes or nested deeper than kMaxNestingDepth are refused unread, each
// duplicate key is reported once, and every ErrorLines holds at most kMaxErrorLines lines
// of at most kMaxErrorLineLength bytes.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pydio::common {

// Path of the document itself in messages, e.g. "document: malformed JSON at line 1, ...".
inline constexpr const char* kDocumentPath = "document";

using ErrorLines = std::vector<std::string>;

// The largest desired state written by hand is a few KB; 1 MiB leaves room for hundreds of
// nodes while keeping a hostile file from costing more than a few MiB to parse.
inline constexpr std::size_t kMaxDocumentBytes = 1024 * 1024;
// Objects and arrays inside one another; real documents use 4. Deeper is refused before the
// parser builds it, so nothing later (paths in messages, destructors) works on deep trees.
inline constexpr std::size_t kMaxNestingDepth = 64;
// What one report may hold: enough to fix a document in one pass, small enough for a log
// line and `agentctl status`. The line after the last one says that more were cut.
inline constexpr std::size_t kMaxErrorLines = 50;
inline constexpr std::size_t kMaxErrorLineLength = 512;
// Duplicate keys listed by name; more are counted in one line.
inline constexpr std::size_t kMaxDuplicateKeyLines = 20;

// "a" + "b" -> "a.b"; "" + "b" -> "b".
std::string json_member_path(const std::string& parent, const std::string& key);
// "a" + 2 -> "a[2]".
std::string json_element_path(const std::string& parent, std::size_t index);
// Adds "<path>: <what>" (path kDocumentPath when empty), cut to kMaxErrorLineLength bytes
// (at a UTF-8 boundary). Once `errors` holds kMaxErrorLines lines, adds one line saying that
// further errors are not listed, then nothing more.
void add_error(ErrorLines& errors, const std::string& path, const std::string& what);

// Whether a malformed-JSON message may quote the text near the error ("last read: ...").
// Files holding secrets use kNo, so a typo never prints part of a password.
enum class EchoInput { kYes, kNo };

// Parses text, reporting malformed JSON (with the parser's line and column), a text over
// kMaxDocumentBytes, nesting deeper than kMaxNestingDepth, and keys that appear more than
// once in one object (one line per duplicated key of an object, at most
// kMaxDuplicateKeyLines, then a count). Returns nullopt when anything was reported.
std::optional<nlohmann::json> parse_strict_json(const std::string& text, ErrorLines& errors,
                                                EchoInput echo = EchoInput::kYes);

// JSON type name for "must be a string, got number" messages.
std::string json_type_name(const nlohmann::json& value);

enum class Presence { kRequired, kOptional };

// Reads the members of one object. Each getter records the key as known, reports a missing
// required member or a wrong type, and returns nullopt/nullptr in those cases (and when an
// optional member is absent). finish() reports every member that no getter asked for.
// REQUIRES: `value` and `errors` outlive the reader.
class ObjectReader {
 public:
  // Reports "<path>: must be an object, got <type>" when value is not an object; the
  // getters then return nothing and report nothing.
  ObjectReader(const nlohmann::json& value, std::string path, ErrorLines& errors);

  bool is_object() const { return is_object_; }
  const std::string& path() const { return path_; }
  std::string path_of(const std::string& key) const { return json_member_path(path_, key); }
  bool has(const std::string& key) const;

  std::optional<std::string> string(const std::string& key, Presence presence);
  std::optional<std::int64_t> integer(const std::string& key, Presence presence);
  std::optional<bool> boolean(const std::string& key, Presence presence);
  const nlohmann::json* array(const std::string& key, Presence presence);
  const nlohmann::json* object(const std::string& key, Presence presence);

  // Reports members not read by any getter; `hint` is appended to keys that look like they
  // carry a secret (e.g. "password").
  void finish(const std::string& secret_hint = "");

 private:
  const nlohmann::json* member(const std::string& key, Presence presence);
  bool check_type(const nlohmann::json& value, const std::string& key, bool ok, const char* wanted);

  const nlohmann::json& value_;
  std::string path_;
  ErrorLines& errors_;
  bool is_object_;
  std::set<std::string> known_;
};

// Helpers for array elements (same messages as the ObjectReader getters).
std::optional<std::string> read_string_element(const nlohmann::json& value, const std::string& path,
                                               ErrorLines& errors);

}  // namespace pydio::common
