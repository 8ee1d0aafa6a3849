#include "common/command_metrics.hpp"

#include <array>
#include <string_view>

#include "common/metrics.hpp"

namespace pydio::common {

namespace {
// Every program the agent runs (grep the argv literals); anything else is "other".
constexpr std::array<std::string_view, 26> kPrograms = {
    "apache2ctl",
    "apt-get",
    "chmod",
    "chown",
    "dpkg-query",
    "galera_new_cluster",
    "gluster",
    "glusterd",
    "haproxy",
    "mariadb",
    "mariadb-backup",
    "mariadb-install-db",
    "mariadbd",
    "mbstream",
    "mkfs.xfs",
    "mount",
    "mv",
    "mysql",
    "nice",
    "openssl",
    "php",
    "phpenmod",
    "rm",
    "systemctl",
    "tar",
    "umount",
};

metrics::Counter& started_counter() {
  static metrics::Counter& counter = metrics::process_registry().counter(
      "pydio_agent_processes_started_total",
      "Processes the agent started (commands and services), by program.", {"program"});
  return counter;
}

metrics::Histogram& duration_histogram() {
  static metrics::Histogram& histogram = metrics::process_registry().histogram(
      "pydio_agent_command_duration_seconds",
      "Wall time of the commands the agent ran to their end or timeout, by program.", {"program"},
      metrics::duration_buckets());
  return histogram;
}
}  // namespace

std::string program_label(const std::string& argv0) {
  const auto slash = argv0.rfind('/');
  const std::string_view base = slash == std::string::npos
                                    ? std::string_view(argv0)
                                    : std::string_view(argv0).substr(slash + 1);
  for (std::string_view known : kPrograms)
    if (base == known) return std::string(known);
  return "other";
}

void count_process_started(const std::string& argv0) {
  started_counter().add({program_label(argv0)});
}

void observe_command_duration(const std::string& argv0, std::chrono::nanoseconds duration) {
  duration_histogram().observe({program_label(argv0)},
                               std::chrono::duration<double>(duration).count());
}

}  // namespace pydio::common
