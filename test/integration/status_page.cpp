// Story: the operator opens the status page the way docs/operations.md says, through
// `ssh -L 8080:/run/pydio-agent/status.sock n1`, in a browser on a bastion without internet.
// Here the tunnel is a forwarder from a loopback port to n1's status socket and the browser is
// Debian's headless Chromium, both in a network namespace that has only `lo`. The page lists
// every node of the three-node tutorial cluster, and the status socket answers no admin
// endpoint (a POST /v1/drain through it is a 404); pages loaded one after another share one
// cached cluster view (no fan-out per page); the operator drains n2 with a reason full of
// markup, and after a reload n2's row is red and says "drained", the reason shown as text.
// With PYDIO_STATUS_PAGE_SCREENSHOT=FILE the test also saves a screenshot of that page
// (docs/images/status-page.png was made so).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <regex>
#include <set>

#include "support/headless_chromium.hpp"
#include "support/loopback_tunnel.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

const std::string kReason = "kernel update <script>alert(1)</script>";

// The class attribute of the row of `node` in the page's DOM, or "" when it has none.
std::string row_class(const std::string& dom, const std::string& node) {
  const std::regex row("<tr class=\"([^\"]*)\" data-node=\"" + node + "\">");
  std::smatch match;
  return std::regex_search(dom, match, row) ? match.str(1) : "";
}

// The row of `node` in the page's DOM, "" when absent.
std::string row_of(const std::string& dom, const std::string& node) {
  const auto begin = dom.find("data-node=\"" + node + "\"");
  if (begin == std::string::npos) return "";
  return dom.substr(begin, dom.find("</tr>", begin) - begin);
}

// Which cluster view a page showed ("cluster view #12, taken ..."), 0 when none.
long long view_number(const std::string& page) {
  static const std::regex kView("cluster view #([0-9]+),");
  std::smatch match;
  return std::regex_search(page, match, kView) ? std::stoll(match.str(1)) : 0;
}

}  // namespace

TEST_CASE(
    "the status page shows the cluster through an ssh-like tunnel and turns a drained "
    "node red",
    "[integration]") {
  SimCluster cluster;
  TutorialCluster tutorial = bring_up_tutorial_cluster(cluster, DbPlacement::kOwnNode);
  SimNode& n1 = *tutorial.n1;
  SimNode& n2 = *tutorial.n2;

  // ssh -L 8080:/run/pydio-agent/status.sock n1: n1's socket as the host sees it.
  LoopbackTunnel tunnel(cluster.run_dir() + "/nodes/n1/fs/run/pydio-agent/status.sock");
  HeadlessChromium browser(tunnel);

  // The page loads and lists every node of the cluster, n2 healthy (bring-up waited for it).
  std::string dom;
  CHECK(eventually(
      [&] {
        dom = browser.dump_dom(tunnel.url("/"));
        return row_class(dom, "n1") == "node" && row_class(dom, "n2") == "node" &&
               !row_class(dom, "db").empty();
      },
      120s));
  INFO(dom);
  CHECK_THAT(dom, Catch::Contains("pydio cluster pydio"));
  CHECK_THAT(dom, Catch::Contains("<section id=\"volumes\">"));
  CHECK_THAT(dom, Catch::Contains("pydio-data"));
  CHECK_THAT(dom, Catch::Contains("<section id=\"events\">"));

  // Whoever else reaches the tunnel's port reaches the page only, not the admin API.
  const auto api = n1.exec({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                            "--unix-socket", "/run/pydio-agent/status.sock",
                            "-X", "POST", "-d", "{}", "http://localhost/v1/drain"});
  REQUIRE(api.succeeded());
  CHECK(api.out == "404");
  const nlohmann::json n1_status = n1.status();
  REQUIRE(n1_status.is_object());
  CHECK(n1_status["draining"] == false);

  // Pages loaded one after another share the cached view: at most one new fan-out among them.
  std::set<long long> views;
  for (int i = 0; i < 5; ++i) {
    auto page = n1.exec(
        {"curl", "-sS", "--unix-socket", "/run/pydio-agent/status.sock", "http://localhost/status"});
    REQUIRE(page.succeeded());
    views.insert(view_number(page.out));
  }
  CHECK(views.count(0) == 0);
  CHECK(*views.rbegin() - *views.begin() <= 1);

  // The operator drains n2; a later reload shows its row red, in words, the reason as text.
  REQUIRE(n2.agentctl({"drain", "--reason", kReason}).succeeded());
  CHECK(eventually(
      [&] {
        dom = browser.dump_dom(tunnel.url("/"));
        return row_class(dom, "n2") == "node bad";
      },
      120s));
  const std::string row = row_of(dom, "n2");
  CHECK_THAT(row, Catch::Contains(">drained</span>"));
  CHECK_THAT(row, Catch::Contains("kernel update &lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK(dom.find("<script") == std::string::npos);  // shown, never an element
  CHECK(row_class(dom, "n1") == "node");

  if (const char* png = std::getenv("PYDIO_STATUS_PAGE_SCREENSHOT"); png != nullptr && *png)
    CHECK(browser.screenshot(tunnel.url("/"), png, 1200, 1000));
}
