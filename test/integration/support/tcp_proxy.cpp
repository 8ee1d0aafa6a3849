#include "test/integration/support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace pydio::test {
namespace {

struct Pair {
  int client = -1;
  int upstream = -1;  // -1 once cut (or when accepted after the cut)
};

int connect_upstream(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Copies what is readable on `from` to `to`; false when `from` closed or failed.
bool pump(int from, int to) {
  char buffer[16384];
  ssize_t n = ::read(from, buffer, sizeof buffer);
  if (n <= 0) return false;
  if (to < 0) return true;  // cut: swallowed
  ssize_t done = 0;
  while (done < n) {
    ssize_t w = ::write(to, buffer + done, static_cast<size_t>(n - done));
    if (w <= 0) return false;
    done += w;
  }
  return true;
}

}  // namespace

TcpProxy::TcpProxy(int upstream_port) : upstream_port_(upstream_port) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      ::pipe2(wake_, O_CLOEXEC) != 0) {
    if (listener_ >= 0) ::close(listener_);
    throw std::runtime_error("tcp proxy: cannot listen");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  (void)!::write(wake_[1], "x", 1);
  thread_.join();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void TcpProxy::cut() {
  cut_ = true;
  (void)!::write(wake_[1], "x", 1);
}

void TcpProxy::run() {
  std::vector<Pair> pairs;
  bool was_cut = false;
  while (!stopping_) {
    if (cut_ && !was_cut) {
      was_cut = true;
      for (auto& pair : pairs) {
        if (pair.upstream >= 0) ::close(pair.upstream);
        pair.upstream = -1;
      }
    }
    std::vector<pollfd> fds;
    fds.push_back({listener_, POLLIN, 0});
    fds.push_back({wake_[0], POLLIN, 0});
    for (const auto& pair : pairs) {
      fds.push_back({pair.client, POLLIN, 0});
      fds.push_back({pair.upstream, POLLIN, 0});  // poll ignores negative descriptors
    }
    if (::poll(fds.data(), fds.size(), 1000) < 0) continue;
    if (fds[1].revents != 0) {
      char drain[64];
      (void)!::read(wake_[0], drain, sizeof drain);
    }
    std::vector<Pair> next;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      Pair pair = pairs[i];
      bool alive = true;
      if (fds[2 + 2 * i].revents != 0) alive = pump(pair.client, cut_ ? -1 : pair.upstream);
      if (alive && pair.upstream >= 0 && fds[3 + 2 * i].revents != 0) {
        alive = pump(pair.upstream, pair.client);
      }
      if (alive) {
        next.push_back(pair);
      } else {
        ::close(pair.client);
        if (pair.upstream >= 0) ::close(pair.upstream);
      }
    }
    pairs.swap(next);
    if (fds[0].revents != 0) {
      int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        int upstream = cut_ ? -1 : connect_upstream(upstream_port_);
        if (!cut_ && upstream < 0) {
          ::close(client);
        } else {
          pairs.push_back({client, upstream});
        }
      }
    }
  }
  for (const auto& pair : pairs) {
    ::close(pair.client);
    if (pair.upstream >= 0) ::close(pair.upstream);
  }
}

}  // namespace pydio::test
