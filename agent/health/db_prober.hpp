#pragma once
// Whether the MariaDB server of this db node may take clients, for GET /health/db (the check of
// the compute nodes' database proxies, db_proxy_config.hpp). A thread of its own asks the local
// server every period over the admin connection (root over the unix socket, as the db-server
// resource does) and keeps the answer; the health endpoint only reads it, so an HTTP request on
// the public, unauthenticated health port never opens a database connection.
// Serving: Galera synced, in a primary component and ready, or a server without Galera.
// One connection is kept open between rounds (a healthy server costs no new connection per
// second), and after failed rounds the next waits longer (probe_delay), so a server that hangs
// with its threads stuck does not collect one stuck connection per second until it refuses
// everyone, the agents' own admin connections included ("Too many connections").
// Thread-safe: last_ is guarded by mutex_.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/host/galera_status.hpp"
#include "agent/host/mysql_session.hpp"
#include "common/status.hpp"

namespace pydio::agent {

struct DbHealth {
  bool checked = false;  // false until the first probe of the local server
  bool serving = false;
  std::string problem;  // "" when serving; e.g. "Joining, non-Primary"
};

// Pure: the answer from one probe. `state` is the error of connecting or reading the status
// variables, or the state read.
DbHealth decide_db_health(const common::Expected<GaleraState>& state);

// Pure: the wait before the next round after `failures` failed rounds in a row: the period,
// then doubling from it up to kMaxProbeDelay.
inline constexpr std::chrono::milliseconds kMaxProbeDelay{8000};
std::chrono::milliseconds probe_delay(std::chrono::milliseconds period, int failures);

struct DbProbeTarget {
  bool is_db = false;       // this node has role db in the desired state
  std::string socket_path;  // the local server's unix socket (agent.json mysqlSocket)
};

class DbProber {
 public:
  static constexpr std::chrono::milliseconds kDefaultPeriod{1000};
  // Bound of one probe (connect + status query): a stuck server costs at most this per round.
  static constexpr std::chrono::seconds kProbeTimeout{2};

  DbProber(std::function<DbProbeTarget()> target,
           std::chrono::milliseconds period = kDefaultPeriod);
  ~DbProber();  // stop()
  DbProber(const DbProber&) = delete;
  DbProber& operator=(const DbProber&) = delete;

  void start();
  void stop();
  // The last probe's answer; not checked on a node without role db.
  DbHealth last() const;

 private:
  void loop();
  // Uses and keeps session_ (loop thread only).
  DbHealth probe(const DbProbeTarget& target);

  std::function<DbProbeTarget()> target_;
  std::unique_ptr<MysqlSession> session_;  // loop thread only; null when not connected
  const std::chrono::milliseconds period_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  DbHealth last_;          // guarded by mutex_
  std::thread thread_;
};

}  // namespace pydio::agent
