#pragma once
// Where a stopped Galera member's data stands: its grastate.dat (written by Galera in the
// datadir: cluster uuid, seqno, safe_to_bootstrap) and, after a crash left seqno -1 there, the
// position `mariadbd --wsrep-recover` finds in InnoDB, which the agent writes back into it.

#include <cstdint>
#include <optional>
#include <string>

#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

struct GaleraPosition {
  std::string uuid;        // "" (or all zeros) when the data was never in a cluster
  std::int64_t seqno = -1; // -1: unknown (a crash, or the server is running)
  bool safe_to_bootstrap = false;
};

// Pure: grastate.dat's text. An all-zero uuid reads as "".
GaleraPosition parse_grastate(const std::string& text);
// Pure: the position in `--wsrep-recover` output ("WSREP: Recovered position: <uuid>:<seqno>",
// the last one); nullopt when there is none.
std::optional<GaleraPosition> parse_recovered_position(const std::string& log);

// nullopt when <datadir>/grastate.dat does not exist.
std::optional<GaleraPosition> read_grastate(const std::string& datadir);
// Sets safe_to_bootstrap: 1 in <datadir>/grastate.dat (Galera refuses to bootstrap from a
// member that was not the last to leave unless it says so), keeping owner and mode.
common::Status mark_safe_to_bootstrap(const std::string& datadir);
// Sets the seqno line of <datadir>/grastate.dat, keeping owner and mode.
common::Status write_grastate_seqno(const std::string& datadir, std::int64_t seqno);

// Runs `mariadbd [--defaults-file=F] --wsrep-recover` (no F: the system's option files; it
// only runs InnoDB's recovery and exits), parses the position from the log it wrote
// (<datadir>/galera-recover.log) and writes its seqno into grastate.dat, as a clean shutdown
// would have: the member then starts from there (IST instead of a full state transfer), and
// the other agents see its position.
common::Expected<GaleraPosition> recover_position(common::ProcessRunner& runner,
                                                  const std::string& defaults_file,
                                                  const std::string& datadir);

}  // namespace pydio::agent
