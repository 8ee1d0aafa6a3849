#pragma once
// Reading the recorded real outputs in test/data/ (and other files) from unit tests.

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

namespace pydio::test {

// The whole file; the test fails (REQUIRE) when it cannot be read.
inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  INFO("reading " << path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A file under test/data/, e.g. recorded_output("gluster/volume-info-started.xml").
inline std::string recorded_output(const std::string& relative_path) {
  return read_text_file(std::string(PYDIO_TEST_DATA_DIR) + "/" + relative_path);
}

}  // namespace pydio::test
