// Story: a user uploads a 150 MB file through HAProxy to a PHP page on node 1. PHP buffers the
// upload in the node's own temporary directory (web.php.tempDir, never /tmp, never a volume)
// and moves it onto pydio-data; a user stuck to node 2 downloads it byte for byte. A 250 MB
// upload is refused by PHP's post_max_size (200M, the tutorial's value), answered with 413 by
// the page, and nothing crashes: both nodes stay healthy, Apache keeps its PID.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <random>

#include "support/balancer.hpp"

using namespace pydio;
using namespace pydio::test;

namespace {

// The test pages in test/data/web-pages (shared with test/demo).
std::string page(const std::string& name) {
  std::ifstream file(std::string(PYDIO_SOURCE_DIR) + "/test/data/web-pages/" + name);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  REQUIRE_FALSE(text.empty());
  return text;
}

std::string make_random_file(const std::string& path, std::size_t megabytes) {
  std::mt19937_64 random(megabytes);
  std::ofstream out(path, std::ios::binary);
  std::vector<std::uint64_t> block(1 << 17);  // 1 MiB
  for (std::size_t i = 0; i < megabytes; ++i) {
    for (auto& word : block) word = random();
    out.write(reinterpret_cast<const char*>(block.data()), block.size() * sizeof(block[0]));
  }
  REQUIRE(out.good());
  return path;
}

std::string sha256_of(const std::vector<std::string>& sha256sum_argv, SimNode* node = nullptr) {
  common::RunResult result;
  if (node != nullptr) {
    result = node->exec(sha256sum_argv, 120s);
  } else {
    common::SystemRunner runner;
    result = runner.run(common::Command(sha256sum_argv, 120s));
  }
  INFO(result.describe_failure(sha256sum_argv));
  REQUIRE(result.succeeded());
  return result.out.substr(0, 64);
}

// A session cookie (AjaXplorer, HAProxy-prefixed) of a new user that landed on `node`.
std::string cookie_for(const BalancedCluster& web, const std::string& node) {
  for (int i = 0; i < 20; ++i) {
    const PageAnswer answer = get_page(session_url(web));
    if (answer.code == 200 && answer.node == node) return answer.set_cookie;
  }
  return "";
}

struct Upload {
  common::RunResult curl;
  nlohmann::json answer;  // the page's JSON, null when none
};

Upload upload(const BalancedCluster& web, const std::string& cookie, const std::string& file) {
  const std::vector<std::string> argv = {
      "curl", "-s", "--noproxy", "*", "-m", "300", "-H", "Cookie: AjaXplorer=" + cookie,
      "-F", "file=@" + file, "http://" + web.lb->address() + "/pydio/upload.php"};
  common::SystemRunner runner;
  Upload result;
  result.curl = runner.run(common::Command(argv, 360s));
  result.answer = nlohmann::json::parse(result.curl.out, nullptr, false);
  if (result.answer.is_discarded()) result.answer = nullptr;
  return result;
}

}  // namespace

TEST_CASE("a 150 MB upload through HAProxy is on pydio-data; 250 MB is refused by PHP",
          "[integration]") {
  SimCluster cluster;
  // Sparse 3 GB data disks: room for the upload on each replica.
  BalancedCluster web = bring_up_balanced_cluster(cluster, 3072);
  for (SimNode* node : {web.n1, web.n2}) {
    node->write_file("/var/www/pydio/upload.php", page("upload.php"));
    node->write_file("/var/www/pydio/download.php", page("download.php"));
  }
  const std::string temp_dir = "/var/cache/pydio/tmp";  // web.php.tempDir's default
  // PHP's upload buffers there are php<random>; the agent's probe keeps its lock file beside them.
  const std::vector<std::string> upload_temp_files = {"find", temp_dir, "-type", "f", "-name",
                                                      "php*"};

  const std::string on_n1 = cookie_for(web, "n1");
  const std::string on_n2 = cookie_for(web, "n2");
  REQUIRE_FALSE(on_n1.empty());
  REQUIRE_FALSE(on_n2.empty());
  const int n1_apache = apache_pid(*web.n1);
  REQUIRE(n1_apache > 0);

  {  // 150 MB through the balancer to n1
    const std::string file = make_random_file(cluster.run_dir() + "/report.bin", 150);
    const std::string sha = sha256_of({"sha256sum", file});
    const Upload sent = upload(web, on_n1, file);
    INFO("curl: " << sent.curl.describe_failure({"curl"}) << " " << sent.curl.out);
    REQUIRE(sent.curl.succeeded());
    REQUIRE(sent.answer.is_object());
    CHECK(sent.answer.value("node", "") == "n1");
    CHECK(sent.answer.value("size", 0LL) == 150LL * 1024 * 1024);
    CHECK(sent.answer.value("sha256", "") == sha);
    // PHP buffered it on the node itself, in the agent's temp dir, and left nothing there.
    CHECK(sent.answer.value("tmpDir", "") == temp_dir);
    CHECK(web.n1->must(upload_temp_files).empty());

    // Replicated: on n2's mount and on n2's own brick.
    CHECK(sha256_of({"sha256sum", "/mnt/pydio-data/common/report.bin"}, web.n2) == sha);
    CHECK(sha256_of({"sha256sum", "/srv/pydio/pydio-data/common/report.bin"}, web.n2) == sha);

    // Downloaded through the balancer by a user stuck to n2: byte-identical.
    const std::string back = cluster.run_dir() + "/report.back";
    common::SystemRunner runner;
    const common::RunResult got = runner.run(common::Command(
        {"curl", "-s", "-f", "--noproxy", "*", "-m", "300", "-D", cluster.run_dir() + "/head",
         "-o", back, "-H", "Cookie: AjaXplorer=" + on_n2,
         "http://" + web.lb->address() + "/pydio/download.php?name=report.bin"},
        360s));
    INFO(got.describe_failure({"curl"}));
    REQUIRE(got.succeeded());
    std::ifstream head(cluster.run_dir() + "/head");
    const std::string headers((std::istreambuf_iterator<char>(head)), {});
    CHECK(headers.find("n2") != std::string::npos);  // X-Node: n2 (header case varies)
    CHECK(sha256_of({"sha256sum", back}) == sha);
  }

  {  // 250 MB: over post_max_size (200M)
    const std::string file = make_random_file(cluster.run_dir() + "/too-big.bin", 250);
    const Upload sent = upload(web, on_n1, file);
    INFO("curl: " << sent.curl.describe_failure({"curl"}) << " " << sent.curl.out);
    // PHP refuses it before the page could store anything. Apache may close the connection
    // before curl has sent the whole body (then curl sees the 413 or a reset): either way the
    // file is not stored and nothing crashed.
    if (sent.answer.is_object()) {
      CHECK(sent.answer.value("refused", "") == "post_max_size");
      CHECK(sent.answer.value("limit", "") == "200M");
    }
    CHECK(web.n1->file_absent("/mnt/pydio-data/common/too-big.bin"));
    CHECK(web.n1->must(upload_temp_files).empty());
  }
  CHECK(eventually([&] { return health_of(*web.n1).first == 200; }));
  CHECK(eventually([&] { return health_of(*web.n2).first == 200; }));
  CHECK(apache_pid(*web.n1) == n1_apache);
  CHECK(get_page(session_url(web), on_n1).node == "n1");
}
