#pragma once
// Places and names a desired-state document may never point the agent at (docs/security.md,
// "Validation confines paths and names"). The agent acts as root on them, so one list each,
// read by the validation of every field that could reach them.

#include <array>

namespace pydio::common {

// The agents' own MySQL account and schema (the leader lease, agent/election/lease.hpp).
inline constexpr const char* kLeaseUser = "pydio_agent";
inline constexpr const char* kLeaseSchema = "pydio_agent";

// No path field (docroot, mountpoints, directory bricks) may be one of these, lie below one,
// or contain one: a FUSE mount on /var/lib hides /var/lib/mysql as surely as one on it.
// The operating system, the services the agent runs, and the agent itself; /root and cron's
// spool because a brick there turns a write through the volume into code run as root.
inline constexpr std::array<const char*, 22> kProtectedDirectories = {"/etc",
                                                                      "/usr",
                                                                      "/bin",
                                                                      "/sbin",
                                                                      "/lib",
                                                                      "/lib32",
                                                                      "/lib64",
                                                                      "/libx32",
                                                                      "/boot",
                                                                      "/proc",
                                                                      "/sys",
                                                                      "/dev",
                                                                      "/run",
                                                                      "/root",
                                                                      "/var/lib/mysql",
                                                                      "/var/lib/glusterd",
                                                                      "/var/spool/cron",
                                                                      "/etc/pydio-agent",
                                                                      "/var/lib/pydio-agent",
                                                                      "/run/pydio-agent",
                                                                      "/var/run",
                                                                      "/var/lock"};

// MariaDB accounts that database.user must not name (compared case-insensitively): the
// administrator, the system accounts, and the lease user.
inline constexpr std::array<const char*, 4> kReservedDatabaseUsers = {"root", "mariadb.sys",
                                                                      "mysql", kLeaseUser};

// Schemas that database.name must not name (compared case-insensitively): the server's own
// and the lease schema.
inline constexpr std::array<const char*, 5> kReservedSchemas = {
    "mysql", "information_schema", "performance_schema", "sys", kLeaseSchema};

}  // namespace pydio::common
