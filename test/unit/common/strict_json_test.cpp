#include "common/strict_json.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using pydio::common::add_error;
using pydio::common::ErrorLines;
using pydio::common::kMaxDocumentBytes;
using pydio::common::kMaxDuplicateKeyLines;
using pydio::common::kMaxErrorLineLength;
using pydio::common::kMaxErrorLines;
using pydio::common::kMaxNestingDepth;
using pydio::common::parse_strict_json;

std::size_t total_bytes(const ErrorLines& errors) {
  std::size_t bytes = 0;
  for (const auto& line : errors) bytes += line.size() + 1;
  return bytes;
}

std::string joined(const ErrorLines& errors) {
  std::string text;
  for (const auto& line : errors) text += line + "\n";
  return text;
}

// `depth` objects inside one another, each holding "a" twice: the document that once made
// 18 MB of errors out of 36 KB (every duplicate recorded its whole, ever longer, path).
std::string nested_duplicates(std::size_t depth) {
  std::string text;
  for (std::size_t i = 0; i < depth; ++i) text += R"({"a": 1, "a": )";
  text += "1";
  text.append(depth, '}');
  return text;
}

}  // namespace

TEST_CASE("duplicate keys are reported once per key of an object", "[strict_json]") {
  SECTION("one object, the same key thousands of times: one line") {
    std::string text = R"({"a": 1)";
    while (text.size() < 36 * 1024) text += R"(, "a": 1)";
    text += "}";
    ErrorLines errors;
    CHECK_FALSE(parse_strict_json(text, errors));
    INFO(joined(errors));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == "a: appears more than once in the same object (remove all but one)");
  }
  SECTION("a 36 KB document of nested duplicates: refused with a small report") {
    const std::string text = nested_duplicates(36 * 1024 / 14);
    REQUIRE(text.size() >= 36 * 1024);
    ErrorLines errors;
    CHECK_FALSE(parse_strict_json(text, errors));
    INFO(joined(errors));
    CHECK(total_bytes(errors) < 4 * 1024);
  }
  SECTION("nested duplicates within the depth cap, with long keys: lines listed, then counted") {
    const std::string key(400, 'k');
    std::string text;
    for (std::size_t i = 0; i + 1 < kMaxNestingDepth; ++i) {
      text += "{\"" + key + "\": 1, \"" + key + "\": ";
    }
    text += "1";
    text.append(kMaxNestingDepth - 1, '}');
    ErrorLines errors;
    CHECK_FALSE(parse_strict_json(text, errors));
    INFO(joined(errors));
    REQUIRE(errors.size() == kMaxDuplicateKeyLines + 1);
    for (const auto& line : errors) CHECK(line.size() <= kMaxErrorLineLength + 16);
    CHECK(errors.back() ==
          "document: " + std::to_string(kMaxNestingDepth - 1 - kMaxDuplicateKeyLines) +
              " more duplicated keys not listed");
    CHECK(total_bytes(errors) < 16 * 1024);
  }
  SECTION("two keys duplicated in one object: one line each, named by path") {
    ErrorLines errors;
    CHECK_FALSE(parse_strict_json(R"({"n": [{"x": 1, "y": 2, "x": 3, "y": 4, "x": 5}]})", errors));
    INFO(joined(errors));
    REQUIRE(errors.size() == 2);
    CHECK(errors[0] == "n[0].x: appears more than once in the same object (remove all but one)");
    CHECK(errors[1] == "n[0].y: appears more than once in the same object (remove all but one)");
  }
}

TEST_CASE("nesting deeper than the cap is refused without recursion", "[strict_json]") {
  SECTION("at the cap: accepted") {
    std::string text(kMaxNestingDepth, '[');
    text.append(kMaxNestingDepth, ']');
    ErrorLines errors;
    CHECK(parse_strict_json(text, errors));
    CHECK(errors.empty());
  }
  SECTION("one deeper: refused by name") {
    std::string text(kMaxNestingDepth + 1, '[');
    text.append(kMaxNestingDepth + 1, ']');
    ErrorLines errors;
    CHECK_FALSE(parse_strict_json(text, errors));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == "document: nested deeper than 64 levels of objects and arrays");
  }
  SECTION("a million open brackets, objects and arrays: refused, no stack overflow") {
    std::string objects;
    while (objects.size() < 1000 * 1000) objects += R"({"a":)";
    for (const std::string& text : {std::string(1000 * 1000, '['), objects}) {
      ErrorLines errors;
      CHECK_FALSE(parse_strict_json(text, errors));
      REQUIRE(errors.size() == 1);
      CHECK(errors[0] == "document: nested deeper than 64 levels of objects and arrays");
    }
  }
}

TEST_CASE("a document over 1 MiB is refused unread", "[strict_json]") {
  std::string text = R"({"a": ")";
  text.append(kMaxDocumentBytes - text.size() - 2, 'x');
  text += "\"}";
  REQUIRE(text.size() == kMaxDocumentBytes);
  ErrorLines errors;
  CHECK(parse_strict_json(text, errors));
  CHECK(errors.empty());

  text += " ";
  CHECK_FALSE(parse_strict_json(text, errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "document: too large: 1048577 bytes, at most 1048576 (1 MiB)");
}

TEST_CASE("error output is bounded in lines and line length", "[strict_json]") {
  SECTION("lines after the cap are replaced by one line saying so") {
    ErrorLines errors;
    for (int i = 0; i < 10000; ++i) add_error(errors, "f" + std::to_string(i), "unknown field");
    REQUIRE(errors.size() == kMaxErrorLines + 1);
    CHECK(errors.back() == "document: further errors not listed (only the first 50 are)");
  }
  SECTION("a long line is cut at a UTF-8 boundary and still serializes") {
    std::string key;
    while (key.size() < 4 * kMaxErrorLineLength) key += "\xC3\xA9";  // "é"
    ErrorLines errors;
    add_error(errors, "x" + key, "unknown field");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].size() <= kMaxErrorLineLength + 16);
    CHECK(errors[0].find("... (cut)") != std::string::npos);
    CHECK_NOTHROW(nlohmann::json(errors).dump());
  }
  SECTION("a malformed document with a huge token: one short line") {
    const std::string text = "{\"a\": tru" + std::string(500 * 1000, 'e') + "}";
    ErrorLines errors;
    CHECK_FALSE(parse_strict_json(text, errors));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].size() <= kMaxErrorLineLength + 16);
  }
}

TEST_CASE("error lines carry no control character (they reach an operator's terminal)",
          "[strict_json][bounds]") {
  ErrorLines errors;
  add_error(errors, "web.docroot", "got \"\x1b[2J\x1b]0;owned\x07\"");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "web.docroot: got \"\\x1B[2J\\x1B]0;owned\\x07\"");
  for (const char c : errors[0]) CHECK(static_cast<unsigned char>(c) >= 0x20);
}
