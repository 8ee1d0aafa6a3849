#pragma once
// A TCP forwarder on 127.0.0.1 in front of one upstream port, whose network can be "cut":
// after cut(), every connection to the upstream is closed (the server sees its client go) and
// the client side goes silent: nothing it sends is answered, new connections are accepted but
// never greeted. That is what a partitioned node sees: reads and connects that only time out.
// One thread; the destructor stops it and closes every descriptor.

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace pydio::test {

class TcpProxy {
 public:
  explicit TcpProxy(int upstream_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  void cut();

 private:
  void run();

  int upstream_port_;
  int listener_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::atomic<bool> cut_{false};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace pydio::test
