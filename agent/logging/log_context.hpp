#pragma once
// What a log line is about, beyond its text: the resource and action it reports and the leader
// term it ran under. A thread sets it for the lines it writes while a ScopedLogContext lives;
// the journal sink turns it into fields operators filter on (journalctl RESOURCE=apache-vhost).

#include <cstdint>
#include <string>

namespace pydio::agent::logging {

struct LogContext {
  std::string resource;
  std::string action;
  std::string outcome;          // "ok" or "error"; empty when the line is not an outcome
  std::int64_t leader_term = 0;  // 0: not a leader-only action
};

// Sets the context of this thread's log lines until destroyed (nests: the outer one comes back).
class ScopedLogContext {
 public:
  explicit ScopedLogContext(LogContext context);
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  LogContext context_;
  const LogContext* previous_;
};

// The context of the line this thread is writing, or nullptr.
const LogContext* current_log_context();

}  // namespace pydio::agent::logging
