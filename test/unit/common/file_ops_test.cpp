#include "common/file_ops.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using pydio::common::read_optional_file;

TEST_CASE("read_optional_file refuses what is not a regular file without waiting", "[file_ops]") {
  std::string pattern = (fs::temp_directory_path() / "pydio-file-ops-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  const fs::path dir = pattern;
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{dir};

  SECTION("a regular file is read; a missing one is nullopt") {
    std::ofstream(dir / "f") << "hello";
    auto text = read_optional_file((dir / "f").string());
    REQUIRE(text);
    CHECK(**text == "hello");
    auto missing = read_optional_file((dir / "missing").string());
    REQUIRE(missing);
    CHECK_FALSE(missing->has_value());
  }
  SECTION("a FIFO with no writer: an error naming it, at once") {
    const std::string fifo = (dir / "check.txt").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0666) == 0);
    auto reading = std::async(std::launch::async, [&] { return read_optional_file(fifo); });
    if (reading.wait_for(10s) != std::future_status::ready) {
      // Release the stuck reader so the test ends, then fail.
      const int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (writer >= 0) ::close(writer);
      FAIL("read_optional_file blocked on a FIFO");
    }
    auto result = reading.get();
    REQUIRE_FALSE(result);
    CHECK(result.status().message() == "read " + fifo + ": not a regular file (fifo)");
  }
  SECTION("a directory: an error naming it") {
    auto result = read_optional_file(dir.string());
    REQUIRE_FALSE(result);
    CHECK(result.status().message() == "read " + dir.string() + ": not a regular file (directory)");
  }
}
