#include "agent/resources/pydio_db_switch.hpp"

#include <catch2/catch.hpp>

using nlohmann::json;
using pydio::agent::proxies_not_ready;
using pydio::agent::pydio_address_in;
using pydio::common::Expected;
using pydio::common::Status;

namespace {

json report(std::int64_t generation, const std::string& db_proxy_state) {
  json resources = json::array({{{"name", "fuse-mount:pydio-data"}, {"state", "in-sync"}}});
  if (!db_proxy_state.empty())
    resources.push_back({{"name", "db-proxy"}, {"state", db_proxy_state}});
  return {{"generation", generation}, {"resources", resources}};
}

}  // namespace

TEST_CASE("the address Pydio's bootstrap.json names", "[pydio-shared][galera]") {
  auto one =
      pydio_address_in(R"({"core.conf": {"DIBI_PRECONFIGURATION": {"mysql_host": "198.18.0.3"}}})");
  REQUIRE(one);
  CHECK(one->host == "198.18.0.3");
  CHECK(one->port == 3306);
  auto proxy = pydio_address_in(
      R"({"core.conf": {"DIBI_PRECONFIGURATION": {"mysql_host": "127.0.0.1", "mysql_port": 3307}}})");
  REQUIRE(proxy);
  CHECK(proxy->host == "127.0.0.1");
  CHECK(proxy->port == 3307);
  CHECK_FALSE(pydio_address_in("not json"));
  CHECK_FALSE(pydio_address_in(R"({"core.conf": {}})"));
  CHECK_FALSE(pydio_address_in(
      R"({"core.conf": {"DIBI_PRECONFIGURATION": {"mysql_host": "h", "mysql_port": "x"}}})"));
}

TEST_CASE("Pydio is pointed at the local proxies once every answering compute node runs its own",
          "[pydio-shared][galera]") {
  const std::vector<std::string> names = {"n1", "n2", "web1"};
  std::vector<Expected<json>> reports = {report(2, "in-sync"), report(2, "in-sync"),
                                         report(3, "in-sync")};
  CHECK(proxies_not_ready(2, names, reports).empty());

  SECTION("a node still on the previous generation, one whose proxy is starting") {
    reports[0] = report(1, "");
    reports[1] = report(2, "changing");
    const std::string waiting = proxies_not_ready(2, names, reports);
    CHECK(waiting ==
          "the database proxies of n1 (generation 1), n2 (db-proxy changing), before pointing "
          "Pydio at the local database proxy");
  }
  SECTION("a node at the generation that has no db-proxy yet") {
    reports[2] = report(2, "");
    CHECK(proxies_not_ready(2, names, reports).find("web1 (no db-proxy yet)") != std::string::npos);
  }
  SECTION("a node that does not answer is not waited for") {
    reports[1] = Status::error("connect 198.18.0.2:8481: refused");
    CHECK(proxies_not_ready(2, names, reports).empty());
  }
  SECTION("a malformed report counts as not ready") {
    reports[0] = json("nonsense");
    CHECK(proxies_not_ready(2, names, reports).find("n1 (generation 0)") != std::string::npos);
  }
}
