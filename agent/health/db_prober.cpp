#include "agent/health/db_prober.hpp"

#include <memory>

#include "agent/host/mysql_session.hpp"

namespace pydio::agent {

DbHealth decide_db_health(const common::Expected<GaleraState>& state) {
  DbHealth health;
  health.checked = true;
  if (!state) {
    health.problem = "not accepting connections: " + state.status().message();
    return health;
  }
  health.serving = galera_serving(*state);
  if (!health.serving) health.problem = galera_serving_problem(*state);
  return health;
}

DbProber::DbProber(std::function<DbProbeTarget()> target, std::chrono::milliseconds period)
    : target_(std::move(target)), period_(period) {}

DbProber::~DbProber() { stop(); }

void DbProber::start() {
  thread_ = std::thread([this] { loop(); });
}

void DbProber::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

DbHealth DbProber::last() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_;
}

DbHealth DbProber::probe(const DbProbeTarget& target) const {
  if (!target.is_db) return {};
  MysqlEndpoint endpoint;
  endpoint.socket_path = target.socket_path;
  endpoint.user = "root";  // unix_socket authentication: the agent runs as OS root
  endpoint.connect_timeout = kProbeTimeout;
  endpoint.read_timeout = kProbeTimeout;
  endpoint.write_timeout = kProbeTimeout;
  auto session = MysqlSession::connect(endpoint);
  if (!session) return decide_db_health(session.status());
  return decide_db_health(read_galera_state(**session));
}

void DbProber::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    // One connection per round: a server restarted between rounds is seen as it is now.
    DbHealth next = probe(target_());
    lock.lock();
    last_ = std::move(next);
    wake_.wait_for(lock, period_, [this] { return stopping_; });
  }
}

}  // namespace pydio::agent
