// web.php: read with the tutorial's defaults, validated field by field (errors name the field),
// serialized only where it differs from the defaults, and checked the same way in code.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/desired_state.hpp"
#include "test/unit/support/desired_state_errors.hpp"

namespace {

using nlohmann::json;
using pydio::common::parse_desired_state;
using pydio::common::PhpSpec;
using pydio::common::serialize_desired_state;
using pydio::common::validate_desired_state;

json minimal() {
  return json::parse(R"({
    "apiVersion": "pydio-agent/v1",
    "generation": 1,
    "cluster": {"name": "pydio"},
    "nodes": [{"name": "node1", "address": "198.18.0.1", "roles": ["storage", "compute", "db"],
               "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/data"}]}],
    "volumes": [{"name": "pydio-data", "brick": "data", "mountpoint": "/mnt/pydio-data"}]
  })");
}

json with_php(const json& php) {
  json document = minimal();
  document["web"] = {{"php", php}};
  return document;
}

using pydio::test::errors_of;
using pydio::test::has_line_starting;

}  // namespace

TEST_CASE("web.php defaults are the tutorial's and are not written out", "[desired_state][php]") {
  auto parsed = parse_desired_state(minimal().dump());
  REQUIRE(parsed.state);
  const PhpSpec& php = parsed.state->web.php;
  CHECK(php.version == "8.2");
  CHECK(php.upload_max_filesize == "200M");
  CHECK(php.post_max_size == "200M");
  CHECK(php.memory_limit == "128M");
  CHECK(php.max_execution_time == 30);
  CHECK(php.max_input_time == 60);
  CHECK_FALSE(php.output_buffering);
  CHECK(php.temp_dir == "/var/cache/pydio/tmp");
  CHECK_FALSE(json::parse(serialize_desired_state(*parsed.state))["web"].contains("php"));

  SECTION("given explicitly with default values: still not written out") {
    auto same = parse_desired_state(
        with_php({{"uploadMaxFilesize", "200M"}, {"outputBuffering", false}}).dump());
    REQUIRE(same.state);
    CHECK_FALSE(json::parse(serialize_desired_state(*same.state))["web"].contains("php"));
  }
}

TEST_CASE("web.php values are read and round-trip, only non-defaults written",
          "[desired_state][php]") {
  auto parsed = parse_desired_state(with_php({{"version", "7.4"},
                                              {"uploadMaxFilesize", "100M"},
                                              {"memoryLimit", "-1"},
                                              {"maxExecutionTime", 0},
                                              {"maxInputTime", -1},
                                              {"outputBuffering", true},
                                              {"tempDir", "/var/tmp/pydio-uploads"}})
                                        .dump());
  REQUIRE(parsed.state);
  const PhpSpec& php = parsed.state->web.php;
  CHECK(php.version == "7.4");
  CHECK(php.upload_max_filesize == "100M");
  CHECK(php.post_max_size == "200M");
  CHECK(php.memory_limit == "-1");
  CHECK(php.max_execution_time == 0);
  CHECK(php.max_input_time == -1);
  CHECK(php.output_buffering);
  CHECK(php.temp_dir == "/var/tmp/pydio-uploads");
  const std::string text = serialize_desired_state(*parsed.state);
  const json written = json::parse(text)["web"]["php"];
  CHECK_FALSE(written.contains("postMaxSize"));
  CHECK(written["uploadMaxFilesize"] == "100M");
  auto again = parse_desired_state(text);
  REQUIRE(again.state);
  CHECK(again.state->web.php == php);
  CHECK(serialize_desired_state(*again.state) == text);
  CHECK(validate_desired_state(*parsed.state).empty());
}

TEST_CASE("bad web.php values are refused naming the field", "[desired_state][php]") {
  SECTION("postMaxSize below uploadMaxFilesize") {
    auto errors = errors_of(with_php({{"uploadMaxFilesize", "200M"}, {"postMaxSize", "100M"}}));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] ==
          "web.php.postMaxSize: must be at least uploadMaxFilesize (200M), got \"100M\"");
    CHECK(errors_of(with_php({{"uploadMaxFilesize", "1G"}, {"postMaxSize", "1024M"}})).empty());
    CHECK_FALSE(
        errors_of(with_php({{"uploadMaxFilesize", "1G"}, {"postMaxSize", "1023M"}})).empty());
  }
  SECTION("sizes") {
    for (const char* bad : {"", "0", "200MB", "200m", "2T", "1234567M", "-1", "65G", " 200M"}) {
      INFO(bad);
      CHECK(has_line_starting(errors_of(with_php({{"uploadMaxFilesize", bad}})),
                              "web.php.uploadMaxFilesize: "));
    }
    CHECK(errors_of(with_php({{"uploadMaxFilesize", "64G"}, {"postMaxSize", "64G"}})).empty());
    CHECK(errors_of(with_php({{"memoryLimit", "512M"}})).empty());
    CHECK(has_line_starting(errors_of(with_php({{"memoryLimit", "-2"}})), "web.php.memoryLimit: "));
    // A bad size is one error, not also a relation error.
    CHECK(errors_of(with_php({{"postMaxSize", "lots"}})).size() == 1);
  }
  SECTION("version") {
    for (const char* bad : {"8", "8.2.1", "10.0", "4.4", "8.x", "php8.2"}) {
      INFO(bad);
      CHECK(has_line_starting(errors_of(with_php({{"version", bad}})), "web.php.version: "));
    }
  }
  SECTION("times") {
    CHECK(has_line_starting(errors_of(with_php({{"maxExecutionTime", -1}})),
                            "web.php.maxExecutionTime: "));
    CHECK(has_line_starting(errors_of(with_php({{"maxExecutionTime", 86401}})),
                            "web.php.maxExecutionTime: "));
    CHECK(has_line_starting(errors_of(with_php({{"maxInputTime", -2}})), "web.php.maxInputTime: "));
    CHECK(has_line_starting(errors_of(with_php({{"maxInputTime", 9999999999LL}})),
                            "web.php.maxInputTime: "));
  }
  SECTION("tempDir") {
    CHECK(
        has_line_starting(errors_of(with_php({{"tempDir", "relative/tmp"}})), "web.php.tempDir: "));
    CHECK(
        has_line_starting(errors_of(with_php({{"tempDir", "/etc/php/tmp"}})), "web.php.tempDir: "));
    CHECK(has_line_starting(errors_of(with_php({{"tempDir", "/var/cache/a;b"}})),
                            "web.php.tempDir: "));
    CHECK(has_line_starting(errors_of(with_php({{"tempDir", "/mnt/pydio-data/tmp"}})),
                            "web.php.tempDir: must be on the node itself"));
    CHECK(has_line_starting(errors_of(with_php({{"tempDir", "/var/www/pydio/tmp"}})),
                            "web.php.tempDir: must not be under web.docroot"));
  }
  SECTION("types and unknown keys") {
    CHECK(has_line_starting(errors_of(with_php({{"outputBuffering", "Off"}})),
                            "web.php.outputBuffering: "));
    CHECK(has_line_starting(errors_of(with_php({{"upload_max_filesize", "1M"}})),
                            "web.php.upload_max_filesize: "));
    json document = minimal();
    document["web"] = {{"php", "8.2"}};
    CHECK(has_line_starting(errors_of(document), "web.php: "));
  }
}

TEST_CASE("validate_desired_state checks web.php like the reader", "[desired_state][php]") {
  auto parsed = parse_desired_state(minimal().dump());
  REQUIRE(parsed.state);
  pydio::common::DesiredState state = *parsed.state;
  state.web.php.upload_max_filesize = "300M";
  std::vector<std::string> expected = errors_of(json::parse(serialize_desired_state(state)));
  REQUIRE(expected.size() == 1);
  CHECK(validate_desired_state(state) == expected);
  state.web.php.temp_dir = "/mnt/pydio-data/x";
  expected = errors_of(json::parse(serialize_desired_state(state)));
  REQUIRE(expected.size() == 2);
  CHECK(validate_desired_state(state) == expected);
}
