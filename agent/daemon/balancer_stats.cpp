#include "agent/daemon/balancer_stats.hpp"

#include "agent/resources/haproxy_stat.hpp"

namespace pydio::agent {

using nlohmann::json;

void BalancerStats::refresh(bool lb) {
  if (!lb) {
    std::lock_guard<std::mutex> lock(mutex_);
    last_ = nullptr;
    return;
  }
  const HaproxyControl haproxy(runner_, use_systemd_, paths_);
  auto csv = haproxy.admin_command("show stat", kAskBound);
  auto servers =
      csv ? parse_show_stat(*csv) : common::Expected<std::vector<ServerStat>>(csv.status());
  json out = {{"servers", json::array()}};
  if (servers) {
    for (const auto& server : *servers) {
      out["servers"].push_back({{"name", server.name},
                                {"status", server.status},
                                {"sessions", server.sessions},
                                {"agent", server.last_agent}});
    }
  } else {
    out["error"] = servers.status().message();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  last_ = std::move(out);
  asked_ = std::chrono::steady_clock::now();
}

json BalancerStats::report() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (last_.is_null()) return nullptr;
  const auto age = std::chrono::steady_clock::now() - asked_;
  if (age > kStale) {
    return json{
        {"servers", json::array()},
        {"error",
         "HAProxy's show stat not asked for " +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(age).count()) + " s"}};
  }
  return last_;
}

}  // namespace pydio::agent
