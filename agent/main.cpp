// pydio-agentd: the node agent. Reads its local config, then reconciles this node against the
// desired state until SIGTERM. See docs/architecture.md.

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

#include "agent/daemon/daemon.hpp"
#include "agent/logging/journal_sink.hpp"
#include "common/local_config.hpp"
#include "version.hpp"

namespace {

// Every connection, pipe and MySQL connection is a descriptor, and the default soft limit
// (1,024) is what ~1,000 idle connections to the health port once exhausted. The hard limit
// is the process's to take; above 65,536 (the unit's LimitNOFILE) it is not needed, and the
// services the agent starts inherit it (some size tables or close loops by it).
constexpr rlim_t kDescriptorsWanted = 65536;

void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("descriptor limit: getrlimit: {}", std::strerror(errno));
    return;
  }
  const rlim_t before = limit.rlim_cur;
  const rlim_t wanted = std::min(limit.rlim_max, kDescriptorsWanted);
  if (before < wanted) {
    limit.rlim_cur = wanted;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      spdlog::warn("descriptor limit: raising the soft limit from {} to {}: {}", before, wanted,
                   std::strerror(errno));
      return;
    }
  }
  spdlog::info("descriptor limit: {} (hard limit {}, was {})", limit.rlim_cur, limit.rlim_max,
               before);
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives every thread that allocates its own malloc arena; the agent's dozen mostly idle
  // threads do not need them, and two arenas keep the resident set small.
  mallopt(M_ARENA_MAX, 2);
  CLI::App app{"pydio-agentd: keeps this node of a Pydio-on-GlusterFS cluster converged"};
  std::string config_path = pydio::common::kDefaultConfigPath;
  std::string log_level = "info";
  app.add_option("-c,--config", config_path, "local config file")->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.set_version_flag("--version", pydio::common::kVersion);
  CLI11_PARSE(app, argc, argv);

  auto local = pydio::common::load_local_config(config_path);
  if (!local) {
    std::cerr << "pydio-agentd: " << local.status().message() << "\n";
    return 1;
  }
  // Under systemd: journal entries with fields (node, resource, action, term); else plain lines.
  pydio::agent::logging::install_logger(spdlog::level::from_str(log_level), local->node_name);
  raise_descriptor_limit();
  pydio::agent::Daemon daemon(*local);
  return daemon.run();
}
