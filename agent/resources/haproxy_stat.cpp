#include "agent/resources/haproxy_stat.hpp"

#include <cstdlib>
#include <map>
#include <sstream>

namespace pydio::agent {

namespace {

std::vector<std::string> split_csv(const std::string& line) {
  // HAProxy's CSV quotes nothing in the columns used here (names are [A-Za-z0-9_.-]).
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

}  // namespace

common::Expected<std::vector<ServerStat>> parse_show_stat(const std::string& csv,
                                                          const std::string& backend) {
  std::istringstream in(csv);
  std::string line;
  std::map<std::string, std::size_t> column;
  std::vector<ServerStat> servers;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (starts_with(line, "# ")) {
      const auto names = split_csv(line.substr(2));
      for (std::size_t i = 0; i < names.size(); ++i) column[names[i]] = i;
      for (const char* needed : {"pxname", "svname", "scur", "status"})
        if (column.count(needed) == 0)
          return common::Status::error(std::string("show stat: no column ") + needed);
      continue;
    }
    if (column.empty()) return common::Status::error("show stat: no header line");
    const auto fields = split_csv(line);
    const auto at = [&](const char* name) -> std::string {
      auto found = column.find(name);
      return found != column.end() && found->second < fields.size() ? fields[found->second] : "";
    };
    if (fields.size() <= column["status"])
      return common::Status::error("show stat: short row: " + line.substr(0, 80));
    if (at("pxname") != backend) continue;
    const std::string name = at("svname");
    if (name == "FRONTEND" || name == "BACKEND") continue;
    ServerStat server;
    server.name = name;
    server.status = at("status");
    server.sessions = std::atoi(at("scur").c_str());
    server.check_status = at("check_status");
    server.last_check = at("last_chk");
    server.last_agent = at("last_agt");
    servers.push_back(server);
  }
  if (column.empty()) return common::Status::error("show stat: no header line");
  return servers;
}

std::string describe_servers(const std::vector<ServerStat>& servers) {
  std::string out;
  for (const auto& server : servers) {
    if (!out.empty()) out += "; ";
    out += server.name + " ";
    if (starts_with(server.status, "DRAIN")) {
      out += "UP DRAIN";
    } else if (starts_with(server.status, "UP")) {
      out += "UP ready";
    } else if (starts_with(server.status, "DOWN")) {
      out += "DOWN";
      // The agent's own word ("down#apache: ...") says more than the check's error.
      const std::string why = !server.last_agent.empty() && server.last_agent != server.last_check
                                  ? "agent: " + server.last_agent
                                  : server.last_check;
      if (!why.empty()) out += " (" + why + ")";
    } else {
      out += server.status;
    }
    out += " scur " + std::to_string(server.sessions);
  }
  return out.empty() ? "no servers (no compute node)" : out;
}

}  // namespace pydio::agent
