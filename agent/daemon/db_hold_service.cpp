#include "agent/daemon/db_hold_service.hpp"

#include <spdlog/spdlog.h>

#include <thread>

#include "agent/daemon/leader_link.hpp"
#include "agent/host/datadir_set_aside.hpp"
#include "agent/host/db_hold.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

std::string DbHoldService::not_db_node() const {
  auto desired = state_.desired();
  const common::NodeSpec* self = desired ? desired->find_node(local_.node_name) : nullptr;
  if (self == nullptr || !self->has_role(common::Role::kDb))
    return "node " + local_.node_name + " is not a db node of the desired state in force";
  return "";
}

std::string DbHoldService::caller_refusal(const std::string& caller) const {
  if (caller == local_.node_name) return "a node does not hold itself over the peer API";
  auto desired = state_.desired();
  const common::NodeSpec* node = desired ? desired->find_node(caller) : nullptr;
  if (node == nullptr || !node->has_role(common::Role::kDb))
    return "node " + caller + " is not a db node of the desired state in force";
  return not_db_node();
}

bool DbHoldService::resource_holds(const std::string& reason) const {
  for (const ResourceStatus& status : state_.resource_statuses()) {
    if (status.name != "db-server") continue;
    return status.state == ResourceState::kWaiting && !status.in_flight &&
           status.detail == "held: " + reason;
  }
  return false;
}

api::PeerReply DbHoldService::hold(const std::string& reason) {
  if (std::string why = not_db_node(); !why.empty()) return error_reply(409, why);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    DbHold held;
    held.reason = reason;
    held.since = common::utc_now_seconds();
    common::Status written = write_db_hold(local_.state_dir, held);
    if (!written) return error_reply(500, written.message());
  }
  spdlog::warn("db: this node's MariaDB server is held ({})", reason);
  state_.request_pass("database server held", true);
  const auto deadline = std::chrono::steady_clock::now() + kStopBound;
  while (std::chrono::steady_clock::now() < deadline) {
    if (resource_holds(reason) && !services_.is_running(Service::kMariadb))
      return {200, {{"held", local_.node_name}}};
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return error_reply(504, "the hold is in place on " + local_.node_name +
                              ", but its MariaDB server did not stop within " +
                              std::to_string(kStopBound.count()) +
                              " s (agentctl status there says why)");
}

api::PeerReply DbHoldService::release() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    common::Status removed = remove_db_hold(local_.state_dir);
    if (!removed) return error_reply(500, removed.message());
  }
  spdlog::warn("db: the hold on this node's MariaDB server is released");
  state_.request_pass("database server released", true);
  return {200, {{"released", local_.node_name}}};
}

api::PeerReply DbHoldService::set_aside() {
  std::lock_guard<std::mutex> lock(mutex_);
  auto held = read_db_hold(local_.state_dir);
  if (!held) return error_reply(500, held.status().message());
  if (!*held) return error_reply(409, "the server of " + local_.node_name + " is not held");
  if (services_.is_running(Service::kMariadb))
    return error_reply(409, "the server of " + local_.node_name + " still runs");
  auto moved = set_aside_datadir(runner_, local_.mysql_datadir, restore_stamp());
  if (!moved) return error_reply(500, moved.status().message());
  spdlog::warn("db: datadir {} set aside to {}", local_.mysql_datadir, *moved);
  return {200, {{"node", local_.node_name}, {"setAside", *moved}}};
}

common::Status DbHoldService::keep_running(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  DbHold held;
  held.reason = reason;
  held.since = common::utc_now_seconds();
  held.keep_running = true;
  return write_db_hold(local_.state_dir, held);
}

api::PeerReply DbHoldService::hold_for(const std::string& caller, const std::string& reason) {
  if (std::string why = caller_refusal(caller); !why.empty()) return error_reply(403, why);
  return hold(reason + " (asked by " + caller + ")");
}

api::PeerReply DbHoldService::release_for(const std::string& caller) {
  if (std::string why = caller_refusal(caller); !why.empty()) return error_reply(403, why);
  return release();
}

api::PeerReply DbHoldService::set_aside_for(const std::string& caller) {
  if (std::string why = caller_refusal(caller); !why.empty()) return error_reply(403, why);
  return set_aside();
}

}  // namespace pydio::agent
