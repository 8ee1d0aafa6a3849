// GET /health/db: the answer from the background probe's state, and the probe's verdict from
// what the local MariaDB said (or why it could not be asked).

#include "agent/health/db_prober.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "agent/api/health_api.hpp"

namespace http = boost::beast::http;
using pydio::agent::DbHealth;
using pydio::agent::decide_db_health;
using pydio::agent::galera_state_from;
using pydio::agent::GaleraState;
using pydio::agent::api::handle_db_health_request;
using pydio::agent::api::Request;

namespace {

Request get(const std::string& target, http::verb method = http::verb::get) {
  Request request{method, target, 11};
  request.keep_alive(true);
  return request;
}

GaleraState member(const std::string& comment, const std::string& local_state,
                   const std::string& status, const std::string& ready) {
  return galera_state_from({{"wsrep_provider_name", "Galera"},
                            {"wsrep_ready", ready},
                            {"wsrep_cluster_status", status},
                            {"wsrep_local_state", local_state},
                            {"wsrep_local_state_comment", comment},
                            {"wsrep_cluster_size", "3"}});
}

}  // namespace

TEST_CASE("the db probe's verdict follows Galera's state", "[health][db_health]") {
  SECTION("synced in a primary component: serving") {
    DbHealth health = decide_db_health(member("Synced", "4", "Primary", "ON"));
    CHECK(health.checked);
    CHECK(health.serving);
    CHECK(health.problem.empty());
  }
  SECTION("a server without Galera (one db node): serving") {
    DbHealth health = decide_db_health(galera_state_from({}));
    CHECK(health.serving);
  }
  SECTION("cut off (non-Primary): not serving, with the reason") {
    DbHealth health = decide_db_health(member("Synced", "4", "non-Primary", "OFF"));
    CHECK_FALSE(health.serving);
    CHECK(health.problem == "Synced, non-Primary, not ready");
  }
  SECTION("a donor or a joiner: not serving") {
    CHECK_FALSE(decide_db_health(member("Donor/Desynced", "2", "Primary", "ON")).serving);
    CHECK_FALSE(decide_db_health(member("Joining", "1", "Primary", "OFF")).serving);
  }
  SECTION("no connection: not serving, saying so") {
    DbHealth health = decide_db_health(pydio::common::Status::error(
        "mysql unix:/run/mysqld/mysqld.sock: Can't connect to local server (2)"));
    CHECK(health.checked);
    CHECK_FALSE(health.serving);
    CHECK(health.problem ==
          "not accepting connections: mysql unix:/run/mysqld/mysqld.sock: Can't connect to "
          "local server (2)");
  }
}

TEST_CASE("GET /health/db answers from the probe's last state", "[health_api][db_health]") {
  DbHealth serving{true, true, ""};
  DbHealth refused{true, false, "not accepting connections: mysql unix:/run/x.sock: refused"};

  SECTION("a serving db node: 200") {
    auto response = handle_db_health_request(get("/health/db"), true, serving, "db1");
    CHECK(response.result() == http::status::ok);
    CHECK(nlohmann::json::parse(response.body()) ==
          nlohmann::json{{"status", "ok"}, {"node", "db1"}});
  }
  SECTION("a db node whose server does not serve: 503 with the reason") {
    auto response = handle_db_health_request(get("/health/db"), true, refused, "db1");
    CHECK(response.result() == http::status::service_unavailable);
    const auto body = nlohmann::json::parse(response.body());
    CHECK(body["status"] == "unhealthy");
    CHECK(body["reasons"] == nlohmann::json{refused.problem});
  }
  SECTION("not probed yet: 503, never 200") {
    auto response = handle_db_health_request(get("/health/db"), true, DbHealth{}, "db1");
    CHECK(response.result() == http::status::service_unavailable);
    CHECK(nlohmann::json::parse(response.body())["reasons"] ==
          nlohmann::json{"database not checked yet"});
  }
  SECTION("a node without role db: 404") {
    auto response = handle_db_health_request(get("/health/db"), false, serving, "n1");
    CHECK(response.result() == http::status::not_found);
  }
  SECTION("HEAD like GET; other methods 405") {
    auto head = handle_db_health_request(get("/health/db", http::verb::head), true, serving, "db1");
    CHECK(head.result() == http::status::ok);
    auto post = handle_db_health_request(get("/health/db", http::verb::post), true, serving, "db1");
    CHECK(post.result() == http::status::method_not_allowed);
  }
}

TEST_CASE("failed db probes back off so a hung server does not collect connections",
          "[health][db_health]") {
  using pydio::agent::probe_delay;
  using std::chrono::milliseconds;
  CHECK(probe_delay(milliseconds(1000), 0) == milliseconds(1000));
  CHECK(probe_delay(milliseconds(1000), 1) == milliseconds(1000));
  CHECK(probe_delay(milliseconds(1000), 2) == milliseconds(2000));
  CHECK(probe_delay(milliseconds(1000), 3) == milliseconds(4000));
  CHECK(probe_delay(milliseconds(1000), 4) == milliseconds(8000));
  CHECK(probe_delay(milliseconds(1000), 40) == pydio::agent::kMaxProbeDelay);
}
