#include "agent/host/pid_file.hpp"

#include <dirent.h>
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

// Fields of /proc/PID/stat after the command name (which may hold spaces and parentheses):
// state, ppid, pgrp, ...; empty when the process is gone.
std::vector<std::string> stat_fields(int pid) {
  auto text = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  std::vector<std::string> fields;
  if (!text) return fields;
  auto close = text->rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream rest(text->substr(close + 1));
  for (std::string field; rest >> field && fields.size() < 3;) fields.push_back(field);
  return fields;
}

}  // namespace

std::optional<int> pid_in_file(const std::string& pid_file) {
  auto text = read_small_file(pid_file);
  if (!text) return std::nullopt;
  return parse_pid_file(*text);
}

bool is_zombie_or_gone(int pid) {
  auto fields = stat_fields(pid);
  return fields.empty() || fields[0] == "Z" || fields[0] == "X";
}

std::vector<int> group_members(int pgid, const std::vector<std::string>& comms) {
  std::vector<int> members;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return members;
  while (const dirent* entry = ::readdir(proc)) {
    const std::string name = entry->d_name;
    auto pid = parse_pid_file(name);
    if (!pid || *pid == pgid) continue;
    auto fields = stat_fields(*pid);
    if (fields.size() < 3 || fields[2] != std::to_string(pgid) || fields[0] == "Z") continue;
    auto comm = read_small_file("/proc/" + name + "/comm");
    if (!comm) continue;
    while (!comm->empty() && (comm->back() == '\n' || comm->back() == ' ')) comm->pop_back();
    for (const auto& want : comms)
      if (*comm == want) members.push_back(*pid);
  }
  ::closedir(proc);
  return members;
}

std::optional<int> live_pid(const std::string& pid_file, const std::vector<std::string>& comms) {
  auto pid = pid_in_file(pid_file);
  if (!pid) return std::nullopt;
  if (::kill(*pid, 0) != 0 && errno != EPERM) return std::nullopt;
  // A killed process nobody reaped yet (an init that does not reap) has exited all the same.
  if (is_zombie_or_gone(*pid)) return std::nullopt;
  auto comm = read_small_file("/proc/" + std::to_string(*pid) + "/comm");
  if (!comm) return std::nullopt;
  while (!comm->empty() && (comm->back() == '\n' || comm->back() == ' ')) comm->pop_back();
  for (const auto& want : comms) {
    if (*comm == want) return pid;
  }
  return std::nullopt;
}

}  // namespace pydio::agent
