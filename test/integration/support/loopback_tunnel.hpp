#pragma once
// What `ssh -L PORT:/run/pydio-agent/admin.sock node` gives an operator, for a browser the test
// runs: a TCP port on 127.0.0.1 whose connections are forwarded to a unix socket. The port lives
// in a network namespace of its own that has only `lo` (up), so the browser started in it
// (netns_path(), for `nsenter --net=`) reaches the forwarder and nothing else: no traffic leaves
// the machine whatever Chromium tries. A unix socket is found by its path, which works from any
// network namespace; the test gives the node's socket as the host sees it.
// One thread: it enters the namespace, listens and forwards (Boost.Asio). The destructor kills
// by PID any process still in the namespace, then stops the thread; the namespace is gone with
// its last member.

#include <boost/asio/io_context.hpp>
#include <future>
#include <string>
#include <thread>

namespace pydio::test {

class LoopbackTunnel {
 public:
  // REQUIREs that the namespace and the listening port could be made.
  explicit LoopbackTunnel(std::string unix_socket_path);
  ~LoopbackTunnel();
  LoopbackTunnel(const LoopbackTunnel&) = delete;
  LoopbackTunnel& operator=(const LoopbackTunnel&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>", an address only processes in the namespace reach.
  std::string url(const std::string& path) const;
  // /proc/<pid>/task/<tid>/ns/net of the forwarding thread.
  const std::string& netns_path() const { return netns_path_; }
  // SIGKILLs every process whose network namespace is this one (a browser that left children
  // behind) and waits until they are gone. Returns how many there were.
  int kill_processes_inside();

 private:
  void run(std::promise<std::string>& ready);

  const std::string unix_socket_path_;
  boost::asio::io_context ioc_;
  std::string netns_path_;
  std::string netns_id_;  // readlink of netns_path_: "net:[4026532...]"
  int port_ = 0;
  std::thread thread_;
};

}  // namespace pydio::test
