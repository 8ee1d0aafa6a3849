// Directories opened and created on a real temp dir: a link on the path is never followed,
// never created through, and named in the error.
#include "agent/host/nofollow_dir.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "test/unit/support/temp_dir.hpp"

using namespace pydio::agent;
using pydio::test::TempDir;
namespace fs = std::filesystem;

TEST_CASE("a directory is opened without following a link", "[nofollow]") {
  TempDir tmp;
  fs::create_directories(tmp / "www/pydio");
  fs::create_directories(tmp / "elsewhere");
  fs::create_directory_symlink(tmp / "elsewhere", tmp / "linked");
  fs::create_directory_symlink(tmp / "elsewhere", tmp / "www/planted");

  SECTION("a real directory opens") {
    auto dir = open_directory_nofollow(tmp / "www/pydio");
    REQUIRE(dir);
    CHECK(dir->has_value());
  }
  SECTION("a missing one is nullopt, not an error") {
    auto dir = open_directory_nofollow(tmp / "www/none/deeper");
    REQUIRE(dir);
    CHECK_FALSE(dir->has_value());
    CHECK_FALSE(fs::exists(tmp / "www/none"));
  }
  SECTION("a link as the last component or on the way is refused, naming it and its target") {
    for (const std::string& path : {tmp / "linked", tmp / "linked/x", tmp / "www/planted"}) {
      auto dir = open_directory_nofollow(path);
      REQUIRE_FALSE(dir);
      const std::string link = path == tmp / "www/planted" ? path : tmp / "linked";
      CHECK(dir.status().message() == link + " is a symbolic link to " + (tmp / "elsewhere") +
                                          ", not a directory; the agent follows no link to " +
                                          path);
    }
  }
  SECTION("a file on the way is refused") {
    std::ofstream(tmp / "file") << "x";
    auto dir = open_directory_nofollow(tmp / "file/sub");
    REQUIRE_FALSE(dir);
    CHECK_THAT(dir.status().message(), Catch::Contains("a regular file owned by"));
  }
  SECTION("'..' is refused: it would leave the checked path") {
    auto dir = open_directory_nofollow(tmp / "www/pydio/../planted");
    REQUIRE_FALSE(dir);
    CHECK_THAT(dir.status().message(), Catch::Contains("'..'"));
  }
}

TEST_CASE("missing directories are created without following a link", "[nofollow]") {
  TempDir tmp;
  fs::create_directories(tmp / "www");
  fs::create_directories(tmp / "etc");
  fs::create_directory_symlink(tmp / "etc", tmp / "www/pydio");

  SECTION("every missing component is created, with the mode asked for") {
    auto dir = open_directory_nofollow(tmp / "www/app/public", MissingDirs::kCreate, 0750);
    REQUIRE(dir);
    REQUIRE(dir->has_value());
    CHECK(fs::is_directory(tmp / "www/app/public"));
    struct stat st {};
    REQUIRE(::fstat((*dir)->get(), &st) == 0);
    CHECK((st.st_mode & 0777) == (0750 & ~::umask(::umask(0))));
  }
  SECTION("an existing directory is opened and left as it is") {
    fs::create_directories(tmp / "www/app");
    auto dir = open_directory_nofollow(tmp / "www/app", MissingDirs::kCreate);
    REQUIRE(dir);
    CHECK(dir->has_value());
  }
  SECTION("a link on the path is refused and nothing is created behind it") {
    for (const std::string& path :
         {tmp / "www/pydio", tmp / "www/pydio/public", tmp / "www/pydio/public/deeper"}) {
      auto dir = open_directory_nofollow(path, MissingDirs::kCreate);
      REQUIRE_FALSE(dir);
      CHECK_THAT(dir.status().message(),
                 Catch::Contains(tmp / "www/pydio is a symbolic link to " + (tmp / "etc")));
    }
    CHECK(fs::is_empty(tmp / "etc"));
  }
}
