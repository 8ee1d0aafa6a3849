#include "test/integration/support/loopback_tunnel.hpp"

#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>

#include "test/integration/support/sim_cluster.hpp"

namespace pydio::test {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using unix_stream = asio::local::stream_protocol;

// A new network namespace has `lo` down, and 127.0.0.1 exists only once it is up.
std::string loopback_up() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = ::ioctl(fd, SIOCGIFFLAGS, &request);
  if (rc == 0) {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    rc = ::ioctl(fd, SIOCSIFFLAGS, &request);
  }
  const int saved = errno;
  ::close(fd);
  return rc == 0 ? "" : std::string("set lo up: ") + std::strerror(saved);
}

std::string link_of(const std::string& path) {
  std::error_code error;
  auto target = std::filesystem::read_symlink(path, error);
  return error ? "" : target.string();
}

// One forwarded connection: bytes both ways; the end of one direction becomes a shutdown of
// the other side's sending half (as ssh passes an EOF on), an error closes both.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket client, unix_stream::socket upstream)
      : client_(std::move(client)), upstream_(std::move(upstream)) {}
  void start() {
    pump(client_, upstream_, to_upstream_);
    pump(upstream_, client_, to_client_);
  }

 private:
  template <class From, class To>
  void pump(From& from, To& to, std::array<char, 16384>& buffer) {
    from.async_read_some(asio::buffer(buffer), [self = shared_from_this(), &from, &to, &buffer](
                                                   boost::system::error_code error, std::size_t n) {
      boost::system::error_code ignored;
      if (error) {
        to.shutdown(asio::socket_base::shutdown_send, ignored);
        return;
      }
      asio::async_write(to, asio::buffer(buffer.data(), n),
                        [self, &from, &to, &buffer](boost::system::error_code failed, std::size_t) {
                          boost::system::error_code unused;
                          if (failed) {
                            from.close(unused);
                            to.close(unused);
                            return;
                          }
                          self->pump(from, to, buffer);
                        });
    });
  }

  tcp::socket client_;
  unix_stream::socket upstream_;
  std::array<char, 16384> to_upstream_{};
  std::array<char, 16384> to_client_{};
};

void accept_next(tcp::acceptor& acceptor, const std::string& unix_path) {
  acceptor.async_accept(
      [&acceptor, unix_path](boost::system::error_code error, tcp::socket client) {
        if (error == asio::error::operation_aborted) return;
        if (!error) {
          // A local socket connects at once or fails: the browser then sees its connection
          // closed, as with ssh's "connect failed".
          unix_stream::socket upstream(acceptor.get_executor());
          boost::system::error_code refused;
          upstream.connect(unix_stream::endpoint(unix_path), refused);
          if (!refused) std::make_shared<Session>(std::move(client), std::move(upstream))->start();
        }
        accept_next(acceptor, unix_path);
      });
}

}  // namespace

LoopbackTunnel::LoopbackTunnel(std::string unix_socket_path)
    : unix_socket_path_(std::move(unix_socket_path)) {
  std::promise<std::string> ready;
  auto result = ready.get_future();
  thread_ = std::thread([this, &ready] { run(ready); });
  const std::string error = result.get();
  if (!error.empty()) {
    thread_.join();  // it returned without serving
    FAIL("loopback tunnel: " << error);
  }
}

void LoopbackTunnel::run(std::promise<std::string>& ready) {
  // Namespaces belong to threads: only this one enters the new namespace, and the sockets it
  // makes stay there.
  if (::unshare(CLONE_NEWNET) != 0) {
    ready.set_value(std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno));
    return;
  }
  if (std::string error = loopback_up(); !error.empty()) {
    ready.set_value(error);
    return;
  }
  boost::system::error_code error;
  tcp::acceptor acceptor(ioc_);
  const tcp::endpoint any_port(asio::ip::make_address_v4("127.0.0.1"), 0);
  acceptor.open(any_port.protocol(), error);
  if (!error) acceptor.bind(any_port, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (!error) port_ = acceptor.local_endpoint().port();
  if (error) {
    ready.set_value("listen on 127.0.0.1: " + error.message());
    return;
  }
  netns_path_ = "/proc/" + std::to_string(::getpid()) + "/task/" +
                std::to_string(::syscall(SYS_gettid)) + "/ns/net";
  netns_id_ = link_of(netns_path_);
  if (netns_id_.empty()) {
    ready.set_value("cannot read " + netns_path_);
    return;
  }
  accept_next(acceptor, unix_socket_path_);
  ready.set_value("");
  ioc_.run();
}

LoopbackTunnel::~LoopbackTunnel() {
  kill_processes_inside();
  ioc_.stop();
  thread_.join();
}

std::string LoopbackTunnel::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

int LoopbackTunnel::kill_processes_inside() {
  const auto inside = [this] {
    std::set<int> pids;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      const int pid = std::stoi(name);
      // This process's own entry shows its main thread's namespace, never this one.
      if (pid != ::getpid() && link_of(entry.path().string() + "/ns/net") == netns_id_)
        pids.insert(pid);
    }
    return pids;
  };
  const std::set<int> found = inside();
  for (const int pid : found) ::kill(pid, SIGKILL);
  // A killed process leaves its namespaces at once (a zombie has none).
  eventually([&] { return inside().empty(); }, std::chrono::seconds(20));
  return static_cast<int>(found.size());
}

}  // namespace pydio::test
