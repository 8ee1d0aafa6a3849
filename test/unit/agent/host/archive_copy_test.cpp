// Copying an operator's archive into the agent's directory, hashing it (real files in /tmp).

#include "agent/host/archive_copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "common/file_ops.hpp"
#include "test/unit/support/temp_dir.hpp"

using namespace pydio::agent;
using pydio::test::TempDir;

namespace {
// sha256("abc"), FIPS 180-2 appendix B.1.
const char* kAbc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
}  // namespace

TEST_CASE("an archive is copied with the hash of exactly what was written", "[publish][host]") {
  TempDir source;
  TempDir target;
  std::ofstream(source / "p.tar.gz") << "abc";
  pydio::common::OwnedFd dir(::open(target.path().c_str(), O_RDONLY | O_DIRECTORY));
  REQUIRE(dir.get() >= 0);

  SECTION("copied: same bytes, mode 0600, hash of the copy read anew") {
    auto copy = copy_archive(source / "p.tar.gz", dir.get(), ".partial", 1024);
    REQUIRE(copy);
    CHECK(copy->sha256 == kAbc);
    CHECK(copy->size == 3);
    struct stat st {};
    REQUIRE(::stat((target / ".partial").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    auto again = sha256_file_at(dir.get(), ".partial", 1024);
    REQUIRE(again);
    CHECK(*again == kAbc);
  }
  SECTION("refused, and no copy left: a link, a FIFO, a directory, too large, empty, missing") {
    std::filesystem::create_symlink(source / "p.tar.gz", source / "link.tar.gz");
    REQUIRE(::mkfifo((source / "fifo").c_str(), 0600) == 0);
    std::ofstream(source / "empty.tar.gz").flush();
    const auto refused = [&](const std::string& path, std::int64_t max, const std::string& why) {
      auto copy = copy_archive(path, dir.get(), ".partial", max);
      INFO(path);
      REQUIRE_FALSE(copy);
      CHECK(copy.status().message().find(why) != std::string::npos);
      CHECK_FALSE(std::filesystem::exists(target / ".partial"));
    };
    refused(source / "link.tar.gz", 1024, "a symbolic link");
    refused(source / "fifo", 1024, "not a regular file");
    refused(source.path(), 1024, "not a regular file");
    refused(source / "p.tar.gz", 2, "more than the 2 a release archive may have");
    refused(source / "empty.tar.gz", 1024, "an empty file");
    refused(source / "missing.tar.gz", 1024, "No such file");
  }
  SECTION("an existing entry is never overwritten") {
    std::ofstream(target / ".partial") << "held";
    CHECK_FALSE(copy_archive(source / "p.tar.gz", dir.get(), ".partial", 1024));
  }
}
