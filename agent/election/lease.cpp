#include "agent/election/lease.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

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

std::chrono::seconds round_timeout(milliseconds duration) {
  auto third = std::chrono::duration_cast<std::chrono::seconds>(duration / 3);
  return std::max(third, std::chrono::seconds(1));
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

LeaseClient::LeaseClient(std::string holder_id, MysqlEndpoint endpoint, milliseconds duration,
                         milliseconds safety_margin)
    : holder_id_(std::move(holder_id)),
      endpoint_(std::move(endpoint)),
      duration_(duration),
      margin_(effective_safety_margin(duration, safety_margin)) {
  endpoint_.connect_timeout = round_timeout(duration);
  endpoint_.read_timeout = round_timeout(duration);
  endpoint_.write_timeout = round_timeout(duration);
}

Status LeaseClient::try_acquire_or_renew() {
  const LeaseClock::time_point sent_at = LeaseClock::now();
  Status status = round(sent_at);
  if (!status) fail(status);
  return status;
}

void LeaseClient::fail(const Status& error) {
  // Any error may mean a dead connection; the next round starts from a fresh one.
  session_.reset();
  std::lock_guard<std::mutex> lock(mutex_);
  held_ = false;
  last_error_ = error.message();
}

Status LeaseClient::round(LeaseClock::time_point sent_at) {
  const std::string context = "lease " + endpoint_.describe();
  if (!session_) {
    auto session = MysqlSession::connect(endpoint_);
    if (!session) return session.status().with_context("lease");
    auto inserted = (*session)->execute(kInsertSql, {std::string(kLeaseName)});
    if (!inserted) return inserted.status().with_context("lease");
    session_ = std::move(*session);
  }
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(duration_).count();

  std::int64_t held_term = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (holder_ == holder_id_) held_term = term_;
  }
  if (held_term > 0) {
    auto renewed = session_->execute(
        kRenewSql, {static_cast<std::int64_t>(micros), std::string(kLeaseName), holder_id_,
                    held_term});
    if (!renewed) return renewed.status().with_context("lease");
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
  if (!acquired) return acquired.status().with_context("lease");
  auto rows = session_->query(kReadSql, {std::string(kLeaseName)});
  if (!rows) return rows.status().with_context("lease");
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

namespace {
constexpr milliseconds kFirstRetry{250};
constexpr milliseconds kMaxRetry{1000};
}  // namespace

void LeaderElector::run() {
  const milliseconds interval = renew_interval(client_->duration());
  bool was_leader = false;
  std::string last_error;
  int failures = 0;
  for (;;) {
    Status status = client_->try_acquire_or_renew();
    const LeaseStatus now = client_->status();
    if (now.leader != was_leader) {
      if (now.leader) {
        spdlog::info("election: {} is leader, term {}", client_->holder_id(), now.term);
      } else {
        spdlog::info("election: {} is no longer leader (term {}){}", client_->holder_id(),
                     now.term, status ? "" : ": " + status.message());
      }
      was_leader = now.leader;
    }
    if (!status && status.message() != last_error) spdlog::warn("election: {}", status.message());
    last_error = status ? "" : status.message();

    // Without an answer from the database (not started yet, schema not there yet, network)
    // retry soon (250 ms, doubling up to 1 s): on a bootstrapping node every leader-only
    // resource waits for this round; one attempt a second is gentle on a database in trouble.
    failures = status ? 0 : failures + 1;
    milliseconds next = interval;
    if (failures > 0) {
      next = kFirstRetry;
      for (int i = 1; i < failures && next < kMaxRetry; ++i) next *= 2;
      next = std::min({next, kMaxRetry, interval});
    }
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, next, [this] { return stopping_; })) return;
  }
}

}  // namespace pydio::agent
