// The agent's folder on pydio-config is read only when root alone can change it, and nothing in
// it is followed through a link or waited on.

#include "agent/cluster/trusted_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

using namespace pydio::agent;

TEST_CASE("a folder is trusted only as a root-owned 0700 directory", "[trusted_dir]") {
  CHECK(untrusted_dir_problem("/m/pydio-agent", true, 0, 040700).empty());
  CHECK_THAT(untrusted_dir_problem("/m/pydio-agent", true, 33, 040700),
             Catch::Contains("owned by uid 33"));
  CHECK_THAT(untrusted_dir_problem("/m/pydio-agent", true, 0, 040755),
             Catch::Contains("mode 0755 (expected root, 0700)"));
  CHECK_THAT(untrusted_dir_problem("/m/pydio-agent", false, 0, 0100600),
             Catch::Contains("not a directory"));
}

TEST_CASE("files are read from the agent's folder only when safe", "[trusted_dir]") {
  if (::geteuid() != 0) {
    WARN("not root: the ownership checks need root");
    return;
  }
  char pattern[] = "/tmp/trusted-dir-test-XXXXXX";
  const std::string base = ::mkdtemp(pattern);
  const std::string folder = base + "/pydio-agent";

  SECTION("a missing folder is nothing; create makes it root 0700") {
    auto missing = open_trusted_dir(base, "pydio-agent", false);
    REQUIRE(missing);
    CHECK_FALSE(missing->exists);
    auto made = open_trusted_dir(base, "pydio-agent", true);
    REQUIRE(made);
    CHECK(made->untrusted.empty());
    struct stat st {};
    REQUIRE(::stat(folder.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
  }
  SECTION("a symlink in place of the folder is not followed") {
    std::filesystem::create_directory(base + "/elsewhere");
    ::chmod((base + "/elsewhere").c_str(), 0700);
    std::filesystem::create_directory_symlink(base + "/elsewhere", folder);
    auto dir = open_trusted_dir(base, "pydio-agent", true);
    REQUIRE(dir);
    CHECK_THAT(dir->untrusted, Catch::Contains("symlink"));
  }
  SECTION("a folder owned by the web user is not read from") {
    REQUIRE(::mkdir(folder.c_str(), 0700) == 0);
    REQUIRE(::chown(folder.c_str(), 33, 33) == 0);
    auto dir = open_trusted_dir(base, "pydio-agent", false);
    REQUIRE(dir);
    CHECK_THAT(dir->untrusted, Catch::Contains("owned by uid 33"));
  }
  SECTION("inside a trusted folder: regular root files only, within the size limit") {
    auto dir = open_trusted_dir(base, "pydio-agent", true);
    REQUIRE(dir);
    REQUIRE(dir->untrusted.empty());
    REQUIRE(write_trusted_file(*dir, "doc.json", "{\"a\":1}", 0600));
    std::string untrusted;
    auto text = read_trusted_file(*dir, "doc.json", 100, untrusted);
    REQUIRE(text);
    CHECK(untrusted.empty());
    CHECK(text->value_or("") == "{\"a\":1}");

    auto absent = read_trusted_file(*dir, "none.json", 100, untrusted);
    REQUIRE(absent);
    CHECK_FALSE(absent->has_value());
    CHECK(untrusted.empty());

    REQUIRE(::mkfifo((folder + "/fifo").c_str(), 0600) == 0);  // would hang a blocking open
    auto fifo = read_trusted_file(*dir, "fifo", 100, untrusted);
    REQUIRE(fifo);
    CHECK_THAT(untrusted, Catch::Contains("not a regular file"));

    untrusted.clear();
    ::symlink("/etc/hostname", (folder + "/link").c_str());
    REQUIRE(read_trusted_file(*dir, "link", 100, untrusted));
    CHECK_THAT(untrusted, Catch::Contains("symlink"));

    untrusted.clear();
    std::ofstream(folder + "/big") << std::string(101, 'x');
    REQUIRE(read_trusted_file(*dir, "big", 100, untrusted));
    CHECK_THAT(untrusted, Catch::Contains("more than the limit"));

    untrusted.clear();
    std::ofstream(folder + "/theirs") << "{}";
    REQUIRE(::chown((folder + "/theirs").c_str(), 33, 33) == 0);
    REQUIRE(read_trusted_file(*dir, "theirs", 100, untrusted));
    CHECK_THAT(untrusted, Catch::Contains("owned by uid 33"));

    // The writer replaces a planted entry instead of writing through it.
    REQUIRE(write_trusted_file(*dir, "link", "mine", 0600));
    CHECK(std::filesystem::is_regular_file(std::filesystem::symlink_status(folder + "/link")));
  }
  std::filesystem::remove_all(base);
}
