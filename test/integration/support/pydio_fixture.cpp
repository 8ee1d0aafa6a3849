#include "pydio_fixture.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/runner.hpp"

namespace pydio::test {

namespace fs = std::filesystem;

namespace {

std::string fixture_tree() {
  return std::string(PYDIO_SOURCE_DIR) + "/test/data/pydio-fixture/tree";
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_all(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

void replace_once(const fs::path& path, const std::string& from, const std::string& to) {
  std::string text = read_all(path);
  const std::size_t at = text.find(from);
  INFO(path.string() << " lacks " << from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  write_all(path, text);
}

}  // namespace

std::string build_pydio_fixture(const std::string& run_dir, FixtureVariant variant) {
  std::string name;
  int number = 1;
  switch (variant) {
    case FixtureVariant::kV1:
      name = "1";
      break;
    case FixtureVariant::kV2:
      name = "2", number = 2;
      break;
    case FixtureVariant::kV3:
      name = "3", number = 3;
      break;
    case FixtureVariant::kUnexpected:
      name = "unexpected";
      break;
  }
  const std::string top = "pydio-core-fixture-" + name;
  const fs::path staging = fs::path(run_dir) / ("fixture-staging-" + name);
  fs::remove_all(staging);
  fs::create_directories(staging);
  fs::copy(fixture_tree(), staging / top, fs::copy_options::recursive);
  const fs::path root = staging / top;
  write_all(root / "conf/VERSION", "fixture-" + std::to_string(number) + "__2026-11-30__t__68\n");
  switch (variant) {
    case FixtureVariant::kV1:
      break;
    case FixtureVariant::kV2:
      write_all(root / "release.txt", "fixture-2\n");
      break;
    case FixtureVariant::kV3:
      write_all(root / "index.php", "<?php echo ;\n");
      break;
    case FixtureVariant::kUnexpected:
      replace_once(root / "conf/bootstrap_context.php",
                   "define(\"AJXP_DATA_PATH\", AJXP_INSTALL_PATH.\"/data\");",
                   kUnexpectedDataPathLine);
      break;
  }
  const std::string archive = run_dir + "/" + top + ".tar.gz";
  common::SystemRunner runner;
  common::RunResult packed = runner.run(common::Command(
      {"tar", "--owner=0", "--group=0", "-czf", archive, "-C", staging.string(), top},
      std::chrono::seconds(60)));
  INFO("tar: " << packed.err);
  REQUIRE(packed.succeeded());
  fs::remove_all(staging);
  return archive;
}

void unpack_pydio_fixture(SimNode& node, const std::string& archive, const std::string& dir) {
  node.must({"mkdir", "-p", dir});
  node.must({"tar", "--no-same-owner", "-xzf", archive, "-C", dir, "--strip-components=1"});
}

}  // namespace pydio::test
