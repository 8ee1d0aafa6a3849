#pragma once
// The one process runner (runner.hpp) for a child whose stdin is a file: large input, such as
// a database backup stream fed to `mbstream -x`, is never held in memory and needs no shell
// redirection. Separate from ProcessRunner so that the interface every resource and test fake
// uses stays as it is; implemented in runner.cpp, the only code that forks.

#include <string>

#include "common/runner.hpp"

namespace pydio::common {

// Runs `command` as SystemRunner::run does, with `stdin_path` (opened read-only, no link
// followed) as its stdin; command.stdin_data is ignored. A file that cannot be opened gives
// exit_code 127 and "open <path>: <reason>" in err, and nothing runs.
RunResult run_with_stdin_file(const Command& command, const std::string& stdin_path);

}  // namespace pydio::common
