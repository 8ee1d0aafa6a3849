#include "agent/host/db_hold.hpp"

#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/file_ops.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

std::string db_hold_path(const std::string& state_dir) { return state_dir + "/" + kDbHoldFileName; }

std::string db_hold_to_json(const DbHold& hold) {
  nlohmann::ordered_json out;
  out["reason"] = hold.reason;
  out["since"] = common::format_utc(hold.since);
  out["keepRunning"] = hold.keep_running;
  return out.dump(2) + "\n";
}

DbHold parse_db_hold(const std::string& text) {
  DbHold hold;
  const auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  const auto reason = parsed.is_object() ? parsed.find("reason") : parsed.end();
  if (parsed.is_discarded() || !parsed.is_object() || reason == parsed.end() ||
      !reason->is_string()) {
    hold.reason = "the hold file is damaged; `agentctl db release` removes it";
    return hold;
  }
  hold.reason = reason->get<std::string>();
  const auto since = parsed.find("since");
  if (since != parsed.end() && since->is_string())
    hold.since = common::parse_utc(since->get<std::string>()).value_or(0);
  const auto keep = parsed.find("keepRunning");
  hold.keep_running = keep != parsed.end() && keep->is_boolean() && keep->get<bool>();
  return hold;
}

common::Expected<std::optional<DbHold>> read_db_hold(const std::string& state_dir) {
  auto text = common::read_optional_file(db_hold_path(state_dir));
  if (!text) return text.status().with_context("read the db hold");
  if (!text->has_value()) return std::optional<DbHold>();
  return std::optional<DbHold>(parse_db_hold(**text));
}

common::Status write_db_hold(const std::string& state_dir, const DbHold& hold) {
  return common::write_file_atomically(db_hold_path(state_dir), db_hold_to_json(hold), 0600)
      .with_context("write the db hold");
}

common::Status remove_db_hold(const std::string& state_dir) {
  const std::string path = db_hold_path(state_dir);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return common::Status::error("remove " + path + ": " + common::errno_text(errno));
  return common::Status::ok();
}

}  // namespace pydio::agent
