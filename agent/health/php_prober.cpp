#include "agent/health/php_prober.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "agent/resources/php_settings.hpp"

namespace pydio::agent {

namespace {
constexpr std::size_t kMaxAnswerBytes = 1024 * 1024;  // the page answers a few KB

HttpAnswer failed(const std::string& why) { return HttpAnswer{0, why}; }
}  // namespace

HttpAnswer get_local_probe(std::chrono::seconds give_up, const std::string& mounts_key) {
  const auto deadline = std::chrono::steady_clock::now() + give_up;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return failed(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(80);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    ::close(fd);
    return failed(std::string("connect 127.0.0.1:80: ") + std::strerror(error));
  }
  const std::string query = mounts_key.empty() ? "" : "?mounts=" + mounts_key;
  const std::string request = std::string("GET ") + kProbeUrlPath + query +
                              " HTTP/1.0\r\nHost: localhost\r\nUser-Agent: pydio-agentd\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return failed("send to 127.0.0.1:80 failed");
  }
  std::string answer;
  char buffer[8192];
  while (answer.size() < kMaxAnswerBytes) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) {
      ::close(fd);
      return failed("no answer from probe.php for " + std::to_string(give_up.count()) + "s");
    }
    ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
  if (answer.rfind("HTTP/", 0) != 0 || answer.find(' ') == std::string::npos)
    return failed("no HTTP answer on 127.0.0.1:80");
  HttpAnswer result;
  const std::size_t space = answer.find(' ');
  result.status = std::atoi(answer.c_str() + space + 1);
  const std::size_t body = answer.find("\r\n\r\n");
  if (body != std::string::npos) result.body = answer.substr(body + 4);
  return result;
}

struct PhpProber::Shared {
  std::mutex mutex;
  std::condition_variable changed;
  bool requested = false;                            // guarded by mutex
  bool busy = false;                                 // guarded by mutex: a request is open
  bool stopping = false;                             // guarded by mutex
  std::uint64_t completed = 0;                       // guarded by mutex
  std::chrono::steady_clock::time_point busy_since;  // guarded by mutex
  PhpProbeResult last;                               // guarded by mutex
  std::string mounts_key;                            // set before the thread starts
};

PhpProber::PhpProber(std::string mounts_key) : shared_(std::make_shared<Shared>()) {
  shared_->mounts_key = std::move(mounts_key);
  std::thread([shared = shared_] { request_loop(shared); }).detach();
}

PhpProber::~PhpProber() {
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->stopping = true;
  }
  shared_->changed.notify_all();
}

void PhpProber::request_loop(const std::shared_ptr<Shared>& shared) {
  std::unique_lock<std::mutex> lock(shared->mutex);
  while (true) {
    shared->changed.wait(lock, [&] { return shared->stopping || shared->requested; });
    if (shared->stopping) return;
    shared->requested = false;
    lock.unlock();
    HttpAnswer answer = get_local_probe(kGiveUpAfter, shared->mounts_key);
    PhpProbeResult result = interpret_php_probe(answer.status, answer.body);
    result.finished_at = std::chrono::steady_clock::now();
    lock.lock();
    shared->last = std::move(result);
    shared->busy = false;
    ++shared->completed;
    shared->changed.notify_all();
  }
}

PhpProbeResult PhpProber::probe(std::chrono::milliseconds bound) {
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(shared_->mutex);
  const bool due =
      shared_->last.state != PhpProbeState::kOk || now - shared_->last.finished_at >= kEvery;
  if (!shared_->busy && due) {
    shared_->busy = true;
    shared_->requested = true;
    shared_->busy_since = now;
    shared_->changed.notify_all();
  }
  if (shared_->busy) {
    const std::uint64_t before = shared_->completed;
    shared_->changed.wait_for(lock, bound, [&] { return shared_->completed != before; });
  }
  if (shared_->busy) {
    const auto open_for = std::chrono::steady_clock::now() - shared_->busy_since;
    if (open_for >= kHungAfter) {
      PhpProbeResult hung = shared_->last;
      hung.state = PhpProbeState::kHung;
      hung.problem =
          "no answer for " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(open_for).count()) +
          "s (probe.php; a volume may hang)";
      return hung;
    }
  }
  return shared_->last;
}

}  // namespace pydio::agent
