#pragma once
// The one way the reconciler and its pool keep an exception from ending the daemon: run the
// body and hand back what escaped it, for the caller to turn into an error state and an event
// ("internal error: <what>").

#include <exception>
#include <optional>
#include <string>

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

}  // namespace pydio::agent
