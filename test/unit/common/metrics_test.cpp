#include "common/metrics.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "common/command_metrics.hpp"

using namespace pydio::common::metrics;

TEST_CASE("metrics: counters render HELP, TYPE and one line per label set", "[metrics]") {
  Registry registry;
  auto& counter =
      registry.counter("pydio_agent_things_total", "Things done.", {"resource", "kind"});
  CHECK(registry.render().empty());  // a family without samples is left out

  counter.add({"volumes", "create-volume"});
  counter.add({"volumes", "create-volume"}, 2);
  counter.add({"fuse-mount", "mount"});
  CHECK(registry.render() ==
        "# HELP pydio_agent_things_total Things done.\n"
        "# TYPE pydio_agent_things_total counter\n"
        "pydio_agent_things_total{resource=\"fuse-mount\",kind=\"mount\"} 1\n"
        "pydio_agent_things_total{resource=\"volumes\",kind=\"create-volume\"} 3\n");
}

TEST_CASE("metrics: a family declared twice is the same family", "[metrics]") {
  Registry registry;
  auto& first = registry.gauge("pydio_agent_x", "X.");
  auto& second = registry.gauge("pydio_agent_x", "Other help.");
  CHECK(&first == &second);
  CHECK_THROWS(registry.counter("pydio_agent_x", "X."));  // another type: a programming error
}

TEST_CASE("metrics: gauges without labels, and values in Go's float syntax", "[metrics]") {
  Registry registry;
  registry.gauge("pydio_agent_a", "A.").set({}, 0.25);
  registry.gauge("pydio_agent_b", "B.").set({}, 1700000000);
  registry.gauge("pydio_agent_c", "C.").set({}, std::numeric_limits<double>::infinity());
  CHECK(registry.render() ==
        "# HELP pydio_agent_a A.\n# TYPE pydio_agent_a gauge\npydio_agent_a 0.25\n"
        "# HELP pydio_agent_b B.\n# TYPE pydio_agent_b gauge\npydio_agent_b 1700000000\n"
        "# HELP pydio_agent_c C.\n# TYPE pydio_agent_c gauge\npydio_agent_c +Inf\n");
  CHECK(format_value(std::nan("")) == "NaN");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_value(3) == "3");
}

TEST_CASE("metrics: label values and help are escaped", "[metrics]") {
  CHECK(escape_label_value(R"(a\b"c)"
                           "\n"
                           "d") == R"(a\\b\"c\nd)");
  CHECK(escape_help("back\\slash \"quoted\"\nline") == "back\\\\slash \"quoted\"\\nline");

  Registry registry;
  registry.gauge("pydio_agent_info", "Line one\nline two.", {"version"}).set({"1.0 \"beta\"\n"}, 1);
  CHECK(registry.render() ==
        "# HELP pydio_agent_info Line one\\nline two.\n"
        "# TYPE pydio_agent_info gauge\n"
        "pydio_agent_info{version=\"1.0 \\\"beta\\\"\\n\"} 1\n");
}

TEST_CASE("metrics: histograms give cumulative buckets, +Inf, sum and count", "[metrics]") {
  Registry registry;
  auto& histogram =
      registry.histogram("pydio_agent_op_duration_seconds", "Op.", {"program"}, {0.25, 1, 10});
  for (double value : {0.125, 0.25, 0.5, 2.0, 60.0}) histogram.observe({"gluster"}, value);
  CHECK(registry.render() ==
        "# HELP pydio_agent_op_duration_seconds Op.\n"
        "# TYPE pydio_agent_op_duration_seconds histogram\n"
        "pydio_agent_op_duration_seconds_bucket{program=\"gluster\",le=\"0.25\"} 2\n"
        "pydio_agent_op_duration_seconds_bucket{program=\"gluster\",le=\"1\"} 3\n"
        "pydio_agent_op_duration_seconds_bucket{program=\"gluster\",le=\"10\"} 4\n"
        "pydio_agent_op_duration_seconds_bucket{program=\"gluster\",le=\"+Inf\"} 5\n"
        "pydio_agent_op_duration_seconds_sum{program=\"gluster\"} 62.875\n"
        "pydio_agent_op_duration_seconds_count{program=\"gluster\"} 5\n");

  Registry plain;
  plain.histogram("pydio_agent_round_seconds", "R.", {}, {1}).observe({}, 2);
  CHECK(plain.render() ==
        "# HELP pydio_agent_round_seconds R.\n# TYPE pydio_agent_round_seconds histogram\n"
        "pydio_agent_round_seconds_bucket{le=\"1\"} 0\n"
        "pydio_agent_round_seconds_bucket{le=\"+Inf\"} 1\n"
        "pydio_agent_round_seconds_sum 2\npydio_agent_round_seconds_count 1\n");
}

TEST_CASE("metrics: a gauge with stale_after drops values not set again", "[metrics]") {
  Registry registry;
  auto& fresh = registry.gauge("pydio_agent_fresh", "F.", {}, std::chrono::seconds(3600));
  fresh.set({}, 2);
  CHECK_THAT(registry.render(), Catch::Contains("pydio_agent_fresh 2\n"));
  auto& stale = registry.gauge("pydio_agent_stale", "S.", {}, std::chrono::seconds(1));
  stale.set({}, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CHECK_THAT(registry.render(), !Catch::Contains("pydio_agent_stale"));
}

TEST_CASE("metrics: counting from many threads loses nothing", "[metrics]") {
  Registry registry;
  auto& counter = registry.counter("pydio_agent_n_total", "N.", {"t"});
  auto& histogram = registry.histogram("pydio_agent_h_seconds", "H.", {}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        counter.add({"x"});
        histogram.observe({}, 0.5);
        if (i % 100 == 0) (void)registry.render();
      }
    });
  for (auto& thread : threads) thread.join();
  const std::string text = registry.render();
  CHECK_THAT(text, Catch::Contains("pydio_agent_n_total{t=\"x\"} 4000\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_h_seconds_count 4000\n"));
}

TEST_CASE("metrics: programs are labelled by basename from a fixed list", "[metrics]") {
  using pydio::common::program_label;
  CHECK(program_label("gluster") == "gluster");
  CHECK(program_label("/usr/sbin/apache2ctl") == "apache2ctl");
  CHECK(program_label("systemctl") == "systemctl");
  CHECK(program_label("mariadb") == "mariadb");
  CHECK(program_label("/tmp/evil\"name") == "other");  // never a series per unknown program
  CHECK(program_label("") == "other");
}
