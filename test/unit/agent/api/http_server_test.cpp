// The HTTP server for real: unix socket in a temporary directory and an ephemeral TCP port on
// 127.0.0.1, a trivial handler, and the same client code agentctl uses.

#include "agent/api/http_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "agent/ctl/admin_client.hpp"
#include "agent/cluster/http_client.hpp"

namespace fs = std::filesystem;
namespace http = boost::beast::http;
using namespace pydio::agent::api;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kTestBodyLimit = 4096;

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "pydio-api-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
    REQUIRE_FALSE(path_.empty());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Echo-ish handler: GET /ping -> 200 {"pong":true}; POST /echo -> 200 with the body length;
// other paths 404; other methods on /ping 405.
Response trivial_handler(const Request& request) {
  const std::string path = target_path(request);
  if (path == "/ping") {
    if (request.method() != http::verb::get) return method_not_allowed(request, "GET");
    return json_response(request, http::status::ok, {{"pong", true}});
  }
  if (path == "/echo") {
    return json_response(request, http::status::ok, {{"length", request.body().size()}});
  }
  return error_response(request, http::status::not_found, "no such endpoint: " + path);
}

// A server on its own io_context thread, stopped and joined at scope end.
class RunningServer {
 public:
  RunningServer() : server_(ioc_, options()) {}
  ~RunningServer() { stop(); }

  static ServerOptions options() {
    ServerOptions options;
    options.handler = trivial_handler;
    options.body_limit = kTestBodyLimit;
    options.idle_timeout = 2s;
    options.header_timeout = 2s;
    return options;
  }
  HttpServer& server() { return server_; }
  void start() {
    thread_ = std::thread([this] { ioc_.run(); });
  }
  void stop() {
    if (!thread_.joinable()) return;
    server_.stop();
    ioc_.stop();
    thread_.join();
  }

 private:
  boost::asio::io_context ioc_;
  HttpServer server_;
  std::thread thread_;
};

Request get(const std::string& target) { return Request{http::verb::get, target, 11}; }

Request post(const std::string& target, std::string body) {
  Request request{http::verb::post, target, 11};
  request.body() = std::move(body);
  return request;
}

}  // namespace

TEST_CASE("HTTP server answers on a unix socket and on TCP", "[http_server]") {
  TempDir tmp;
  const std::string socket_dir = tmp.path() + "/run";
  const std::string socket_path = socket_dir + "/admin.sock";

  RunningServer running;
  REQUIRE(running.server().listen_unix(socket_path).is_ok());
  auto port = running.server().listen_tcp("127.0.0.1:0");
  REQUIRE(port.has_value());
  REQUIRE(*port != 0);
  running.start();

  SECTION("the socket file is 0600 and its directory 0700") {
    struct stat st {};
    REQUIRE(::stat(socket_path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);
    REQUIRE(::stat(socket_dir.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
  }
  SECTION("GET over the unix socket and over TCP") {
    auto over_unix = exchange_unix(socket_path, get("/ping"), 5s);
    REQUIRE(over_unix.ok());
    CHECK(over_unix.response.result() == http::status::ok);
    CHECK(nlohmann::json::parse(over_unix.response.body())["pong"] == true);

    auto over_tcp = exchange_tcp("127.0.0.1", *port, get("/ping"), 5s);
    REQUIRE(over_tcp.ok());
    CHECK(over_tcp.response.result() == http::status::ok);
  }
  SECTION("404 and 405 come from the handler unchanged") {
    auto missing = exchange_unix(socket_path, get("/nope"), 5s);
    REQUIRE(missing.ok());
    CHECK(missing.response.result() == http::status::not_found);
    auto wrong_method = exchange_tcp("127.0.0.1", *port, post("/ping", ""), 5s);
    REQUIRE(wrong_method.ok());
    CHECK(wrong_method.response.result() == http::status::method_not_allowed);
    CHECK(wrong_method.response[http::field::allow] == "GET");
  }
  SECTION("a body at the limit is accepted, one byte over gets 413") {
    auto at_limit = exchange_unix(socket_path, post("/echo", std::string(kTestBodyLimit, 'x')), 5s);
    REQUIRE(at_limit.ok());
    CHECK(at_limit.response.result() == http::status::ok);
    CHECK(nlohmann::json::parse(at_limit.response.body())["length"] == kTestBodyLimit);

    for (int i = 0; i < 2; ++i) {  // unix socket, then TCP
      auto over = i == 0 ? exchange_unix(socket_path,
                                         post("/echo", std::string(kTestBodyLimit + 1, 'x')), 5s)
                         : exchange_tcp("127.0.0.1", *port,
                                        post("/echo", std::string(kTestBodyLimit + 1, 'x')), 5s);
      REQUIRE(over.ok());
      CHECK(over.response.result() == http::status::payload_too_large);
      CHECK_FALSE(over.response.keep_alive());
    }
  }
  SECTION("keep-alive: several requests on one TCP connection") {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket(ioc);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), *port});
    boost::beast::flat_buffer buffer;
    for (int i = 0; i < 3; ++i) {
      Request request = get("/ping");
      request.set(http::field::host, "localhost");
      request.keep_alive(true);
      http::write(socket, request);
      Response response;
      http::read(socket, buffer, response);
      CHECK(response.result() == http::status::ok);
      CHECK(response.keep_alive());
    }
  }
  SECTION("an idle connection is closed by the server after the header timeout") {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket(ioc);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), *port});
    const auto start = std::chrono::steady_clock::now();
    char byte = 0;
    boost::system::error_code ec;
    socket.read_some(boost::asio::buffer(&byte, 1), ec);  // blocks until the server closes
    CHECK(ec == boost::asio::error::eof);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
  }
  SECTION("a malformed request gets 400") {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket(ioc);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), *port});
    const std::string garbage = "NOT HTTP AT ALL\r\n\r\n";
    boost::asio::write(socket, boost::asio::buffer(garbage));
    boost::beast::flat_buffer buffer;
    Response response;
    http::read(socket, buffer, response);
    CHECK(response.result() == http::status::bad_request);
  }

  running.stop();
  CHECK_FALSE(fs::exists(socket_path));  // stop() removes the socket file
}

TEST_CASE("unix socket setup: stale files and live owners", "[http_server]") {
  TempDir tmp;
  const std::string socket_path = tmp.path() + "/admin.sock";

  SECTION("a stale socket file left by a dead process is replaced") {
    // A socket bound and closed without unlink is what a killed daemon leaves behind.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", socket_path.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    ::close(fd);
    REQUIRE(fs::exists(socket_path));

    RunningServer running;
    REQUIRE(running.server().listen_unix(socket_path).is_ok());
    running.start();
    CHECK(exchange_unix(socket_path, get("/ping"), 5s).ok());
  }
  SECTION("a socket another server still answers on is not taken over") {
    RunningServer first;
    REQUIRE(first.server().listen_unix(socket_path).is_ok());
    first.start();
    boost::asio::io_context ioc;
    HttpServer second(ioc, RunningServer::options());
    const auto status = second.listen_unix(socket_path);
    REQUIRE_FALSE(status.is_ok());
    CHECK(status.message() == "listen on unix:" + socket_path + ": " + socket_path +
                                  ": another process is listening on it");
    CHECK(exchange_unix(socket_path, get("/ping"), 5s).ok());
  }
  SECTION("a regular file at the socket path is left alone") {
    std::ofstream(socket_path) << "not a socket";
    boost::asio::io_context ioc;
    HttpServer server(ioc, RunningServer::options());
    CHECK_FALSE(server.listen_unix(socket_path).is_ok());
    CHECK(fs::is_regular_file(socket_path));
  }
}

TEST_CASE("a client to a daemon that is not running says so", "[http_server][admin_client]") {
  TempDir tmp;
  const std::string socket_path = tmp.path() + "/admin.sock";

  SECTION("socket file missing") {
    AdminClient client(socket_path, 2s);
    const AdminReply reply = client.get("/v1/status");
    CHECK(reply.kind == AdminReply::Kind::kNotRunning);
    CHECK(reply.error == not_running_message(socket_path, "No such file or directory"));
    CHECK(reply.error == "pydio-agentd is not running (no answer on " + socket_path +
                             "): No such file or directory");
  }
  SECTION("socket file present but nobody listening") {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", socket_path.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    ::close(fd);
    const AdminReply reply = AdminClient(socket_path, 2s).get("/v1/status");
    CHECK(reply.kind == AdminReply::Kind::kNotRunning);
    CHECK(reply.error == not_running_message(socket_path, "Connection refused"));
  }
  SECTION("a listener that never answers times out instead of hanging") {
    boost::asio::io_context ioc;
    boost::asio::local::stream_protocol::acceptor silent(ioc);
    silent.open();
    silent.bind(socket_path);
    silent.listen();
    const auto start = std::chrono::steady_clock::now();
    const AdminReply reply = AdminClient(socket_path, 300ms).get("/v1/status");
    CHECK(reply.kind == AdminReply::Kind::kUnreachable);
    CHECK_THAT(reply.error, Catch::Contains("no answer within 300 ms"));
    CHECK(std::chrono::steady_clock::now() - start < 3s);
  }
}

TEST_CASE("the admin client reads the daemon's answers and refusals", "[admin_client]") {
  TempDir tmp;
  const std::string socket_path = tmp.path() + "/admin.sock";
  RunningServer running;
  REQUIRE(running.server().listen_unix(socket_path).is_ok());
  running.start();

  AdminClient client(socket_path, 5s);
  const AdminReply ok = client.get("/ping");
  CHECK(ok.ok());
  CHECK(ok.body["pong"] == true);

  const AdminReply refused = client.post("/ping", "{}");
  CHECK(refused.kind == AdminReply::Kind::kRefused);
  CHECK(refused.status_code == 405);
  CHECK(refused.error == "POST /ping: HTTP 405: method POST not allowed on /ping");
}

TEST_CASE("listen addresses are parsed strictly", "[http_server]") {
  CHECK(split_host_port("0.0.0.0:8480").value() ==
        std::make_pair(std::string("0.0.0.0"), std::uint16_t{8480}));
  CHECK(split_host_port("[::1]:80").value().first == "::1");
  CHECK_FALSE(split_host_port("8480").has_value());
  CHECK_FALSE(split_host_port("host:").has_value());
  CHECK_FALSE(split_host_port("host:99999").has_value());
  CHECK_FALSE(split_host_port("host:80x").has_value());
}

TEST_CASE("a blocking request runs on the offload pool; quick ones answer meanwhile",
          "[http_server]") {
  // /slow blocks until released; /ping answers at once. One io_context thread, as in the daemon.
  std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;
  std::vector<std::thread> pool;  // a one-request-at-a-time "pool"
  std::atomic<bool> refuse_offload{false};

  boost::asio::io_context ioc;
  ServerOptions options;
  options.handler = [&](const Request& request) {
    if (target_path(request) == "/slow") {
      std::unique_lock<std::mutex> lock(mutex);
      released_cv.wait_for(lock, 10s, [&] { return released; });
      return json_response(request, http::status::ok, {{"slow", true}});
    }
    return trivial_handler(request);
  };
  options.blocking = [](const Request& request) { return target_path(request) == "/slow"; };
  options.offload = [&](std::function<void()> task) {
    if (refuse_offload) return false;
    pool.emplace_back(std::move(task));
    return true;
  };
  HttpServer server(ioc, options);
  auto port = server.listen_tcp("127.0.0.1:0");
  REQUIRE(port.has_value());
  std::thread loop([&] { ioc.run(); });

  SECTION("while /slow waits, /ping is answered; then /slow gets its answer") {
    std::promise<Exchange> slow_answer;
    std::thread slow_client(
        [&] { slow_answer.set_value(exchange_tcp("127.0.0.1", *port, get("/slow"), 15s)); });
    auto ping = exchange_tcp("127.0.0.1", *port, get("/ping"), 2s);
    REQUIRE(ping.ok());
    CHECK(ping.response.result() == http::status::ok);
    {
      std::lock_guard<std::mutex> lock(mutex);
      released = true;
    }
    released_cv.notify_all();
    auto slow = slow_answer.get_future().get();
    slow_client.join();
    REQUIRE(slow.ok());
    CHECK(slow.response.result() == http::status::ok);
    CHECK(nlohmann::json::parse(slow.response.body())["slow"] == true);
  }
  SECTION("a full pool answers 503 at once and the handler is not run") {
    refuse_offload = true;
    auto slow = exchange_tcp("127.0.0.1", *port, get("/slow"), 5s);
    REQUIRE(slow.ok());
    CHECK(slow.response.result() == http::status::service_unavailable);
    CHECK(pool.empty());
  }
  server.stop();
  ioc.stop();
  loop.join();
  for (auto& thread : pool) thread.join();
}
