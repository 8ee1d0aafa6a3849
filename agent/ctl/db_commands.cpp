// agentctl db bootstrap --force NODE: after an outage in which a db node stays silent, starts
// the Galera cluster from NODE (POST /v1/db/bootstrap, agent/daemon/db_bootstrap_command.hpp).
// agentctl db backups: the backups in the backup folder (GET /v1/db/backups).
// agentctl db restore NAME [--yes] and agentctl db release (POST /v1/db/restore, /v1/db/release,
// agent/daemon/db_restore_command.hpp).

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/ctl/admin_client.hpp"
#include "agent/ctl/commands.hpp"

namespace pydio::agent::ctl {

int run_db_bootstrap(const GlobalOptions& global, const std::string& node, bool force) {
  if (!force) {
    std::cerr << "db bootstrap: " << node
              << " would start the database cluster with ITS data; every transaction a silent "
                 "member committed after it is lost. Read `agentctl status` (the db-server "
                 "line shows the seqnos seen: pick the highest), then run again with --force\n";
    return kExitFailed;
  }
  api::AdminClient client(global.socket_path, global.timeout);
  const api::AdminReply reply =
      client.post("/v1/db/bootstrap", nlohmann::json{{"node", node}}.dump());
  if (!reply.ok()) {
    std::cerr << "db bootstrap: " << reply.error << "\n";
    return reply.kind == api::AdminReply::Kind::kRefused ? kExitFailed : kExitUnreachable;
  }
  std::cout << node << " bootstraps the Galera cluster now; the other db nodes join it "
            << "(agentctl status shows their state)\n";
  return kExitOk;
}

int run_db_backups(const GlobalOptions& global, OutputFormat format) {
  api::AdminClient client(global.socket_path, global.timeout);
  const api::AdminReply reply = client.get("/v1/db/backups");
  if (!reply.ok()) {
    std::cerr << "db backups: " << reply.error << "\n";
    return reply.kind == api::AdminReply::Kind::kRefused ? kExitFailed : kExitUnreachable;
  }
  if (format == OutputFormat::kJson) {
    std::cout << reply.body.dump(2) << "\n";
    return kExitOk;
  }
  const nlohmann::json& body = reply.body;
  std::cout << "folder: " << body.value("folder", "") << "\n";
  std::printf("%-36s %-20s %-10s %14s  %s\n", "NAME", "FINISHED", "NODE", "BYTES", "SHA256");
  for (const auto& b : body.value("backups", nlohmann::json::array())) {
    std::printf("%-36s %-20s %-10s %14lld  %s\n", b.value("name", "").c_str(),
                b.value("finishedAt", "").c_str(), b.value("node", "").c_str(),
                static_cast<long long>(b.value("bytes", std::int64_t{0})),
                b.value("sha256", "").c_str());
  }
  for (const auto& name : body.value("partial", nlohmann::json::array()))
    std::cout << "being taken (or left by a crash): " << name.get<std::string>() << "\n";
  for (const auto& problem : body.value("problems", nlohmann::json::array()))
    std::cout << "problem: " << problem.get<std::string>() << "\n";
  return kExitOk;
}

namespace {
// Unpacking and preparing a large backup takes long; --timeout may only raise this.
constexpr std::chrono::hours kRestoreTimeout{6};

void print_lines(std::ostream& out, const nlohmann::json& body, const char* key,
                 const std::string& prefix) {
  if (!body.is_object() || !body.contains(key) || !body[key].is_array()) return;
  for (const auto& line : body[key])
    if (line.is_string()) out << prefix << line.get<std::string>() << "\n";
}

// True when the operator typed "yes" on the terminal.
bool confirmed_on_terminal() {
  if (!::isatty(STDIN_FILENO)) return false;
  std::cout << "Type yes to restore: " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "yes";
}
}  // namespace

std::string format_restore_steps(const nlohmann::json& body) {
  std::string out = "agentctl db restore " + body.value("name", std::string("?")) + " will:\n";
  int number = 0;
  if (body.is_object() && body.contains("steps") && body["steps"].is_array()) {
    for (const auto& step : body["steps"])
      if (step.is_string())
        out += "  " + std::to_string(++number) + ". " + step.get<std::string>() + "\n";
  }
  return out;
}

int run_db_restore(const GlobalOptions& global, const std::string& name, bool yes) {
  api::AdminClient asking(global.socket_path, global.timeout);
  const api::AdminReply steps =
      asking.post("/v1/db/restore", nlohmann::json{{"name", name}, {"confirmed", false}}.dump());
  if (!steps.ok()) {
    std::cerr << "db restore: " << steps.error << "\n";
    return steps.kind == api::AdminReply::Kind::kRefused ? kExitFailed : kExitUnreachable;
  }
  std::cout << format_restore_steps(steps.body);
  if (!yes && !::isatty(STDIN_FILENO)) {
    std::cerr << "db restore: not asked on a terminal: run again with --yes to confirm\n";
    return kExitFailed;
  }
  if (!yes && !confirmed_on_terminal()) {
    std::cerr << "db restore: not confirmed; nothing was changed\n";
    return kExitFailed;
  }
  api::AdminClient client(global.socket_path,
                          std::max<std::chrono::milliseconds>(global.timeout, kRestoreTimeout));
  const api::AdminReply reply =
      client.post("/v1/db/restore", nlohmann::json{{"name", name}, {"confirmed", true}}.dump());
  if (!reply.ok()) {
    std::cerr << "db restore: " << reply.error << "\n";
    print_lines(std::cerr, reply.body, "done", "  done: ");
    return reply.kind == api::AdminReply::Kind::kRefused ? kExitFailed : kExitUnreachable;
  }
  print_lines(std::cout, reply.body, "done", "done: ");
  if (reply.body.contains("setAside") && reply.body["setAside"].is_object()) {
    for (const auto& [node, path] : reply.body["setAside"].items())
      std::cout << "set aside on " << node << ": "
                << (path.is_string() ? path.get<std::string>() : "") << "\n";
  }
  print_lines(std::cerr, reply.body, "problems", "problem: ");
  std::cout << "restored " << name << "; agentctl status shows the other members joining\n";
  const bool clean = !reply.body.contains("problems") || reply.body["problems"].empty();
  return clean ? kExitOk : kExitFailed;
}

int run_db_release(const GlobalOptions& global) {
  api::AdminClient client(global.socket_path, global.timeout);
  const api::AdminReply reply = client.post("/v1/db/release", "{}");
  print_lines(std::cout, reply.body, "released", "released: ");
  if (!reply.ok()) {
    std::cerr << "db release: " << reply.error << "\n";
    return reply.kind == api::AdminReply::Kind::kRefused ? kExitFailed : kExitUnreachable;
  }
  return kExitOk;
}

}  // namespace pydio::agent::ctl
