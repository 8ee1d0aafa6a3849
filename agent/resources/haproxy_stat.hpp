#pragma once
// HAProxy's `show stat` (CSV, admin socket) for the servers of backend "pydio": pure parsing
// and the one-line summary the haproxy resource shows in status. Columns are found by the
// header's names (HAProxy 2.6 management.txt, "show stat"), not by position.

#include <string>
#include <vector>

#include "common/status.hpp"

namespace pydio::agent {

inline constexpr const char* kHaproxyBackend = "pydio";

struct ServerStat {
  std::string name;          // svname: the node's name
  std::string status;        // "UP", "DOWN", "DRAIN (agent)", "MAINT", "UP 1/2", "no check"
  int sessions = 0;          // scur
  std::string check_status;  // e.g. "L7OK", "L4CON"
  std::string last_check;    // last_chk, e.g. "Connection refused"
  std::string last_agent;    // last_agt: the agent's last answer text or error
};

// The servers of `backend`, in the order HAProxy lists them. Errors: no header, a header
// without the columns used, a row shorter than the header.
common::Expected<std::vector<ServerStat>> parse_show_stat(
    const std::string& csv, const std::string& backend = kHaproxyBackend);

// "n1 UP ready scur 2; n2 UP DRAIN scur 0; n3 DOWN (Connection refused) scur 0".
std::string describe_servers(const std::vector<ServerStat>& servers);

}  // namespace pydio::agent
