#include "agent/api/status_page.hpp"

#include <catch2/catch.hpp>
#include <regex>

#include "agent/api/html_text.hpp"

namespace http = boost::beast::http;
using nlohmann::json;
using pydio::agent::api::html_escape;
using pydio::agent::api::render_status_page;
using pydio::agent::api::Request;
using pydio::agent::api::status_page_response;

namespace {

const std::string kHostile = "<script>alert('x')</script><img src=x onerror=alert(1)>\"&";

json node(const std::string& name, bool healthy, bool draining = false,
          std::vector<std::string> reasons = {}) {
  return {{"name", name},       {"address", "198.18.0.1"}, {"roles", {"storage", "compute"}},
          {"reachable", true},  {"healthy", healthy},      {"draining", draining},
          {"reasons", reasons}, {"generation", 3},         {"peer", "connected"}};
}

json view_with(json nodes) {
  return {{"status",
           {{"node", "n1"},
            {"generation", 3},
            {"leader", {{"isLeader", true}, {"holder", "n1"}, {"term", 7}}},
            {"health", {{"healthy", true}, {"reasons", json::array()}}},
            {"resources",
             {{{"name", "data-brick"}, {"state", "in-sync"}},
              {{"name", "gluster-pool"},
               {"state", "waiting"},
               {"waitingFor", "leader lease (leader-only; this node does not lead)"}},
              {{"name", "fuse-mount/pydio-data"},
               {"state", "waiting"},
               {"waitingFor", "volume pydio-data to start"}}}}}},
          {"cluster",
           {{"name", "pydio"},
            {"generation", 3},
            {"leader", {{"holder", "n1"}, {"term", 7}}},
            {"nodes", std::move(nodes)},
            {"volumes",
             {{{"name", "pydio-data"},
               {"exists", true},
               {"state", "Started"},
               {"type", "Replicate"},
               {"bricks", {"198.18.0.1:/srv/pydio/data/brick", "198.18.0.2:/srv/pydio/data/brick"}},
               {"bricksOnline", {"198.18.0.1:/srv/pydio/data/brick"}},
               {"healPending", 4},
               {"splitBrain", 0}}}},
            {"waiting", json::array()},
            {"notes", json::array()},
            {"warnings", {"volume pydio-data is replica 2: prone to split-brain"}}}},
          {"clusterView", 12},
          {"clusterAgeSeconds", 3},
          {"maxAgeSeconds", 10},
          {"refreshSeconds", 10},
          {"events",
           {{{"time", "2026-12-01T04:00:00.000Z"},
             {"resource", "apache-vhost"},
             {"action", "reload apache2"},
             {"outcome", "error"},
             {"durationMs", 42},
             {"message", "exit 1"}}}},
          {"now", "2026-12-01T04:00:03Z"}};
}

// The <tr ...> ... </tr> of node `name`, or "".
std::string node_row(const std::string& page, const std::string& name) {
  const std::regex row("<tr class=\"([^\"]*)\" data-node=\"" + name + "\">(.*?)</tr>");
  std::smatch match;
  return std::regex_search(page, match, row) ? match.str(0) : "";
}

}  // namespace

TEST_CASE("html_escape leaves no character that opens markup or ends an attribute", "[page]") {
  CHECK(html_escape("a<b>&\"'c") == "a&lt;b&gt;&amp;&quot;&#39;c");
  CHECK(html_escape("n1.example") == "n1.example");
}

TEST_CASE("the status page shows every node, red and in words when it needs attention", "[page]") {
  const std::string page = render_status_page(
      view_with({node("n1", true), node("n2", false, true, {"draining: kernel update"}),
                 node("n3", false, false, {"mount /mnt/pydio-data: hung"}),
                 json{{"name", "n4"},
                      {"address", "198.18.0.4"},
                      {"reachable", false},
                      {"error", "connect: timed out"}}}));

  CHECK_THAT(node_row(page, "n1"),
             Catch::StartsWith("<tr class=\"node\"") && Catch::Contains("healthy"));
  const std::string drained = node_row(page, "n2");
  CHECK_THAT(drained, Catch::StartsWith("<tr class=\"node bad\"") &&
                          Catch::Contains(">drained</span> draining: kernel update"));
  CHECK_THAT(node_row(page, "n3"), Catch::StartsWith("<tr class=\"node bad\"") &&
                                       Catch::Contains(">unhealthy</span> mount /mnt/pydio-data"));
  CHECK_THAT(node_row(page, "n4"), Catch::StartsWith("<tr class=\"node bad\"") &&
                                       Catch::Contains(">unreachable</span> connect: timed out"));
  CHECK_THAT(page, Catch::Contains("3 of 4 nodes need attention"));
  CHECK_THAT(page, Catch::Contains("leader n1 (term 7)"));
  SECTION("volumes: bricks online out of all, each brick, the heal backlog") {
    CHECK_THAT(page, Catch::Contains("<tr class=\"volume bad\"><td>pydio-data</td>"));
    CHECK_THAT(page, Catch::Contains("<td>1/2</td><td>4</td>"));
    CHECK_THAT(page, Catch::Contains(
                         "198.18.0.2:/srv/pydio/data/brick <span class=\"bad\">offline</span>"));
  }
  SECTION("warnings, this node's resources and a failed event") {
    CHECK_THAT(page, Catch::Contains("<li class=\"warning\">volume pydio-data is replica 2"));
    CHECK_THAT(page, Catch::Contains("<tr><td>data-brick</td><td>in-sync</td>"));
    CHECK_THAT(page, Catch::Contains("<tr><td>gluster-pool</td><td>waiting</td>"));  // normal
    CHECK_THAT(page, Catch::Contains("<tr class=\"warn\"><td>fuse-mount/pydio-data</td>"));
    CHECK_THAT(page, Catch::Contains("<tr class=\"event bad\"><td>2026-12-01T04:00:00.000Z</td>"));
  }
  SECTION("it reloads itself, by a relative meta refresh, and says how old its table is") {
    CHECK_THAT(page, Catch::Contains("<meta http-equiv=\"refresh\" content=\"10\">"));
    CHECK_THAT(page, Catch::Contains("cluster view #12, taken 3 s ago"));
    CHECK(page.find("http://") == std::string::npos);
    CHECK(page.find("https://") == std::string::npos);
    CHECK(page.find("<script") == std::string::npos);
  }
}

TEST_CASE("text from the cluster is escaped wherever the page shows it", "[page]") {
  json hostile_node = node(kHostile, false, true, {"draining: " + kHostile});
  hostile_node["release"] = kHostile;
  hostile_node["database"] = kHostile;
  hostile_node["peer"] = kHostile;
  json view = view_with({hostile_node});
  view["cluster"]["name"] = kHostile;
  view["cluster"]["volumes"][0]["name"] = kHostile;
  view["cluster"]["volumes"][0]["bricks"].push_back(kHostile);
  view["cluster"]["warnings"].push_back(kHostile);
  view["cluster"]["waiting"].push_back(kHostile);
  view["cluster"]["leader"]["holder"] = kHostile;
  view["status"]["node"] = kHostile;
  view["status"]["resources"][0]["lastError"] = kHostile;
  view["events"][0]["message"] = kHostile;
  view["events"][0]["action"] = kHostile;
  view["clusterError"] = kHostile;

  const std::string page = render_status_page(view);
  CHECK(page.find(kHostile) == std::string::npos);
  CHECK(page.find("<script") == std::string::npos);
  CHECK(page.find("<img") == std::string::npos);
  CHECK(page.find("data-node=\"&lt;script&gt;") != std::string::npos);  // the attribute too
  const std::string escaped = html_escape(kHostile);
  std::size_t shown = 0;
  for (auto at = page.find(escaped); at != std::string::npos; at = page.find(escaped, at + 1))
    ++shown;
  CHECK(shown >= 15);  // every place above, escaped (the title and the row's attribute too)
}

TEST_CASE("a node without a desired state gets a page that says so", "[page]") {
  const std::string page =
      render_status_page({{"status", {{"node", "n9"}}}, {"cluster", nullptr}, {"events", {}}});
  CHECK_THAT(page, Catch::Contains("no desired state yet"));
  CHECK_THAT(page, Catch::Contains("no events"));
}

TEST_CASE("the page's answer forbids scripts, framing, caching and sniffing", "[page]") {
  Request request{http::verb::get, "/", 11};
  const auto response = status_page_response(request, view_with({node("n1", true)}));
  CHECK(response.result() == http::status::ok);
  CHECK(response[http::field::content_type] == "text/html; charset=utf-8");
  CHECK_THAT(std::string(response["Content-Security-Policy"]),
             Catch::StartsWith("default-src 'none'; style-src 'unsafe-inline'") &&
                 Catch::Contains("frame-ancestors 'none'"));
  CHECK(response[http::field::cache_control] == "no-store");
  CHECK(response["X-Content-Type-Options"] == "nosniff");
  CHECK(response[http::field::x_frame_options] == "DENY");
}
