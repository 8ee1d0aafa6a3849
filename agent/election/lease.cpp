#include "agent/election/lease.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/election/lease_member_session.hpp"
#include "agent/reconcile/guard.hpp"
#include "common/metrics.hpp"

namespace pydio::agent {
namespace {

using common::Status;
using std::chrono::milliseconds;

// UTC_TIMESTAMP(6), not NOW(6): both are the database's clock, but NOW() follows the server's
// time zone and a DST change would move every stored expiry by an hour.
constexpr const char* kRenewSql =
    "UPDATE `pydio_agent`.`leader_lease` SET expires_at = UTC_TIMESTAMP(6) + INTERVAL ? "
    "MICROSECOND WHERE name = ? AND holder = ? AND term = ? AND expires_at > UTC_TIMESTAMP(6)";
constexpr const char* kAcquireSql =
    "UPDATE `pydio_agent`.`leader_lease` SET holder = ?, term = term + 1, "
    "expires_at = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND WHERE name = ? AND "
    "(holder IS NULL OR expires_at IS NULL OR expires_at <= UTC_TIMESTAMP(6))";
constexpr const char* kReadSql =
    "SELECT holder, term, expires_at > UTC_TIMESTAMP(6) FROM `pydio_agent`.`leader_lease` "
    "WHERE name = ?";
constexpr const char* kInsertSql =
    "INSERT IGNORE INTO `pydio_agent`.`leader_lease` (name, holder, term, expires_at) "
    "VALUES (?, NULL, 0, NULL)";
constexpr const char* kReleaseSql =
    "UPDATE `pydio_agent`.`leader_lease` SET expires_at = UTC_TIMESTAMP(6) "
    "WHERE name = ? AND holder = ? AND term = ?";

// MySQL error numbers that mean "another writer won" or "this member may not be used now".
constexpr unsigned int kErLockDeadlock = 1213;    // also a Galera certification conflict
constexpr unsigned int kErUnknownCommand = 1047;  // "WSREP has not yet prepared node ..."

// Connects and member probes: a LAN answers within 1 s; a member that does not is skipped.
constexpr std::chrono::seconds kMemberTimeout{1};

std::chrono::seconds round_timeout(milliseconds duration) {
  auto third = std::chrono::duration_cast<std::chrono::seconds>(duration / 3);
  return std::max(third, std::chrono::seconds(1));
}

// The error of a failed lease statement, saying when it was a lost race rather than a fault.
Status statement_error(const MysqlSession& session, const Status& error) {
  const unsigned int number = session.last_error_number();
  if (number == kErLockDeadlock) {
    return error.with_context(
        "lease: lost the race (certification conflict: another "
        "member's write to the lease row won)");
  }
  if (number == kErUnknownCommand) {
    return error.with_context("lease: member left the primary component");
  }
  return error.with_context("lease");
}

}  // namespace

std::vector<std::string> lease_schema_statements() {
  return {
      "CREATE DATABASE IF NOT EXISTS `pydio_agent`",
      "CREATE TABLE IF NOT EXISTS `pydio_agent`.`leader_lease` ("
      "name VARCHAR(64) NOT NULL PRIMARY KEY, "
      "holder VARCHAR(255) NULL, "
      "term BIGINT NOT NULL DEFAULT 0, "
      "expires_at DATETIME(6) NULL) ENGINE=InnoDB",
  };
}

std::vector<std::string> lease_user_privileges() { return {"SELECT", "INSERT", "UPDATE"}; }

milliseconds effective_safety_margin(milliseconds duration, milliseconds requested) {
  milliseconds margin = requested.count() > 0 ? requested : duration / 4;
  // At least a tenth of the lease must remain usable, or the node could never lead.
  const milliseconds cap = duration - duration / 10;
  return std::min(margin, cap);
}

LeaseClock::time_point lease_valid_until(LeaseClock::time_point sent_at, milliseconds duration,
                                         milliseconds safety_margin) {
  return sent_at + duration - safety_margin;
}

milliseconds renew_interval(milliseconds duration) {
  return std::max(duration / 3, milliseconds(1));
}

LeaseClient::LeaseClient(std::string holder_id, std::vector<MysqlEndpoint> members,
                         milliseconds duration, milliseconds safety_margin)
    : holder_id_(std::move(holder_id)),
      duration_(duration),
      margin_(effective_safety_margin(duration, safety_margin)) {
  for (auto& member : members) members_.push_back(with_timeouts(std::move(member)));
}

LeaseClient::LeaseClient(std::string holder_id, MysqlEndpoint endpoint, milliseconds duration,
                         milliseconds safety_margin)
    : LeaseClient(std::move(holder_id), std::vector<MysqlEndpoint>{std::move(endpoint)}, duration,
                  safety_margin) {}

MysqlEndpoint LeaseClient::with_timeouts(MysqlEndpoint endpoint) const {
  endpoint.connect_timeout = kMemberTimeout;
  endpoint.read_timeout = round_timeout(duration_);
  endpoint.write_timeout = round_timeout(duration_);
  return endpoint;
}

void LeaseClient::set_members(std::vector<MysqlEndpoint> members) {
  if (members.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  new_members_.clear();
  for (auto& member : members) new_members_.push_back(with_timeouts(std::move(member)));
}

void LeaseClient::apply_new_members() {
  std::vector<MysqlEndpoint> members;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (new_members_.empty()) return;
    members.swap(new_members_);
  }
  // Compared by address only: a changed password or timeout takes effect at the next connect.
  const std::string current = session_ ? members_[member_].describe() : "";
  const bool same_order = members.size() == members_.size() &&
                          std::equal(members.begin(), members.end(), members_.begin(),
                                     [](const MysqlEndpoint& a, const MysqlEndpoint& b) {
                                       return a.describe() == b.describe();
                                     });
  members_ = std::move(members);
  if (same_order) return;  // e.g. another desired-state change: nothing to move
  walk_from_ = 0;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    if (!current.empty() && members_[i].describe() == current) {
      member_ = i;
      return;
    }
  }
  session_.reset();  // its member is gone from the list: the next round walks the new one
  std::lock_guard<std::mutex> lock(mutex_);
  member_name_.clear();
}

Status LeaseClient::try_acquire_or_renew() {
  Status status = Status::ok();
  // An exception ends the round like any failure: leadership is dropped at once.
  if (auto what = exception_from([&] { status = round(); }))
    status = Status::error("lease: internal error: " + *what);
  if (!status) {
    fail(status);
    return status;
  }
  ++rounds_on_member_;
  guarded_round("elector", [this] { probe_preferred_member(); });
  return status;
}

void LeaseClient::fail(const Status& error) {
  // Any error may mean a dead connection or a member that left; the next round walks again.
  session_.reset();
  std::lock_guard<std::mutex> lock(mutex_);
  held_ = false;
  last_error_ = error.message();
  member_name_.clear();
}

void LeaseClient::adopt(std::unique_ptr<MysqlSession> session, std::size_t index) {
  session_ = std::move(session);
  member_ = index;
  rounds_on_member_ = 0;
  std::lock_guard<std::mutex> lock(mutex_);
  member_name_ = members_[index].describe();
}

Status LeaseClient::connect_member() {
  if (members_.empty()) return Status::error("lease: no database server to talk to");
  const LeaseClock::time_point started = LeaseClock::now();
  const LeaseClock::duration budget = duration_ - margin_;  // the local validity window
  std::unique_ptr<MysqlSession> found;
  std::vector<std::string> problems;
  const MemberWalk walk = choose_lease_member(
      members_.size(), std::min(walk_from_, members_.size() - 1),
      [&](std::size_t index) {
        std::string problem;
        const MemberAnswer answer = open_lease_member(members_[index], found, problem);
        if (answer != MemberAnswer::kServing) problems.push_back(problem);
        return answer;
      },
      [&] { return LeaseClock::now() - started < budget; });
  walk_from_ = walk.next_start;
  if (!walk.chosen) {
    std::string message = "lease: no serving database member";
    if (walk.tried < members_.size()) {
      message += " among the first " + std::to_string(walk.tried) + " tried (the next round " +
                 "continues with " + members_[walk.next_start].describe() + ")";
    }
    for (const auto& problem : problems) message += "; " + problem;
    return Status::error(message);
  }
  // The row must exist before the first compare-and-set; creating it is idempotent.
  auto inserted = found->execute(kInsertSql, {std::string(kLeaseName)});
  if (!inserted) return statement_error(*found, inserted.status());
  adopt(std::move(found), *walk.chosen);
  return Status::ok();
}

void LeaseClient::probe_preferred_member() {
  const auto earlier = preferred_member_to_probe(member_, rounds_on_member_);
  if (!earlier) return;
  std::unique_ptr<MysqlSession> probe;
  std::string problem;
  // A throwaway session with 1 s timeouts: the probe delays the next round by 2 s at most.
  MysqlEndpoint endpoint = members_[*earlier];
  endpoint.read_timeout = endpoint.write_timeout = kMemberTimeout;
  if (open_lease_member(endpoint, probe, problem) != MemberAnswer::kServing) return;
  spdlog::info("election: {} moves its lease session from {} back to {}, which serves again",
               holder_id_, members_[member_].describe(), endpoint.describe());
  // The probe's own session has short read timeouts; the next round opens a regular one,
  // starting its walk at the preferred members. Leadership is kept until its window closes.
  session_.reset();
  walk_from_ = 0;
  std::lock_guard<std::mutex> lock(mutex_);
  member_name_.clear();
}

Status LeaseClient::round() {
  apply_new_members();
  if (!session_) {
    if (Status connected = connect_member(); !connected) return connected;
  }
  // Validity counts from here, after any walk: the request that may grant the lease leaves now.
  const LeaseClock::time_point sent_at = LeaseClock::now();
  const std::string context = "lease " + members_[member_].describe();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(duration_).count();

  std::int64_t held_term = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (holder_ == holder_id_) held_term = term_;
  }
  if (held_term > 0) {
    auto renewed = session_->execute(kRenewSql, {static_cast<std::int64_t>(micros),
                                                 std::string(kLeaseName), holder_id_, held_term});
    if (!renewed) return statement_error(*session_, renewed.status());
    if (*renewed == 1) {
      std::lock_guard<std::mutex> lock(mutex_);
      held_ = true;
      valid_until_ = lease_valid_until(sent_at, duration_, margin_);
      last_error_.clear();
      return Status::ok();
    }
  }

  auto acquired = session_->execute(
      kAcquireSql, {holder_id_, static_cast<std::int64_t>(micros), std::string(kLeaseName)});
  if (!acquired) return statement_error(*session_, acquired.status());
  // With wsrep_sync_wait = 1 this read sees every write committed before it, on any member.
  auto rows = session_->query(kReadSql, {std::string(kLeaseName)});
  if (!rows) return statement_error(*session_, rows.status());
  if (rows->size() != 1 || rows->front().columns.size() != 3) {
    return Status::error(context + ": lease row '" + kLeaseName + "' missing");
  }
  const auto& columns = rows->front().columns;
  const std::string holder = columns[0].value_or("");
  const std::int64_t term = std::stoll(columns[1].value_or("0"));
  const bool live = columns[2].value_or("0") == "1";

  std::lock_guard<std::mutex> lock(mutex_);
  last_error_.clear();
  term_ = term;
  holder_ = live ? holder : "";
  held_ = *acquired == 1 && live && holder == holder_id_;
  if (held_) valid_until_ = lease_valid_until(sent_at, duration_, margin_);
  return Status::ok();
}

Status LeaseClient::release() {
  std::int64_t term = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (holder_ != holder_id_) return Status::ok();
    held_ = false;  // leader work stops before anyone can take over
    term = term_;
    holder_.clear();
  }
  if (!session_) return Status::ok();  // unreachable database: the lease simply expires
  auto released = session_->execute(kReleaseSql, {std::string(kLeaseName), holder_id_, term});
  if (!released) {
    session_.reset();
    return released.status().with_context("lease release");
  }
  return Status::ok();
}

bool LeaseClient::is_leader_now() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_ && LeaseClock::now() < valid_until_;
}

std::int64_t LeaseClient::term() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return term_;
}

std::string LeaseClient::current_holder() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return holder_;
}

LeaseStatus LeaseClient::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  LeaseStatus out;
  out.leader = held_ && LeaseClock::now() < valid_until_;
  out.term = term_;
  out.holder = holder_;
  out.last_error = last_error_;
  out.valid_until = valid_until_;
  out.member = member_name_;
  return out;
}

LeaderElector::LeaderElector(std::unique_ptr<LeaseClient> client) : client_(std::move(client)) {}

LeaderElector::~LeaderElector() { stop(true); }

void LeaderElector::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void LeaderElector::stop(bool release_lease) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (release_lease) {
    Status released = client_->release();
    if (!released) spdlog::warn("{}", released.message());
  }
}

void LeaderElector::run() {
  for (;;) {
    // The cadence counts from the round's start: a slow round or a probe of an earlier member
    // (lease_members.hpp) does not push the next renew further out.
    const auto started = LeaseClock::now();
    next_round_ = milliseconds(250);  // what follows a round that threw (it was logged)
    guarded_round("elector", [&] { round(started); });
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_until(lock, started + next_round_, [this] { return stopping_; })) return;
  }
}

void LeaderElector::round(LeaseClock::time_point started) {
  Status status = client_->try_acquire_or_renew();
  static auto& rounds = common::metrics::process_registry().histogram(
      "pydio_agent_lease_renew_duration_seconds",
      "One lease round against the database: renew, or take when free.", {},
      common::metrics::duration_buckets());
  rounds.observe({}, std::chrono::duration<double>(LeaseClock::now() - started).count());
  const LeaseStatus now = client_->status();
  if (now.leader != was_leader_) {
    if (now.leader) {
      spdlog::info("election: {} is leader, term {}", client_->holder_id(), now.term);
    } else {
      spdlog::info("election: {} is no longer leader (term {}){}", client_->holder_id(), now.term,
                   status ? "" : ": " + status.message());
    }
    was_leader_ = now.leader;
  }
  if (!status && status.message() != last_error_) spdlog::warn("election: {}", status.message());
  last_error_ = status ? "" : status.message();

  // Without an answer from the database (not started yet, schema not there yet, network)
  // retry soon (250 ms, doubling up to 1 s): on a bootstrapping node every leader-only
  // resource waits for this round; one attempt a second is gentle on a database in trouble.
  constexpr milliseconds kFirstRetry{250}, kMaxRetry{1000};
  const milliseconds interval = renew_interval(client_->duration());
  failures_ = status ? 0 : failures_ + 1;
  next_round_ = interval;
  if (failures_ > 0) {
    milliseconds next = kFirstRetry;
    for (int i = 1; i < failures_ && next < kMaxRetry; ++i) next *= 2;
    next_round_ = std::min({next, kMaxRetry, interval});
  }
}

}  // namespace pydio::agent
