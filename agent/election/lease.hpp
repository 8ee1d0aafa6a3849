#pragma once
// Leader election: one lease row in the MariaDB server the deployment already needs,
// taken and renewed by compare-and-set with times from the DATABASE clock (UTC_TIMESTAMP(6)),
// never from the nodes' clocks. Every change of holder increments the term.
//
// Local validity: a lease acquired or renewed by a request SENT at local steady time t counts
// as held until t + duration - safety_margin. The database computed its expiry after it
// received the request, so it cannot expire (and nobody else can take it) before t + duration
// in real time: leader-only work stops at least `safety_margin` before anyone can take over.
// No database -> no leader: any failure drops local leadership at once (the term is kept so
// the next successful renew continues it while the database row is still ours).
//
// On Galera (three or more db members; docs/operations.md, "The lease on Galera"):
// - Members are given in order of preference (common::database_servers). A client keeps its
//   session while rounds succeed; without one it walks the members in order and takes the
//   first that galera_serving() accepts (agent/election/lease_members.hpp). A server without
//   Galera always serves: one db node behaves exactly as before.
// - Compare-and-set: every session on a Galera member runs with wsrep_sync_wait = 1, so the
//   lease row it reads back reflects every write committed anywhere in the cluster before the
//   read. Two members cannot both commit a take-over of the row: the second write fails
//   certification and comes back as error 1213 (ER_LOCK_DEADLOCK); a member outside the
//   primary component answers 1047. Both, like every error, end the round without leadership.
//   Leadership is only ever claimed from a successful UPDATE followed by a successful read.
//   A write that timed out on our side may still commit later (it stalled while Galera
//   evicted a silent member): the row then names us under a term we never claimed; the next
//   round reads it back and renews it, or it runs out.
// - One clock: all agents route their lease traffic to the same member (the first serving
//   one), so expiries are written and compared on one clock. During a switch (a member fails,
//   or a member comes back and the clients move back to it one by one within
//   kPreferCheckRounds rounds) two agents may talk to different members for a few rounds. A
//   member whose clock is ahead by s sees the lease expire s earlier in real time than the
//   member that wrote it; the holder stops leading `safety_margin` before the writer's expiry.
//   So the lease stays exclusive as long as the members' clocks differ by less than the
//   safety margin (duration/4: 750 ms with the default 3 s lease). NTP keeps LAN clocks
//   within a few milliseconds; the margin also absorbs the request's transit time.
// - Bounded rounds: a walk probes a member with 1 s timeouts (connect, then SHOW STATUS) and
//   starts another probe only while less than the local validity window has passed since the
//   walk started; the next walk resumes at the first member not tried. A walk happens only
//   without a session, i.e. never while leading (a failure dropped leadership first), and the
//   validity of the next grant counts from the moment its UPDATE is sent, after the walk. A
//   renewing round is one UPDATE (read timeout max(1 s, duration/3)) well inside the window.
//   The probe of an earlier member (every kPreferCheckRounds successful rounds) runs after the
//   round and costs at most 2 s; the elector keeps its cadence from the round's start, so the
//   next renew comes at most max(duration/3, 2 s) after the last: inside the 2.25 s window of
//   the default 3 s lease.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/election/lease_members.hpp"
#include "agent/host/mysql_session.hpp"
#include "common/reserved_names.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// Defined in common/ so that validation refuses them as database.name and database.user.
inline constexpr const char* kLeaseDatabase = common::kLeaseSchema;
inline constexpr const char* kLeaseTable = "leader_lease";
inline constexpr const char* kLeaseUser = common::kLeaseUser;  // the agents' MySQL account
inline constexpr const char* kLeaseName = "leader";            // the one row agents contend for

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
  bool leader = false;                   // is_leader_now() when the snapshot was taken
  std::int64_t term = 0;                 // our term while/after holding; else the last term read
  std::string holder;                    // holder of the live lease as last read; "" none/unknown
  std::string last_error;                // "" after a successful round
  LeaseClock::time_point valid_until{};  // meaningful while leader
  std::string member;  // the database member in use ("198.18.0.1:3306"); "" without a session
};

class LeaseClient {
 public:
  // holder_id: unique per agent (the node name). members: the lease user's endpoints, in order
  // of preference (one for a single database server); their timeouts are replaced (connect
  // 1 s; read and write max(1 s, duration/3)) so a round never outlasts the renew interval by
  // much. safety_margin zero: duration/4. Without members every round fails (no leader).
  LeaseClient(std::string holder_id, std::vector<MysqlEndpoint> members,
              std::chrono::milliseconds duration,
              std::chrono::milliseconds safety_margin = std::chrono::milliseconds(0));
  // One database server.
  LeaseClient(std::string holder_id, MysqlEndpoint endpoint, std::chrono::milliseconds duration,
              std::chrono::milliseconds safety_margin = std::chrono::milliseconds(0));

  // One round: (re)connect if needed (walking the members), make sure the row exists (INSERT
  // IGNORE), renew when we hold it, else take it when it is free or expired. Blocking, bounded
  // by the timeouts. Ok when the database answered (held or not); an error (also kept for
  // status) otherwise. After a successful round on a non-preferred member, sometimes probes an
  // earlier one (see lease_members.hpp) so that the next round moves back to it.
  // REQUIRES: not called concurrently with itself or release().
  common::Status try_acquire_or_renew();
  // Ends our lease now if we hold it, so a successor need not wait for the expiry. Local
  // leadership is dropped before the database is told. Same REQUIRES as above.
  common::Status release();

  // Thread-safe: the member list to use from the next round on (e.g. one db node grew to
  // three). The session is kept when its member is still listed, so a held term continues;
  // otherwise the next round walks the new list and renews there. Empty lists are ignored.
  void set_members(std::vector<MysqlEndpoint> members);

  // Thread-safe readers of the last round's outcome.
  bool is_leader_now() const;
  std::int64_t term() const;
  std::string current_holder() const;
  LeaseStatus status() const;

  const std::string& holder_id() const { return holder_id_; }
  std::chrono::milliseconds duration() const { return duration_; }

 private:
  common::Status round();
  void fail(const common::Status& error);
  void apply_new_members();
  common::Status connect_member();
  void adopt(std::unique_ptr<MysqlSession> session, std::size_t index);
  void probe_preferred_member();
  MysqlEndpoint with_timeouts(MysqlEndpoint endpoint) const;

  const std::string holder_id_;
  const std::chrono::milliseconds duration_;
  const std::chrono::milliseconds margin_;
  // Used only by the round-running thread:
  std::vector<MysqlEndpoint> members_;
  std::unique_ptr<MysqlSession> session_;
  std::size_t member_ = 0;              // index of session_'s member in members_
  std::size_t walk_from_ = 0;           // where the next walk starts
  std::uint64_t rounds_on_member_ = 0;  // successful rounds since session_ was opened
  bool move_to_preferred_ = false;      // an earlier member serves again: reconnect

  mutable std::mutex mutex_;                // guards the fields below
  std::vector<MysqlEndpoint> new_members_;  // set_members(), not yet applied; empty: none
  bool held_ = false;
  std::int64_t term_ = 0;
  std::string holder_;
  std::string last_error_;
  std::string member_name_;
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
  // One round: try_acquire_or_renew, log a change of leadership, set next_round_. Run through
  // guarded_round: an exception is logged and the next round comes 250 ms later.
  void round(LeaseClock::time_point started);

  std::unique_ptr<LeaseClient> client_;
  // The elector thread's own (no lock): leadership and error as last logged, failed rounds in a
  // row, the wait after this round.
  bool was_leader_ = false;
  std::string last_error_;
  int failures_ = 0;
  std::chrono::milliseconds next_round_{250};
  std::mutex mutex_;  // guards stopping_ and thread_ start/stop
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pydio::agent
