#include "agent/cluster/reachability.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <future>

#include "agent/api/peer_api.hpp"
#include "agent/reconcile/guard.hpp"

namespace pydio::agent {

std::string minority_problem(const common::DesiredState& desired, const std::string& self,
                             const std::set<std::string>& reachable) {
  const std::size_t total = desired.nodes.size();
  if (total <= 1 || desired.find_node(self) == nullptr) return "";
  std::size_t reached = 0;
  std::string missing;
  for (const auto& node : desired.nodes) {
    if (node.name == self || reachable.count(node.name) > 0) {
      ++reached;
    } else {
      missing += (missing.empty() ? "" : ", ") + node.name;
    }
  }
  if (2 * reached > total) return "";
  const std::string& first = desired.nodes.front().name;
  if (2 * reached == total && (first == self || reachable.count(first) > 0)) return "";
  return "cut off from the cluster: reaches " + std::to_string(reached) + " of " +
         std::to_string(total) + " nodes (no answer from " + missing + ")";
}

bool tcp_reachable(const std::string& address, std::uint16_t port,
                   std::chrono::milliseconds bound) {
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &target.sin_addr) != 1) return false;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool reached = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0) {
    reached = true;
  } else if (errno == ECONNREFUSED) {
    reached = true;  // the host answered with a reset: it is there
  } else if (errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(bound.count())) == 1) {
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      reached = error == 0 || error == ECONNREFUSED;
    }
  }
  ::close(fd);
  return reached;
}

Reachability::Reachability(std::string self,
                           std::function<std::shared_ptr<const common::DesiredState>()> desired)
    : self_(std::move(self)), desired_(std::move(desired)) {}

Reachability::~Reachability() { stop(); }

void Reachability::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Reachability::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<std::set<std::string>> Reachability::reachable() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reached_;
}

void Reachability::loop() {
  while (true) {
    // A round that threw (std::async throws once no thread can be made) keeps the last set.
    guarded_round("reachability", [this] { round(); });
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, kPeriod, [this] { return stopping_; })) return;
  }
}

void Reachability::round() {
  auto desired = desired_();
  if (!desired) return;
  std::vector<std::pair<std::string, std::future<bool>>> asked;
  for (const auto& node : desired->nodes) {
    if (node.name == self_) continue;
    const std::string address = node.address;
    asked.emplace_back(node.name, std::async(std::launch::async, [address] {
                         return tcp_reachable(address, api::kPeerPort, kConnectBound);
                       }));
  }
  std::set<std::string> reached = {self_};
  for (auto& [name, answer] : asked)
    if (answer.get()) reached.insert(name);
  std::lock_guard<std::mutex> lock(mutex_);
  reached_ = std::move(reached);
}

}  // namespace pydio::agent
