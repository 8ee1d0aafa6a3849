// process_start_seconds(): when a process started, from /proc text.

#include "agent/host/process_start.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <ctime>

using pydio::agent::process_start_seconds;

TEST_CASE("process start time from /proc/PID/stat and /proc/stat", "[process_start]") {
  // A command name with spaces and a ')' of its own: fields count after the last ')'.
  const std::string pid_stat =
      "4242 (gluster d) x) S 1 4242 4242 0 -1 4194624 1 0 0 0 2 3 0 0 20 0 9 0 12345 1000 50";
  const std::string proc_stat = "cpu  1 2 3\nbtime 1700000000\nprocesses 99\n";

  SECTION("boot time + starttime ticks / ticks per second") {
    auto start = process_start_seconds(pid_stat, proc_stat, 100);
    REQUIRE(start);
    CHECK(*start == Approx(1700000000.0 + 123.45));
  }
  SECTION("missing or malformed fields give nothing") {
    CHECK_FALSE(process_start_seconds("4242 (glusterd) S 1 2", proc_stat, 100));
    CHECK_FALSE(process_start_seconds(pid_stat, "cpu 1 2 3\n", 100));
    CHECK_FALSE(process_start_seconds("no parenthesis", proc_stat, 100));
    CHECK_FALSE(process_start_seconds(pid_stat, proc_stat, 0));
  }
  SECTION("this test process started in the past, after the boot") {
    auto start = process_start_seconds(static_cast<int>(::getpid()));
    REQUIRE(start);
    CHECK(*start <= static_cast<double>(std::time(nullptr)) + 1);
    CHECK(*start > 1.0e9);
  }
}
