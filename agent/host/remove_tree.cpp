#include "agent/host/remove_tree.hpp"

#include <chrono>

namespace pydio::agent {

using common::Status;

namespace {
constexpr std::chrono::seconds kRemoveTimeout{300};
}  // namespace

Status remove_tree(common::ProcessRunner& runner, const std::string& path) {
  if (path.empty() || path.front() != '/' || path == "/")
    return Status::error("remove " + path + ": not an absolute path below /");
  common::Command command({"rm", "-rf", "--one-file-system", "--", path}, kRemoveTimeout);
  common::RunResult result = runner.run(command);
  if (result.succeeded()) return Status::ok();
  return Status::error("remove " + path + ": " + result.describe_failure(command.argv));
}

}  // namespace pydio::agent
