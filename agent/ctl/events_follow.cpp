// agentctl events --follow: the last events, then every new one as the agent records it, until
// interrupted. Polls GET /v1/events?after=<last seq> once a second: the admin API answers each
// call at once from memory, and a poll costs one request on the local socket.

#include <chrono>
#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/ctl/admin_client.hpp"
#include "agent/ctl/admin_text.hpp"
#include "agent/ctl/commands.hpp"

namespace pydio::agent::ctl {

namespace {

constexpr std::chrono::seconds kPollInterval{1};

using api::AdminReply;
using nlohmann::json;

std::uint64_t sequence_of(const json& event) {
  return event.is_object() && event.contains("seq") && event["seq"].is_number_unsigned()
             ? event["seq"].get<std::uint64_t>()
             : 0;
}

// Prints the events of one answer; returns the sequence number of the last one printed.
std::uint64_t print_events(const json& events, std::uint64_t last, OutputFormat format) {
  if (!events.is_array()) return last;
  for (const auto& event : events) {
    const std::uint64_t sequence = sequence_of(event);
    if (sequence != 0 && sequence <= last) {
      std::cerr << "agentctl: pydio-agentd restarted; its events since then follow\n";
    }
    std::cout << (format == OutputFormat::kJson ? event.dump() + "\n"
                                                : api::format_event_line(event));
    last = sequence;
  }
  // Each line must reach a pipe (journal-like consumers, `grep --line-buffered`) as it comes.
  std::cout.flush();
  return last;
}

}  // namespace

int run_events_follow(const GlobalOptions& global, int count, OutputFormat format) {
  api::AdminClient admin(global.socket_path, global.timeout);
  const AdminReply first = admin.get("/v1/events?n=" + std::to_string(count));
  if (!first.ok()) {
    std::cerr << first.error << "\n";
    return first.kind == AdminReply::Kind::kRefused ? kExitFailed : kExitUnreachable;
  }
  std::uint64_t last = print_events(first.body, 0, format);
  bool reachable = true;
  for (;;) {
    std::this_thread::sleep_for(kPollInterval);
    const AdminReply reply = admin.get("/v1/events?after=" + std::to_string(last));
    if (reply.ok()) {
      if (!reachable) std::cerr << "agentctl: pydio-agentd answers again\n";
      reachable = true;
      last = print_events(reply.body, last, format);
      continue;
    }
    // A restarting agent (an upgrade, systemctl restart) is not the end of the stream.
    if (reachable) std::cerr << reply.error << "; still trying\n";
    reachable = false;
  }
}

}  // namespace pydio::agent::ctl
