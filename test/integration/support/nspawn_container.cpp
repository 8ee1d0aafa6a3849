#include "test/integration/support/nspawn_container.hpp"

#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace pydio::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// Mounts the overlay in the private mount namespace unshare made, then becomes systemd-nspawn:
// the overlay is visible to the container only, and goes when its last process exits. The
// paths are positional parameters, never spliced into the script.
constexpr const char* kBootScript =
    "mount -t overlay overlay -o \"lowerdir=$1,upperdir=$2,workdir=$3\" \"$4\" && "
    "exec systemd-nspawn -q -D \"$4\" --machine=pydio-package --register=no --keep-unit "
    "--private-network --bind=/dev/fuse -b";

// The container's binaries are found in its own PATH, with messages apt and dpkg print as
// the test expects.
const std::map<std::string, std::string> kContainerEnv = {
    {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
    {"LANG", "C.UTF-8"},
    {"DEBIAN_FRONTEND", "noninteractive"}};

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A child of this process (it is a subreaper) reaped if it exited; true while it runs.
bool child_running(int pid) {
  int status = 0;
  const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
  return reaped == 0;
}

bool wait_child_exit(int pid, std::chrono::seconds deadline) {
  const auto until = Clock::now() + deadline;
  while (Clock::now() < until) {
    if (!child_running(pid)) return true;
    std::this_thread::sleep_for(100ms);
  }
  return !child_running(pid);
}

}  // namespace

NspawnContainer::NspawnContainer(std::string tree) : tree_(std::move(tree)) {
  INFO("the container tree " << tree_ << " is built by ./setup (test/container-tree build)");
  REQUIRE(fs::exists(tree_ + "/.pydio-container-tree-complete"));
  // systemd-nspawn is started through a double fork; as a subreaper this process inherits it
  // and can wait for its exit.
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  char pattern[] = "/tmp/pydio-it-package.XXXXXX";
  REQUIRE(::mkdtemp(pattern) != nullptr);
  dir_ = pattern;
  for (const char* sub : {"upper", "work", "root"}) fs::create_directory(dir_ + "/" + sub);
}

NspawnContainer::~NspawnContainer() {
  power_off();
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
  if (fs::exists(dir_)) std::cerr << "nspawn container: could not remove " << dir_ << "\n";
}

void NspawnContainer::boot() {
  auto pid = runner_.spawn_detached(
      {"unshare", "--mount", "--propagation", "private", "sh", "-c", kBootScript, "sh", tree_,
       dir_ + "/upper", dir_ + "/work", dir_ + "/root"},
      dir_ + "/console.log");
  INFO(pid.status().message());
  REQUIRE(pid);
  nspawn_pid_ = *pid;
  find_leader();
}

void NspawnContainer::find_leader() {
  // The container's PID 1 is a child of the nspawn process; until it has exec'd systemd the
  // child is still nspawn's own.
  const std::string children =
      "/proc/" + std::to_string(nspawn_pid_) + "/task/" + std::to_string(nspawn_pid_) + "/children";
  const auto until = Clock::now() + 60s;
  while (Clock::now() < until) {
    std::istringstream in(read_all(children));
    int child = 0;
    if (in >> child && read_all("/proc/" + std::to_string(child) + "/comm") == "systemd\n") {
      leader_ = child;
      return;
    }
    INFO("console:\n" << read_all(dir_ + "/console.log"));
    REQUIRE(child_running(nspawn_pid_));
    std::this_thread::sleep_for(50ms);
  }
  FAIL("systemd-nspawn started no systemd in 60 s; console:\n" << read_all(dir_ + "/console.log"));
}

bool NspawnContainer::wait_booted(std::chrono::seconds deadline) {
  const auto until = Clock::now() + deadline;
  std::string state;
  while (Clock::now() < until) {
    auto result = run({"systemctl", "is-system-running"}, 10s);
    state = result.out.substr(0, result.out.find('\n'));
    if (state == "running") return true;
    if (state == "degraded") {
      WARN("container degraded; failed units:\n"
           << run({"systemctl", "--failed", "--no-legend", "--plain"}).out);
      return true;
    }
    std::this_thread::sleep_for(200ms);
  }
  UNSCOPED_INFO("container state " << state << "; console:\n" << read_all(dir_ + "/console.log"));
  return false;
}

void NspawnContainer::add_address(const std::string& address) {
  must({"ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"});
  must({"ip", "address", "add", address + "/24", "dev", "v0"});
  must({"ip", "link", "set", "v1", "up"});
  must({"ip", "link", "set", "v0", "up"});
}

common::RunResult NspawnContainer::run(const std::vector<std::string>& argv,
                                       std::chrono::milliseconds timeout,
                                       const std::string& stdin_data) {
  std::vector<std::string> full = {"nsenter", "-t", std::to_string(leader_), "-m", "-u", "-i", "-n",
                                   "-p",      "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  common::Command command(full, timeout);
  command.stdin_data = stdin_data;
  command.extra_env = kContainerEnv;
  return runner_.run(command);
}

std::string NspawnContainer::must(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout) {
  auto result = run(argv, timeout);
  INFO("in the container: " << result.describe_failure(argv) << "\nstdout: " << result.out);
  REQUIRE(result.succeeded());
  return result.out;
}

common::RunResult NspawnContainer::run_in_network(const std::vector<std::string>& argv,
                                                  std::chrono::milliseconds timeout) {
  std::vector<std::string> full = {"nsenter", "-t", std::to_string(leader_), "-n", "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  return runner_.run(common::Command(full, timeout));
}

std::string NspawnContainer::host_path(const std::string& container_path) const {
  return "/proc/" + std::to_string(leader_) + "/root" + container_path;
}

void NspawnContainer::write_file(const std::string& container_path, const std::string& text) {
  const fs::path path = host_path(container_path);
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  REQUIRE(out.good());
}

std::string NspawnContainer::read_file(const std::string& container_path) const {
  return read_all(host_path(container_path));
}

void NspawnContainer::power_off() {
  if (nspawn_pid_ <= 0 || !child_running(nspawn_pid_)) return;
  // SIGTERM to nspawn powers the container off (its systemd stops every unit and unmounts);
  // if that hangs, SIGKILL to the container's PID 1 ends its whole PID namespace.
  ::kill(nspawn_pid_, SIGTERM);
  if (wait_child_exit(nspawn_pid_, 60s)) return;
  std::cerr << "nspawn container: no power-off in 60 s, killing PID 1 " << leader_ << "\n";
  if (leader_ > 0) ::kill(leader_, SIGKILL);
  ::kill(nspawn_pid_, SIGKILL);
  if (!wait_child_exit(nspawn_pid_, 30s))
    std::cerr << "nspawn container: systemd-nspawn " << nspawn_pid_ << " still runs\n";
}

}  // namespace pydio::test
