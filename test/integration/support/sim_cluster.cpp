#include "sim_cluster.hpp"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <thread>

#include "agent/trust/pki.hpp"

namespace pydio::test {

std::string harness_path() { return PYDIO_HARNESS; }
std::string agentd_path() { return PYDIO_AGENTD; }
std::string agentctl_path() { return PYDIO_AGENTCTL; }

std::string previous_release_binaries(const std::string& dir) {
  common::SystemRunner runner;
  auto built = runner.run(common::Command(
      {std::string(PYDIO_SOURCE_DIR) + "/test/upgrade-build-previous", dir},
      std::chrono::minutes(40)));
  INFO("upgrade-build-previous: " << built.err);
  REQUIRE(built.succeeded());
  std::string binaries = built.out.substr(0, built.out.find('\n'));
  REQUIRE_FALSE(binaries.empty());
  return binaries;
}

bool eventually(const std::function<bool()>& condition, std::chrono::seconds deadline) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(250ms);
  }
  return condition();
}

SimNode::SimNode(std::string run_dir, std::string name, int index)
    : run_dir_(std::move(run_dir)), name_(std::move(name)), index_(index) {}

common::RunResult SimNode::exec(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout, const std::string& stdin_data) {
  std::vector<std::string> full = {harness_path(), "exec", run_dir_, name_, "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  common::Command command(full, timeout);
  command.stdin_data = stdin_data;
  return runner_.run(command);
}

std::string SimNode::must(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  common::RunResult result = exec(argv, timeout);
  INFO(name_ << ": " << result.describe_failure(argv));
  REQUIRE(result.succeeded());
  return result.out;
}

std::string SimNode::create_loop_device(int size_mb) {
  common::RunResult result = runner_.run(
      common::Command({harness_path(), "loopdev", run_dir_, name_, std::to_string(size_mb)}, 60s));
  INFO(result.describe_failure({"simnode", "loopdev"}));
  REQUIRE(result.succeeded());
  std::string device = result.out;
  while (!device.empty() && (device.back() == '\n' || device.back() == ' ')) device.pop_back();
  return device;
}

void SimNode::write_file(const std::string& path, const std::string& content) {
  common::RunResult result = exec({"tee", path}, 30s, content);
  INFO(name_ << ": write " << path << ": " << result.describe_failure({"tee", path}));
  REQUIRE(result.succeeded());
}

bool SimNode::file_exists(const std::string& path) {
  return exec({"test", "-e", path}, 30s).exit_code == 0;
}

bool SimNode::file_absent(const std::string& path) {
  common::RunResult result = exec({"test", "-e", path}, 30s);
  INFO(name_ << ": " << result.describe_failure({"test", "-e", path}));
  REQUIRE((result.exit_code == 0 || result.exit_code == 1));
  return result.exit_code == 1;
}

std::string SimNode::read_file(const std::string& path) {
  common::RunResult result = exec({"cat", path}, 30s);
  return result.succeeded() ? result.out : std::string();
}

int SimNode::start_agent(int pass_interval_seconds, const std::string& agentd) {
  nlohmann::json config = {{"nodeName", name_},
                           {"address", address()},
                           {"healthListen", address() + ":8480"},
                           {"services", "direct"},
                           {"passIntervalSeconds", pass_interval_seconds}};
  // The node's /usr and dpkg database are the host's: never apt-get there. Only this
  // version's agent knows the field (the upgrade scenario starts the previous one).
  if (agentd.empty()) config["installPackages"] = false;
  must({"mkdir", "-p", "/etc/pydio-agent"});
  write_file("/etc/pydio-agent/agent.json", config.dump(2) + "\n");
  const std::string binary = agentd.empty() ? agentd_path() : agentd;
  std::vector<std::string> argv = {
      harness_path(), "exec", run_dir_,   name_,
      "--",           binary, "--config", "/etc/pydio-agent/agent.json",
      "--log-level",  "debug"};
  auto pid = runner_.spawn_detached(argv, run_dir_ + "/" + name_ + "-agent.log");
  REQUIRE(pid.has_value());
  agent_pid_ = *pid;
  return agent_pid_;
}

bool SimNode::agent_alive() const {
  if (agent_pid_ <= 0) return false;
  // A zombie still answers kill(0); its state in /proc says it has exited.
  std::ifstream stat("/proc/" + std::to_string(agent_pid_) + "/stat");
  std::string pid, comm, state;
  if (!(stat >> pid >> comm >> state)) return false;
  return state != "Z" && state != "X";
}

void SimNode::stop_agent(int signal_number) {
  if (agent_pid_ <= 0) return;
  ::kill(agent_pid_, signal_number);
  bool gone = eventually([&] { return !agent_alive(); }, 60s);
  if (!gone) {
    ::kill(agent_pid_, SIGKILL);
    eventually([&] { return !agent_alive(); }, 20s);
  }
  agent_pid_ = -1;
}

bool SimNode::wait_agent_ready() {
  // `agentctl status` succeeds only when the daemon itself answers.
  return eventually(
      [&] {
        return agent_alive() && agentctl({"status", "--local"}, 10s).succeeded();
      },
      60s);
}

common::RunResult SimNode::agentctl(const std::vector<std::string>& args,
                                    std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {agentctl_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return exec(argv, timeout);
}

namespace {
// agentctl's JSON answer, or null when it failed.
nlohmann::json json_answer(const common::RunResult& result) {
  if (!result.succeeded()) return nullptr;
  auto parsed = nlohmann::json::parse(result.out, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json(nullptr) : parsed;
}
}  // namespace

nlohmann::json SimNode::status() {
  return json_answer(agentctl({"status", "--local", "-o", "json"}, 30s));
}

std::string SimNode::resource_state(const std::string& resource) {
  nlohmann::json s = status();
  if (!s.is_object() || !s.contains("resources")) return "";
  for (const auto& r : s["resources"])
    if (r.value("name", "") == resource) return r.value("state", "");
  return "";
}

std::pair<int, std::string> SimNode::http_get(const std::string& url) {
  common::RunResult result =
      exec({"curl", "-s", "-m", "10", "-o", "-", "-w", "\n%{http_code}", url}, 20s);
  auto newline = result.out.rfind('\n');
  if (newline == std::string::npos) return {0, ""};
  int code = std::atoi(result.out.c_str() + newline + 1);
  return {code, result.out.substr(0, newline)};
}

std::map<std::string, int> SimNode::fuse_mounts() {
  std::map<std::string, int> mounts;
  std::istringstream in(read_file("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, target, field;
    fields >> id >> parent >> devno >> root >> target;
    while (fields >> field && field != "-") {
    }
    std::string fstype;
    fields >> fstype;
    if (fstype == "fuse.glusterfs") mounts[target] = std::atoi(id.c_str());
  }
  return mounts;
}

SimCluster::SimCluster() {
  char dir_template[] = "/tmp/pydio-sim-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  run_dir_ = dir_template;
  ::setenv("SIMNODE_OWNER_PID", std::to_string(::getpid()).c_str(), 1);
}

SimCluster::~SimCluster() {
  // After a failed REQUIRE (an exception is unwinding) or on request, keep the agents' logs.
  const bool keep_logs = std::uncaught_exceptions() > 0 || std::getenv("PYDIO_KEEP_TEST_LOGS");
  for (auto& node : nodes_) node->stop_agent(SIGTERM);
  if (keep_logs) keep_gluster_logs();
  common::SystemRunner runner;
  common::RunResult destroyed =
      runner.run(common::Command({harness_path(), "destroy", run_dir_}, 300s));
  if (!destroyed.succeeded()) {
    std::fprintf(stderr, "simnode destroy %s: %s\n", run_dir_.c_str(),
                 destroyed.describe_failure({"simnode", "destroy"}).c_str());
    return;
  }
  if (keep_logs) {
    std::fprintf(stderr, "agent logs kept in %s\n", run_dir_.c_str());
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(run_dir_, ignored);
}

// GlusterFS's own logs (glusterd, bricks, FUSE clients) live in each node's private
// /var/log/glusterfs, which destroy removes; a failure is often explained only there.
void SimCluster::keep_gluster_logs() const {
  for (const auto& node : nodes_) {
    const std::string from = run_dir_ + "/nodes/" + node->name() + "/fs/var/log/glusterfs";
    const std::string to = run_dir_ + "/" + node->name() + "-glusterfs";
    std::error_code failed;
    std::filesystem::copy(from, to, std::filesystem::copy_options::recursive, failed);
    if (failed) std::fprintf(stderr, "keeping %s: %s\n", from.c_str(), failed.message().c_str());
  }
}

SimNode& SimCluster::add_node(const std::string& name, int index) {
  common::SystemRunner runner;
  common::RunResult created = runner.run(
      common::Command({harness_path(), "create", run_dir_, name, std::to_string(index)}, 120s));
  INFO(created.describe_failure({"simnode", "create"}));
  REQUIRE(created.succeeded());
  nodes_.push_back(std::make_unique<SimNode>(run_dir_, name, index));
  return *nodes_.back();
}

namespace {
// The web part every test spec shares.
nlohmann::json web_spec(const std::string& public_url) {
  return {{"docroot", "/var/www/pydio"}, {"alias", "/pydio"},   {"healthFile", "check.txt"},
          {"user", "www-data"},          {"group", "www-data"}, {"publicUrl", public_url}};
}
}  // namespace

nlohmann::json single_node_spec(const SimNode& node, const std::string& device, int generation) {
  return {{"apiVersion", "pydio-agent/v1"},
          {"generation", generation},
          {"cluster", {{"name", "pydio"}}},
          {"nodes",
           {{{"name", node.name()},
             {"address", node.address()},
             {"roles", {"storage", "compute", "db"}},
             {"bricks",
              {{{"name", "data"},
                {"device", device},
                {"mountpoint", "/srv/pydio"},
                {"filesystem", "xfs"}},
               {{"name", "config"}, {"directory", "/srv/pydio/config-brick"}}}}}}},
          {"volumes",
           {{{"name", "pydio-data"},
             {"replica", 1},
             {"brick", "data"},
             {"mountpoint", "/mnt/pydio-data"}},
            {{"name", "pydio-config"},
             {"replica", 1},
             {"brick", "config"},
             {"mountpoint", "/mnt/pydio-config"}}}},
          {"web", web_spec("http://" + node.address() + "/pydio")},
          {"database",
           {{"host", node.address()},
            {"name", "pydio"},
            {"user", "pydio"},
            {"allowedHosts", {"198.18.0.%"}}}}};
}

std::pair<int, std::string> health_of(SimNode& node) {
  return node.http_get("http://" + node.address() + ":8480/health");
}

SimNode& bring_up_healthy_single_node(SimCluster& cluster) {
  SimNode& node = cluster.add_node("node1", 1);
  const std::string device = node.create_loop_device(400);
  node.start_agent();
  REQUIRE(node.wait_agent_ready());
  const std::string spec_path = cluster.run_dir() + "/spec.json";
  std::ofstream(spec_path) << single_node_spec(node, device).dump(2);
  auto init = node.agentctl({"init", "--spec", spec_path});
  INFO(init.out << init.err);
  REQUIRE(init.succeeded());
  bool healthy =
      eventually([&] { return health_of(node).first == 200; }, std::chrono::seconds(240));
  INFO("status: " << node.agentctl({"status"}).out);
  REQUIRE(healthy);
  REQUIRE(wait_layout(node));
  return node;
}

int apache_pid(SimNode& node) {
  const int pid = std::atoi(node.read_file("/run/apache2/apache2.pid").c_str());
  if (pid <= 0) return 0;
  return node.read_file("/proc/" + std::to_string(pid) + "/comm") == "apache2\n" ? pid : 0;
}

namespace {
// `agentctl events` as JSON; null when it failed.
nlohmann::json events_of(SimNode& node) {
  return json_answer(node.agentctl({"events", "-n", "1000", "-o", "json"}, 30s));
}

int matching_events(const nlohmann::json& events, const std::string& resource,
                    const std::string& text) {
  int count = 0;
  for (const auto& event : events)
    if (event.value("resource", "") == resource &&
        event.value("action", "").find(text) != std::string::npos &&
        event.value("outcome", "") == "ok")
      ++count;
  return count;
}
}  // namespace

bool has_event(SimNode& node, const std::string& resource, const std::string& text) {
  const nlohmann::json events = events_of(node);
  return events.is_array() && matching_events(events, resource, text) > 0;
}

int count_events(SimNode& node, const std::string& resource, const std::string& text) {
  const nlohmann::json events = events_of(node);
  INFO(node.name() << ": agentctl events answered " << events.dump());
  REQUIRE(events.is_array());
  return matching_events(events, resource, text);
}

nlohmann::json cluster_spec(const std::vector<SpecNode>& nodes, int replica, int arbiter,
                            int generation) {
  nlohmann::json list = nlohmann::json::array();
  std::string db_address;
  int db_nodes = 0;
  for (const auto& entry : nodes) {
    nlohmann::json node = {
        {"name", entry.node->name()}, {"address", entry.node->address()}, {"roles", entry.roles}};
    if (!entry.device.empty()) {
      node["bricks"] = {{{"name", "data"},
                         {"device", entry.device},
                         {"mountpoint", "/srv/pydio"},
                         {"filesystem", "xfs"}},
                        {{"name", "config"}, {"directory", "/srv/pydio/config-brick"}}};
    }
    for (const auto& role : entry.roles)
      if (role == "db") {
        db_address = entry.node->address();
        ++db_nodes;
      }
    list.push_back(node);
  }
  auto volume = [&](const std::string& name, const std::string& brick) {
    return nlohmann::json{{"name", name},
                          {"replica", replica},
                          {"arbiter", arbiter},
                          {"brick", brick},
                          {"mountpoint", "/mnt/" + name},
                          {"options", {{"network.ping-timeout", "5"}}}};
  };
  nlohmann::json database = {
      {"host", db_address}, {"name", "pydio"}, {"user", "pydio"}, {"allowedHosts", {"198.18.0.%"}}};
  if (db_nodes >= 3) database.erase("host");  // Galera: the members are the db nodes
  return {{"apiVersion", "pydio-agent/v1"},
          {"generation", generation},
          {"cluster", {{"name", "pydio"}}},
          {"nodes", list},
          {"volumes", {volume("pydio-data", "data"), volume("pydio-config", "config")}},
          {"web", web_spec("http://files.example.test/pydio")},
          {"database", database}};
}

std::string init_cluster(SimCluster& cluster, SimNode& first, const nlohmann::json& spec) {
  const std::string spec_path = cluster.run_dir() + "/cluster-spec.json";
  std::ofstream(spec_path) << spec.dump(2);
  auto init = first.agentctl({"init", "--spec", spec_path});
  INFO(init.out << init.err);
  REQUIRE(init.succeeded());
  const std::string marker = "--token ";
  auto at = init.out.find(marker);
  REQUIRE(at != std::string::npos);
  std::string token = init.out.substr(at + marker.size());
  token = token.substr(0, token.find_first_of(" \n"));
  REQUIRE(token.size() == 23);
  return token;
}

std::string create_join_token(SimNode& node, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"token", "create"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto created = node.agentctl(argv, 60s);
  INFO(node.name() << ": " << created.out << created.err);
  REQUIRE(created.succeeded());
  static const std::regex kLine("\n  ([a-z0-9]{6}\\.[a-z0-9]{16})\n");
  std::smatch match;
  REQUIRE(std::regex_search(created.out, match, kLine));
  return match[1];
}

std::string ca_cert_hash(SimNode& node) {
  auto pin = pydio::agent::trust::spki_pin(node.read_file("/etc/pydio-agent/pki/ca.crt"));
  INFO(node.name() << ": " << pin.status().message());
  REQUIRE(pin);
  return *pin;
}

void join_cluster(SimNode& node, SimNode& peer, const std::string& token,
                  const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"join", peer.address(),   "--token",
                                   token,  "--ca-cert-hash", ca_cert_hash(peer)};
  args.insert(args.end(), extra.begin(), extra.end());
  auto joined = node.agentctl(args, 90s);
  INFO(node.name() << ": " << joined.out << joined.err);
  REQUIRE(joined.succeeded());
}

std::vector<common::RunResult> join_in_parallel(const std::vector<SimNode*>& nodes, SimNode& peer,
                                                const std::string& token) {
  const std::string pin = ca_cert_hash(peer);
  // One thread per node; each touches only its own SimNode (and its own runner).
  std::vector<std::future<common::RunResult>> pending;
  for (SimNode* node : nodes) {
    pending.push_back(std::async(std::launch::async, [node, &peer, &token, &pin] {
      return node->agentctl({"join", peer.address(), "--token", token, "--ca-cert-hash", pin},
                            120s);
    }));
  }
  std::vector<common::RunResult> results;
  for (auto& result : pending) results.push_back(result.get());
  return results;
}

nlohmann::json cluster_status(SimNode& node) {
  return json_answer(node.agentctl({"status", "-o", "json"}, 60s));
}

bool wait_layout(SimNode& node) {
  // A node is healthy once it can serve; the layout is the leader's, created right after.
  return eventually(
      [&] {
        return node.file_exists("/mnt/pydio-data/public") &&
               node.file_exists("/mnt/pydio-data/common") &&
               node.file_exists("/mnt/pydio-data/users");
      },
      120s);
}

bool wait_healthy(SimNode& node, std::chrono::seconds deadline) {
  bool healthy = eventually([&] { return health_of(node).first == 200; }, deadline);
  if (!healthy) {
    UNSCOPED_INFO(node.name() << " never became healthy; status:\n"
                              << node.agentctl({"status"}).out);
  }
  return healthy;
}

std::string current_leader(const std::vector<SimNode*>& nodes) {
  for (SimNode* node : nodes) {
    nlohmann::json s = node->status();
    if (s.is_object() && s.value("/leader/isLeader"_json_pointer, false)) return node->name();
  }
  return "";
}

long long generation_of(SimNode& node) {
  nlohmann::json s = node.status();
  return s.is_object() ? s.value("generation", 0LL) : 0LL;
}

std::string agent_log(const SimCluster& cluster, const SimNode& node) {
  std::ifstream in(cluster.run_dir() + "/" + node.name() + "-agent.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

SimNode& add_started_node(SimCluster& cluster, const std::string& name, int index) {
  SimNode& node = cluster.add_node(name, index);
  node.start_agent();
  REQUIRE(node.wait_agent_ready());
  return node;
}

TutorialCluster bring_up_tutorial_cluster(SimCluster& cluster, DbPlacement db_placement) {
  TutorialCluster out;
  out.n1 = &cluster.add_node("n1", 1);
  out.n2 = &cluster.add_node("n2", 2);
  const std::string disk1 = out.n1->create_loop_device(400);
  const std::string disk2 = out.n2->create_loop_device(400);
  std::vector<SpecNode> nodes = {{out.n1, {"storage", "compute"}, disk1},
                                 {out.n2, {"storage", "compute"}, disk2}};
  if (db_placement == DbPlacement::kOwnNode) {
    out.db = &cluster.add_node("db", 3);
    nodes.push_back({out.db, {"db"}, ""});
  } else {
    nodes[0].roles.push_back("db");
  }
  for (SimNode* node : {out.n1, out.n2, out.db}) {
    if (node == nullptr) continue;
    node->start_agent();
    REQUIRE(node->wait_agent_ready());
  }
  out.token = init_cluster(cluster, *out.n1, cluster_spec(nodes, 2));
  if (out.db != nullptr) join_cluster(*out.db, *out.n1, out.token);
  join_cluster(*out.n2, *out.n1, out.token);
  REQUIRE(wait_healthy(*out.n1));
  REQUIRE(wait_healthy(*out.n2));
  REQUIRE(wait_layout(*out.n1));
  return out;
}

}  // namespace pydio::test
