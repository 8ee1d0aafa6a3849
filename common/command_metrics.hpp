#pragma once
// What the runner counts for GET /metrics: processes started and command durations, labelled
// by program (the basename of argv[0]) from a fixed list, so a command built from a document's
// text can never add a series. Thread-safe (common/metrics.hpp).

#include <chrono>
#include <string>

namespace pydio::common {

// "gluster" for "/usr/sbin/gluster"; "other" for a program not in the agent's list.
std::string program_label(const std::string& argv0);

// pydio_agent_processes_started_total{program}.
void count_process_started(const std::string& argv0);
// pydio_agent_command_duration_seconds{program}: a command run to its end (or its timeout).
void observe_command_duration(const std::string& argv0, std::chrono::nanoseconds duration);

}  // namespace pydio::common
