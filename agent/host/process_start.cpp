#include "agent/host/process_start.hpp"

#include <unistd.h>

#include <sstream>

#include "common/file_ops.hpp"

namespace pydio::agent {

std::optional<double> process_start_seconds(const std::string& pid_stat,
                                            const std::string& proc_stat, long ticks_per_second) {
  const auto close = pid_stat.rfind(')');
  if (close == std::string::npos || ticks_per_second <= 0) return std::nullopt;
  // After ") ": field 3 (state) is the first; starttime is field 22, the 20th from there.
  std::istringstream fields(pid_stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) return std::nullopt;
  }
  unsigned long long start_ticks = 0;
  try {
    std::size_t used = 0;
    start_ticks = std::stoull(field, &used);
    if (used != field.size()) return std::nullopt;
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::istringstream lines(proc_stat);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("btime ", 0) != 0) continue;
    try {
      const double boot = std::stod(line.substr(6));
      return boot + static_cast<double>(start_ticks) / static_cast<double>(ticks_per_second);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<double> process_start_seconds(int pid) {
  auto pid_stat = common::read_optional_file("/proc/" + std::to_string(pid) + "/stat");
  auto proc_stat = common::read_optional_file("/proc/stat");
  if (!pid_stat || !*pid_stat || !proc_stat || !*proc_stat) return std::nullopt;
  return process_start_seconds(**pid_stat, **proc_stat, ::sysconf(_SC_CLK_TCK));
}

}  // namespace pydio::agent
