#pragma once
// Where a stopped Galera member's data stands: its grastate.dat (written by Galera in the
// datadir: cluster uuid, seqno, safe_to_bootstrap) and, after a crash left seqno -1 there, the
// position `mariadbd --wsrep-recover` finds in InnoDB, which the agent keeps in a file of its
// state directory until mariadbd starts again.

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

// The kept recovered position (<state_dir>/galera-recovered-position), nullopt when none.
std::optional<GaleraPosition> read_recovered_position(const std::string& state_dir);
void forget_recovered_position(const std::string& state_dir);
// Runs `mariadbd [--defaults-file=F] --wsrep-recover` (no F: the system's option files) (it only reads InnoDB's recovery state and
// exits), parses the position from the log it wrote (<datadir>/galera-recover.log) and keeps
// it in the state directory.
common::Expected<GaleraPosition> recover_position(common::ProcessRunner& runner,
                                                  const std::string& defaults_file,
                                                  const std::string& datadir,
                                                  const std::string& state_dir);

}  // namespace pydio::agent
