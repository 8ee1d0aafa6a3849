#pragma once
// Logging of pydio-agentd: to the systemd journal with fields when systemd connected its output
// to the journal, plain lines on stdout otherwise. spdlog's own systemd sink sends only MESSAGE and
// PRIORITY; operators filter on the resource, the action, the node and the leader term:
//   journalctl -u pydio-agentd RESOURCE=apache-vhost
//   journalctl -u pydio-agentd -p warning NODE=n2
// Fields: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER=pydio-agentd, NODE, and from the thread's
// LogContext (log_context.hpp) RESOURCE, ACTION, OUTCOME and TERM (leader term, when > 0).

#include <spdlog/common.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink.h>

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/logging/log_context.hpp"

namespace pydio::agent::logging {

// The journal's syslog priority of an spdlog level (error 3, warn 4, info 6, debug/trace 7).
int journal_priority(spdlog::level::level_enum level);

// The fields of one journal entry, "NAME=value" each. Pure: unit-tested.
std::vector<std::string> journal_fields(spdlog::level::level_enum level, std::string_view message,
                                        const std::string& node, const LogContext* context);

// Sends each line to the journal with journal_fields (sd_journal_sendv).
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JournalSink(std::string node) : node_(std::move(node)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override;
  void flush_() override {}

 private:
  const std::string node_;
};

// True when stdout or stderr is the stream systemd connected to the journal: $JOURNAL_STREAM
// names its device and inode ("<dev>:<ino>"), as systemd.exec(5) says to check (a variable
// inherited by a process whose output goes elsewhere does not count).
bool output_is_journal();

// Makes the default logger: the journal sink when output_is_journal(), plain "%L %v" lines on
// stdout otherwise (a test harness or journald adds its own timestamps).
void install_logger(spdlog::level::level_enum level, const std::string& node);

}  // namespace pydio::agent::logging
