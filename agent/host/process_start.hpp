#pragma once
// When a process started, in seconds since the epoch: to tell whether a daemon was started
// before a file it reads only at start was written (glusterd and secure-access, resource
// gluster-tls). Linux /proc only.

#include <optional>
#include <string>

namespace pydio::agent {

// Pure: from the text of /proc/PID/stat (field 22, starttime, in clock ticks since boot; the
// command name may hold spaces and parentheses, so fields are counted after the last ')'),
// the text of /proc/stat (its "btime" line: boot time in seconds since the epoch) and the
// clock ticks per second. nullopt when either text lacks the field.
std::optional<double> process_start_seconds(const std::string& pid_stat,
                                            const std::string& proc_stat, long ticks_per_second);

// The same for a live process, read from /proc; nullopt when it is gone or unreadable.
std::optional<double> process_start_seconds(int pid);

}  // namespace pydio::agent
