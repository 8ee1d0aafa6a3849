#include "agent/host/galera_status.hpp"

#include <algorithm>
#include <cctype>

namespace pydio::agent {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::int64_t to_int(const std::string& text, std::int64_t fallback) {
  try {
    std::size_t used = 0;
    const long long value = std::stoll(text, &used);
    return used == text.size() ? value : fallback;
  } catch (const std::exception&) {
    return fallback;
  }
}

}  // namespace

GaleraState galera_state_from(const std::map<std::string, std::string>& variables) {
  std::map<std::string, std::string> by_name;
  for (const auto& [name, value] : variables) by_name[lower(name)] = value;
  auto value_of = [&by_name](const char* name) -> std::string {
    auto found = by_name.find(name);
    return found == by_name.end() ? std::string() : found->second;
  };
  GaleraState state;
  // Without a provider MariaDB still lists a few wsrep variables; wsrep_cluster_status is only
  // "Primary"/"non-Primary"/"Disconnected" when Galera is loaded.
  state.cluster_status = value_of("wsrep_cluster_status");
  state.wsrep_on = by_name.count("wsrep_ready") != 0 && !state.cluster_status.empty() &&
                   value_of("wsrep_provider_name") != "";
  state.ready = value_of("wsrep_ready") == "ON";
  state.primary = state.cluster_status == "Primary";
  state.state_comment = value_of("wsrep_local_state_comment");
  state.synced = value_of("wsrep_local_state") == "4";
  state.cluster_size = static_cast<int>(to_int(value_of("wsrep_cluster_size"), 0));
  state.cluster_uuid = value_of("wsrep_cluster_state_uuid");
  state.last_committed = to_int(value_of("wsrep_last_committed"), -1);
  return state;
}

common::Expected<GaleraState> read_galera_state(MysqlSession& session) {
  auto rows = session.query("SHOW GLOBAL STATUS LIKE 'wsrep%'");
  if (!rows) return rows.status().with_context("read Galera status");
  std::map<std::string, std::string> variables;
  for (const SqlRow& row : *rows) {
    if (row.columns.size() < 2 || !row.columns[0]) continue;
    variables[*row.columns[0]] = row.columns[1].value_or("");
  }
  return galera_state_from(variables);
}

bool galera_serving(const GaleraState& state) {
  return !state.wsrep_on || (state.ready && state.primary && state.synced);
}

std::string galera_serving_problem(const GaleraState& state) {
  if (galera_serving(state)) return "";
  std::string problem = state.state_comment.empty() ? "no local state" : state.state_comment;
  problem +=
      ", " + (state.cluster_status.empty() ? std::string("no component") : state.cluster_status);
  if (!state.ready) problem += ", not ready";
  return problem;
}

}  // namespace pydio::agent
