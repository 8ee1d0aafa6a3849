// check-file's file steps on a real directory: links are never followed, a FIFO never blocks,
// and only root's regular file is ever replaced or removed.
#include "agent/resources/check_file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace pydio::agent;
namespace fs = std::filesystem;

namespace {

constexpr uid_t kWebUid = 33;  // www-data on Debian

// A fresh directory under /tmp, removed (with everything in it) at the end.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/check-file-io-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path_ = name;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write(const std::string& path, const std::string& content) { std::ofstream(path) << content; }

OwnedFd open_dir(const std::string& path) {
  auto dir = open_directory_nofollow(path);
  INFO(path);
  REQUIRE(dir);
  REQUIRE(dir->has_value());
  return std::move(**dir);
}

// Names in `dir` (to see that no temporary file is left behind).
std::size_t entries_in(const std::string& dir) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir)) ++count;
  return count;
}

}  // namespace

TEST_CASE("the docroot is opened without following a link", "[check_file]") {
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
  }
  SECTION("a link as the last component or on the way is refused, naming it") {
    for (const std::string& path : {tmp / "linked", tmp / "linked/x", tmp / "www/planted"}) {
      auto dir = open_directory_nofollow(path);
      REQUIRE_FALSE(dir);
      const std::string link = path == tmp / "www/planted" ? path : tmp / "linked";
      CHECK(dir.status().message() == link + " is a symbolic link, not a directory; the agent " +
                                          "follows no link to " + path);
    }
  }
  SECTION("a file on the way is refused") {
    write(tmp / "file", "x");
    auto dir = open_directory_nofollow(tmp / "file/sub");
    REQUIRE_FALSE(dir);
    CHECK_THAT(dir.status().message(), Catch::Contains("a regular file owned by"));
  }
}

TEST_CASE("what is at the health file's path is seen, never followed", "[check_file]") {
  TempDir tmp;
  write(tmp / "target", "secret\n");
  fs::create_symlink(tmp / "target", tmp / "link");
  REQUIRE(::mkfifo((tmp / "fifo").c_str(), 0644) == 0);
  write(tmp / "file", "OK\n");
  OwnedFd dir = open_dir(tmp.path());

  auto link = inspect_entry(dir.get(), "link", tmp / "link");
  REQUIRE(link);
  CHECK(link->kind == EntryKind::kSymlink);
  CHECK(link->content.empty());
  auto fifo = inspect_entry(dir.get(), "fifo", tmp / "fifo");  // returns: never opened
  REQUIRE(fifo);
  CHECK(fifo->kind == EntryKind::kFifo);
  auto missing = inspect_entry(dir.get(), "none", tmp / "none");
  REQUIRE(missing);
  CHECK(missing->kind == EntryKind::kMissing);
  if (::geteuid() == 0) {
    auto file = inspect_entry(dir.get(), "file", tmp / "file");
    REQUIRE(file);
    CHECK(is_root_regular_file(*file));
    CHECK(file->content == "OK\n");
  }
}

TEST_CASE("the health file is written only where nothing or root's file is", "[check_file]") {
  if (::geteuid() != 0) {
    WARN("not root: the owner checks need root");
    return;
  }
  TempDir tmp;
  write(tmp / "target", "secret\n");
  OwnedFd dir = open_dir(tmp.path());
  const std::string path = tmp / "check.txt";

  SECTION("created where nothing is: root:root 0644, the content") {
    REQUIRE(write_root_file(dir.get(), "check.txt", path, "OK\n", 0644, Existing::kMustBeAbsent)
                .is_ok());
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0644);
    CHECK(st.st_uid == 0);
    CHECK(read(path) == "OK\n");
    CHECK(entries_in(tmp.path()) == 2);
  }
  SECTION("root's file is rewritten in place of the old one") {
    write(path, "stale");
    REQUIRE(write_root_file(dir.get(), "check.txt", path, "OK\n", 0644, Existing::kMayBeRootFile)
                .is_ok());
    CHECK(read(path) == "OK\n");
    SECTION("but not when it must be absent") {
      auto status =
          write_root_file(dir.get(), "check.txt", path, "X", 0644, Existing::kMustBeAbsent);
      REQUIRE_FALSE(status.is_ok());
      CHECK_THAT(status.message(), Catch::Contains("a regular file owned by root is in the way"));
      CHECK(read(path) == "OK\n");
    }
  }
  SECTION("a link, a FIFO or the web user's file is refused and left as it was") {
    fs::create_symlink(tmp / "target", path);
    const std::string fifo = tmp / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    const std::string theirs = tmp / "theirs";
    write(theirs, "mine");
    REQUIRE(::chown(theirs.c_str(), kWebUid, kWebUid) == 0);
    struct Case {
      std::string name;
      const char* found;
    };
    for (const Case& c : {Case{"check.txt", "a symbolic link"}, Case{"fifo", "a FIFO"},
                          Case{"theirs", "a regular file owned by uid 33"}}) {
      for (Existing existing : {Existing::kMustBeAbsent, Existing::kMayBeRootFile}) {
        auto status = write_root_file(dir.get(), c.name, tmp / c.name, "OK\n", 0644, existing);
        INFO(c.name);
        REQUIRE_FALSE(status.is_ok());
        CHECK_THAT(status.message(),
                   Catch::StartsWith(tmp / c.name + ": " + c.found + " is in the way"));
        auto removed = remove_root_file(dir.get(), c.name, tmp / c.name);
        REQUIRE_FALSE(removed.is_ok());
        CHECK_THAT(removed.message(),
                   Catch::StartsWith(tmp / c.name + ": " + c.found + " is in the way"));
      }
    }
    CHECK(read(tmp / "target") == "secret\n");
    CHECK(fs::is_symlink(path));
    CHECK(fs::is_fifo(fifo));
    CHECK(read(theirs) == "mine");
    CHECK(entries_in(tmp.path()) == 4);  // target, check.txt, fifo, theirs: no temporary left
  }
  SECTION("root's file is removed; nothing there is fine") {
    write(path, "OK\n");
    CHECK(remove_root_file(dir.get(), "check.txt", path).is_ok());
    CHECK_FALSE(fs::exists(fs::symlink_status(path)));
    CHECK(remove_root_file(dir.get(), "check.txt", path).is_ok());
  }
}
