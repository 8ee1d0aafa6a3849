#pragma once
// The one way the agent keeps an exception from ending the daemon: run the body and hand back
// what escaped it. The reconciler and its pool turn it into an error state and an event
// ("internal error: <what>"); the long-lived threads (health, db and PHP probers, mount
// probes, reachability, elector, backup worker, the event loop) run each round through
// guarded_round, which reports it and lets the loop go on.

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace pydio::agent {

// Runs `body()`. Returns nullopt when it returned normally, else what the exception said
// ("unknown exception" for one not derived from std::exception).
template <typename Body>
std::optional<std::string> exception_from(Body&& body) {
  try {
    body();
    return std::nullopt;
  } catch (const std::exception& error) {
    return std::string(error.what());
  } catch (...) {
    return std::string("unknown exception");
  }
}

// What escaped a round of `thread`: logged as an error, counted in
// pydio_agent_thread_exceptions_total{thread}, and handed to the sink when one is set.
void report_thread_exception(const std::string& thread, const std::string& what);
// Where reports go besides the log and the counter (the daemon records an event); an empty
// function removes it. Thread-safe; the sink is called with a lock held, so it must be short
// and must not call report_thread_exception.
void set_thread_exception_sink(
    std::function<void(const std::string& thread, const std::string& what)> sink);

// Runs one round of a long-lived thread's body. An exception is reported (above) and false
// returned: the caller's loop goes on with its next round (or ends cleanly where it cannot).
template <typename Body>
bool guarded_round(const std::string& thread, Body&& body) {
  std::optional<std::string> what = exception_from(std::forward<Body>(body));
  if (!what) return true;
  report_thread_exception(thread, *what);
  return false;
}

}  // namespace pydio::agent
