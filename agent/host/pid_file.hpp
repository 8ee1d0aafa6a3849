#pragma once
// Reading a service's pid file the way Services and ProcessWatch both need it.

#include <optional>
#include <string>
#include <vector>

namespace pydio::agent {

// The PID `pid_file` names when that process is alive and its /proc/PID/comm is one of
// `comms`: a stale pid file whose PID was reused by another program names nothing.
std::optional<int> live_pid(const std::string& pid_file, const std::vector<std::string>& comms);

}  // namespace pydio::agent
