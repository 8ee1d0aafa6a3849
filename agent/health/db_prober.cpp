#include "agent/health/db_prober.hpp"

#include <algorithm>
#include <memory>

#include "agent/host/mysql_session.hpp"
#include "agent/reconcile/guard.hpp"

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

std::chrono::milliseconds probe_delay(std::chrono::milliseconds period, int failures) {
  std::chrono::milliseconds delay = period;
  for (int i = 1; i < failures && delay < kMaxProbeDelay; ++i) delay *= 2;
  return std::min(std::max(delay, period), std::max(period, kMaxProbeDelay));
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

DbHealth DbProber::probe(const DbProbeTarget& target) {
  if (!target.is_db) {
    session_.reset();
    return {};
  }
  if (session_ && session_->endpoint().socket_path == target.socket_path) {
    auto state = read_galera_state(*session_);
    if (state) return decide_db_health(state);
    session_.reset();  // a restarted server, or one that hangs: a new connection, later
    return decide_db_health(state);
  }
  MysqlEndpoint endpoint;
  endpoint.socket_path = target.socket_path;
  endpoint.user = "root";  // unix_socket authentication: the agent runs as OS root
  endpoint.connect_timeout = kProbeTimeout;
  endpoint.read_timeout = kProbeTimeout;
  endpoint.write_timeout = kProbeTimeout;
  auto session = MysqlSession::connect(endpoint);
  if (!session) return decide_db_health(session.status());
  auto state = read_galera_state(**session);
  if (state) session_ = std::move(*session);
  return decide_db_health(state);
}

void DbProber::loop() {
  int failures = 0;  // failed rounds in a row
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    DbHealth next;
    // A round that threw counts as a failed probe (and its session, if any, is dropped).
    if (!guarded_round("db prober", [&] { next = probe(target_()); })) {
      session_.reset();
      next = decide_db_health(common::Status::error("internal error in the db probe (logged)"));
    }
    failures = next.checked && !next.serving && !session_ ? failures + 1 : 0;
    lock.lock();
    last_ = std::move(next);
    wake_.wait_for(lock, probe_delay(period_, failures), [this] { return stopping_; });
  }
  session_.reset();
}

}  // namespace pydio::agent
