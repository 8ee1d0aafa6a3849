#include "agent/host/local_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace pydio::agent {

namespace {
constexpr std::size_t kMaxAnswerBytes = 1024 * 1024;  // the pages asked answer a few KB

HttpAnswer failed(const std::string& why) { return HttpAnswer{0, why}; }
}  // namespace

HttpAnswer local_http_get(const std::string& target, const std::string& host,
                          std::chrono::seconds give_up) {
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
  const std::string request =
      "GET " + target + " HTTP/1.0\r\nHost: " + host + "\r\nUser-Agent: pydio-agentd\r\n\r\n";
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
      return failed("no answer for " + std::to_string(give_up.count()) + "s");
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

}  // namespace pydio::agent
