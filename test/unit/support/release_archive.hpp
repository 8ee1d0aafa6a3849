#pragma once
// Release archives for unit tests of the release steps: test/data/pydio-fixture/tree packed
// with real tar as Pydio's releases are (one top directory), into a temporary directory.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/runner.hpp"

namespace pydio::test {

// Packs the fixture with conf/VERSION "<version>__2026-11-30__t__68" (and index.php replaced
// by `index_php` when given) into <dir>/pydio-core-<version>.tar.gz; returns its path.
inline std::string make_release_archive(const std::string& dir, const std::string& version,
                                        const std::string& index_php = "") {
  namespace fs = std::filesystem;
  const std::string top = "pydio-core-" + version;
  const fs::path staging = fs::path(dir) / ("staging-" + version);
  fs::create_directories(staging);
  fs::copy(std::string(PYDIO_TEST_DATA_DIR) + "/pydio-fixture/tree", staging / top,
           fs::copy_options::recursive);
  std::ofstream(staging / top / "conf/VERSION") << version << "__2026-11-30__t__68\n";
  if (!index_php.empty()) std::ofstream(staging / top / "index.php", std::ios::trunc) << index_php;
  const std::string archive = dir + "/" + top + ".tar.gz";
  common::SystemRunner runner;
  auto packed = runner.run(common::Command(
      {"tar", "--owner=0", "--group=0", "-czf", archive, "-C", staging.string(), top}));
  INFO(packed.err);
  REQUIRE(packed.succeeded());
  fs::remove_all(staging);
  return archive;
}

// "sha256:<hex>" of a file, by sha256sum (a second opinion on the agent's own hashing).
inline std::string sha256sum_of(const std::string& path) {
  common::SystemRunner runner;
  auto result = runner.run(common::Command({"sha256sum", path}));
  REQUIRE(result.succeeded());
  return "sha256:" + result.out.substr(0, 64);
}

}  // namespace pydio::test
