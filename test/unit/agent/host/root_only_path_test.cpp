// The release steps run only below directories only root can change: checked on real
// directories in a temporary directory (the tests run as root).

#include "agent/host/root_only_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "test/unit/support/temp_dir.hpp"

using namespace pydio::agent;
using pydio::common::Status;
using pydio::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string make_dirs(const TempDir& tmp, const std::string& rel, mode_t mode) {
  const std::string path = tmp / rel;
  fs::create_directories(path);
  for (fs::path p = path; p.string().size() > tmp.path().size(); p = p.parent_path())
    REQUIRE(::chmod(p.c_str(), mode) == 0);
  return path;
}

}  // namespace

TEST_CASE("a chain of root-owned 0755 directories is accepted", "[release_host]") {
  TempDir tmp;  // below /tmp: root's, sticky, and the next component exists
  REQUIRE(::getuid() == 0);
  const std::string releases = make_dirs(tmp, "www/pydio/releases", 0755);
  CHECK(check_root_only_path(releases));
  // A missing tail is root's to create.
  CHECK(check_root_only_path(tmp / "www/pydio/releases/more/releases"));
}

TEST_CASE("a directory others can write is refused, named with its owner and mode",
          "[release_host]") {
  TempDir tmp;
  const std::string releases = make_dirs(tmp, "www/pydio/releases", 0755);
  REQUIRE(::chmod((tmp / "www/pydio").c_str(), 0777) == 0);
  Status checked = check_root_only_path(releases);
  REQUIRE_FALSE(checked);
  CHECK_THAT(checked.message(),
             Catch::Contains(tmp / "www/pydio is owned by root (uid 0), mode 0777"));
  CHECK_THAT(checked.message(), Catch::Contains("chmod go-w " + tmp / "www/pydio"));
  // Group-writable is refused too, also as the last, missing-tail parent.
  REQUIRE(::chmod((tmp / "www/pydio").c_str(), 0775) == 0);
  CHECK_FALSE(check_root_only_path(tmp / "www/pydio/releases"));
  REQUIRE(::chmod((tmp / "www/pydio").c_str(), 0755) == 0);
  REQUIRE(::chmod(releases.c_str(), 01777) == 0);  // sticky but the last: others add in it
  CHECK_FALSE(check_root_only_path(releases));
}

TEST_CASE("a directory the web user owns is refused with what to do", "[release_host]") {
  TempDir tmp;
  const std::string releases = make_dirs(tmp, "www/pydio/releases", 0755);
  REQUIRE(::chown((tmp / "www/pydio").c_str(), 33, 33) == 0);
  Status checked = check_root_only_path(releases);
  REQUIRE_FALSE(checked);
  CHECK_THAT(checked.message(), Catch::Contains("(uid 33), mode 0755"));
  CHECK_THAT(checked.message(), Catch::Contains("chown root:root " + tmp / "www/pydio"));
  // Owned by someone else even when the releases directory itself is still missing.
  fs::remove(releases);
  CHECK_FALSE(check_root_only_path(releases));
}

TEST_CASE("a symbolic link on the path is refused", "[release_host]") {
  TempDir tmp;
  make_dirs(tmp, "elsewhere/releases", 0755);
  make_dirs(tmp, "www", 0755);
  fs::create_directory_symlink(tmp / "elsewhere", tmp / "www/pydio");
  Status checked = check_root_only_path(tmp / "www/pydio/releases");
  REQUIRE_FALSE(checked);
  CHECK_THAT(checked.message(), Catch::Contains(tmp / "www/pydio is a symbolic link"));
}
