#include "agent/resources/pydio_db_switch.hpp"

#include "agent/cluster/peer_client.hpp"

namespace pydio::agent {

using nlohmann::json;

std::optional<common::DatabaseAddress> pydio_address_in(const std::string& bootstrap_text) {
  const json parsed = json::parse(bootstrap_text, nullptr, /*allow_exceptions=*/false);
  const json::json_pointer dibi_at("/core.conf/DIBI_PRECONFIGURATION");
  if (parsed.is_discarded() || !parsed.contains(dibi_at)) return std::nullopt;
  const json& dibi = parsed[dibi_at];
  if (!dibi.is_object() || !dibi.contains("mysql_host") || !dibi["mysql_host"].is_string())
    return std::nullopt;
  common::DatabaseAddress address;
  address.host = dibi["mysql_host"].get<std::string>();
  if (dibi.contains("mysql_port")) {
    if (!dibi["mysql_port"].is_number_integer()) return std::nullopt;
    address.port = dibi["mysql_port"].get<int>();
  }
  return address;
}

namespace {

// Why this node's proxy is not ready yet; "" when it is.
std::string proxy_problem(std::int64_t generation, const json& report) {
  const std::int64_t has = report.is_object() && report.contains("generation") &&
                                   report["generation"].is_number_integer()
                               ? report["generation"].get<std::int64_t>()
                               : 0;
  if (has < generation) return "generation " + std::to_string(has);
  if (report.contains("resources") && report["resources"].is_array()) {
    for (const json& resource : report["resources"]) {
      if (text_field(resource, "name") != "db-proxy") continue;
      const std::string state = text_field(resource, "state");
      return state == "in-sync" ? "" : "db-proxy " + state;
    }
  }
  return "no db-proxy yet";
}

}  // namespace

std::string proxies_not_ready(std::int64_t generation, const std::vector<std::string>& names,
                              const std::vector<common::Expected<json>>& reports) {
  std::string waiting;
  for (std::size_t i = 0; i < names.size() && i < reports.size(); ++i) {
    if (!reports[i]) continue;  // not answering: not waited for
    const std::string problem = proxy_problem(generation, *reports[i]);
    if (!problem.empty())
      waiting += (waiting.empty() ? "" : ", ") + names[i] + " (" + problem + ")";
  }
  if (waiting.empty()) return "";
  return "the database proxies of " + waiting +
         ", before pointing Pydio at the local database proxy";
}

}  // namespace pydio::agent
