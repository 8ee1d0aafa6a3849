#pragma once
// Reading a service's pid file the way Services and ProcessWatch both need it.

#include <optional>
#include <string>
#include <vector>

namespace pydio::agent {

// The PID `pid_file` names when that process is alive and its /proc/PID/comm is one of
// `comms`: a stale pid file whose PID was reused by another program names nothing, and
// neither does a zombie (exited, not reaped yet).
std::optional<int> live_pid(const std::string& pid_file, const std::vector<std::string>& comms);

// The PID written in `pid_file`, alive or not; nullopt when there is none.
std::optional<int> pid_in_file(const std::string& pid_file);

// True when `pid` has exited (a zombie) or does not exist.
bool is_zombie_or_gone(int pid);

// Live processes of process group `pgid` (other than `pgid` itself) whose comm is one of
// `comms`: e.g. the workers a SIGKILLed Apache main process left behind, still holding its
// listening sockets. Reads /proc.
std::vector<int> group_members(int pgid, const std::vector<std::string>& comms);

}  // namespace pydio::agent
