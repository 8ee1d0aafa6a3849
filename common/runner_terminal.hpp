#pragma once
// The one process runner (runner.hpp) for a program the operator works in: `agentctl edit`
// runs $VISUAL/$EDITOR on the operator's own terminal. Separate from ProcessRunner because that
// one captures output and bounds the time, and an editor needs the terminal for as long as the
// operator takes; implemented in runner.cpp, the only code that forks.

#include <string>
#include <vector>

#include "common/status.hpp"

namespace pydio::common {

// Runs argv (never through a shell; argv[0] looked up in PATH) with this process's stdin,
// stdout and stderr, and waits for it without a time limit. Returns its exit status; a program
// that cannot be started gives 127 (as a shell would), one killed by a signal 128 + the signal.
// An error only when fork or wait fail.
Expected<int> run_in_terminal(const std::vector<std::string>& argv);

}  // namespace pydio::common
