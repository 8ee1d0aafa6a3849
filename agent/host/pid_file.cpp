#include "agent/host/pid_file.hpp"

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "agent/host/service_paths.hpp"

namespace pydio::agent {
namespace {

std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<int> live_pid(const std::string& pid_file, const std::vector<std::string>& comms) {
  auto text = read_small_file(pid_file);
  if (!text) return std::nullopt;
  auto pid = parse_pid_file(*text);
  if (!pid) return std::nullopt;
  if (::kill(*pid, 0) != 0 && errno != EPERM) return std::nullopt;
  auto comm = read_small_file("/proc/" + std::to_string(*pid) + "/comm");
  if (!comm) return std::nullopt;
  while (!comm->empty() && (comm->back() == '\n' || comm->back() == ' ')) comm->pop_back();
  for (const auto& want : comms) {
    if (*comm == want) return pid;
  }
  return std::nullopt;
}

}  // namespace pydio::agent
