#pragma once
// Leader election: one lease row in the MariaDB server the deployment already needs,
// taken and renewed by compare-and-set with times from the DATABASE clock (NOW(6)), never
// from the nodes' clocks. Every change of holder increments the term.
//
// Local validity: a lease acquired or renewed by a request SENT at local steady time t counts
// as held until t + duration - safety_margin. The database computed its expiry after it
// received the request, so it cannot expire (and nobody else can take it) before t + duration
// in real time: leader-only work stops at least `safety_margin` before anyone can take over.
// No database -> no leader: any failure drops local leadership at once (the term is kept so
// the next successful renew continues it while the database row is still ours).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/host/mysql_session.hpp"
#include "common/reserved_names.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// Defined in common/ so that validation refuses them as database.name and database.user.
inline constexpr const char* kLeaseDatabase = common::kLeaseSchema;
inline constexpr const char* kLeaseTable = "leader_lease";
inline constexpr const char* kLeaseUser = common::kLeaseUser;  // the agents' MySQL account
inline constexpr const char* kLeaseName = "leader";  // the one row agents contend for

// The DDL (idempotent: IF NOT EXISTS) an administrator runs to create the lease schema.
std::vector<std::string> lease_schema_statements();
// Privileges the lease user gets on pydio_agent.* (and nothing else).
std::vector<std::string> lease_user_privileges();

using LeaseClock = std::chrono::steady_clock;

// The margin actually used: the requested one, or duration/4 when none was requested (zero),
// capped so that a positive validity window remains.
std::chrono::milliseconds effective_safety_margin(std::chrono::milliseconds duration,
                                                  std::chrono::milliseconds requested);
// Last local instant at which a lease granted for a request sent at `sent_at` still counts.
LeaseClock::time_point lease_valid_until(LeaseClock::time_point sent_at,
                                         std::chrono::milliseconds duration,
                                         std::chrono::milliseconds safety_margin);
// Renew cadence: duration / 3, so two renewals can fail before the local window closes.
std::chrono::milliseconds renew_interval(std::chrono::milliseconds duration);

struct LeaseStatus {
  bool leader = false;              // is_leader_now() when the snapshot was taken
  std::int64_t term = 0;            // our term while/after holding; else the last term read
  std::string holder;               // holder of the live lease as last read; "" none/unknown
  std::string last_error;           // "" after a successful round
  LeaseClock::time_point valid_until{};  // meaningful while leader
};

class LeaseClient {
 public:
  // holder_id: unique per agent (the node name). endpoint: the lease user over TCP (or the
  // socket); its timeouts are replaced by max(1 s, duration/3) so a round never outlasts the
  // renew interval by much. safety_margin zero: duration/4.
  LeaseClient(std::string holder_id, MysqlEndpoint endpoint, std::chrono::milliseconds duration,
              std::chrono::milliseconds safety_margin = std::chrono::milliseconds(0));

  // One round: (re)connect if needed, make sure the row exists (INSERT IGNORE), renew when we
  // hold it, else take it when it is free or expired. Blocking, bounded by the timeouts.
  // Ok when the database answered (held or not); an error (also kept for status) otherwise.
  // REQUIRES: not called concurrently with itself or release().
  common::Status try_acquire_or_renew();
  // Ends our lease now if we hold it, so a successor need not wait for the expiry. Local
  // leadership is dropped before the database is told. Same REQUIRES as above.
  common::Status release();

  // Thread-safe readers of the last round's outcome.
  bool is_leader_now() const;
  std::int64_t term() const;
  std::string current_holder() const;
  LeaseStatus status() const;

  const std::string& holder_id() const { return holder_id_; }
  std::chrono::milliseconds duration() const { return duration_; }

 private:
  common::Status round(LeaseClock::time_point sent_at);
  void fail(const common::Status& error);

  const std::string holder_id_;
  MysqlEndpoint endpoint_;
  const std::chrono::milliseconds duration_;
  const std::chrono::milliseconds margin_;
  std::unique_ptr<MysqlSession> session_;  // used only by the round-running thread

  mutable std::mutex mutex_;  // guards the fields below
  bool held_ = false;
  std::int64_t term_ = 0;
  std::string holder_;
  std::string last_error_;
  LeaseClock::time_point valid_until_{};
};

// Runs LeaseClient rounds on its own thread every renew_interval(duration) until stop().
class LeaderElector {
 public:
  explicit LeaderElector(std::unique_ptr<LeaseClient> client);
  ~LeaderElector();  // stop(true)
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void start();  // no-op when already running
  // Joins the thread (waits at most one round, bounded by the client's timeouts); with
  // release_lease the lease is handed back so another agent takes over without waiting.
  void stop(bool release_lease = true);

  bool is_leader_now() const { return client_->is_leader_now(); }
  std::int64_t term() const { return client_->term(); }
  LeaseStatus status() const { return client_->status(); }
  LeaseClient& client() { return *client_; }

 private:
  void run();

  std::unique_ptr<LeaseClient> client_;
  std::mutex mutex_;  // guards stopping_ and thread_ start/stop
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pydio::agent
