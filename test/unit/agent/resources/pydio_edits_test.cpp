#include "agent/resources/pydio_edits.hpp"

#include <catch2/catch.hpp>
#include <map>

#include "test/unit/support/test_data.hpp"

using pydio::agent::pydio_edits;
using pydio::agent::PydioFileEdits;
using pydio::agent::wiring_edits;
using pydio::agent::WiringTargets;

namespace {

WiringTargets tutorial_targets() {
  WiringTargets targets;
  targets.install_dir = "/var/www/pydio";
  targets.conf_dir = "/var/www/pydio/conf";
  targets.config_mount = "/mnt/pydio-config";
  targets.data_mount = "/mnt/pydio-data";
  targets.local_cache_dir = "/var/cache/pydio";
  targets.alias = "/pydio";
  targets.public_url = "https://files.example.com/pydio";
  return targets;
}

// The edits of the file whose name ends with `name`.
PydioFileEdits edits_of(const WiringTargets& targets, const std::string& name) {
  auto files = wiring_edits(targets);
  REQUIRE(files);
  for (const auto& file : *files)
    if (file.path.size() >= name.size() &&
        file.path.compare(file.path.size() - name.size(), name.size(), name) == 0)
      return file;
  FAIL("no edits for " << name);
  return {};
}

// The Pydio 8.2.5 excerpts (test/data/pydio-8.2.5) and the fixture's files, by wiring name.
std::map<std::string, std::string> sources(const std::string& set) {
  using pydio::test::recorded_output;
  if (set == "8.2.5") {
    return {
        {"bootstrap_context.php", recorded_output("pydio-8.2.5/bootstrap_context.php")},
        {"bootstrap_repositories.php", recorded_output("pydio-8.2.5/bootstrap_repositories.php")},
        {"conf.core.ajaxplorer.inc", recorded_output("pydio-8.2.5/conf.core.ajaxplorer.inc")},
        {".htaccess", recorded_output("pydio-8.2.5/htaccess")}};
  }
  const std::string tree = "pydio-fixture/tree/";
  return {{"bootstrap_context.php", recorded_output(tree + "conf/bootstrap_context.php")},
          {"bootstrap_repositories.php", recorded_output(tree + "conf/bootstrap_repositories.php")},
          {"conf.core.ajaxplorer.inc", recorded_output(tree + "conf/conf.core.ajaxplorer.inc")},
          {".htaccess", recorded_output(tree + ".htaccess")}};
}

std::string edited(const WiringTargets& targets, const std::string& name, const std::string& text) {
  const PydioFileEdits file = edits_of(targets, name);
  auto result = pydio_edits(file.path, text, file.edits);
  INFO(name << ": " << (result ? "" : result.status().message()));
  REQUIRE(result);
  return *result;
}

}  // namespace

TEST_CASE("Pydio's files are pointed into the volumes", "[pydio_edits]") {
  const WiringTargets targets = tutorial_targets();
  for (const std::string set : {"8.2.5", "fixture"}) {
    SECTION(set) {
      auto files = sources(set);
      const std::string context =
          edited(targets, "bootstrap_context.php", files["bootstrap_context.php"]);
      CHECK(context.find("define(\"AJXP_DATA_PATH\", \"/mnt/pydio-config/appdata\"); "
                         "// pydio-agent: AJXP_DATA_PATH\n") != std::string::npos);
      CHECK(context.find("define(\"AJXP_CACHE_DIR\", \"/var/cache/pydio\");") != std::string::npos);
      CHECK(context.find("define(\"AJXP_SHARED_CACHE_DIR\", \"/mnt/pydio-config/cache\");") !=
            std::string::npos);
      CHECK(context.find("AJXP_INSTALL_PATH.\"/data\"") == std::string::npos);
      // The other defines stay as Pydio wrote them.
      CHECK(context.find("define(\"AJXP_EXEC\", true);") != std::string::npos);

      const std::string repositories =
          edited(targets, "bootstrap_repositories.php", files["bootstrap_repositories.php"]);
      CHECK(repositories.find("        \"PATH\" => \"/mnt/pydio-data/common\", // pydio-agent: "
                              "repository 0\n") != std::string::npos);
      CHECK(repositories.find("\"PATH\" => \"/mnt/pydio-data/users/AJXP_USER\",") !=
            std::string::npos);
      CHECK(repositories.find("\"CREATE\"\t\t=>\ttrue,") != std::string::npos);

      const std::string htaccess = edited(targets, ".htaccess", files[".htaccess"]);
      CHECK(htaccess.find("\nRewriteBase /pydio\n") != std::string::npos);
      if (set == "8.2.5")
        CHECK(htaccess.find("RewriteBase should be /pydio.") != std::string::npos);

      const std::string conf =
          edited(targets, "conf.core.ajaxplorer.inc", files["conf.core.ajaxplorer.inc"]);
      CHECK(conf.find("\"SERVER_URL\" => \"https://files.example.com/pydio\"") !=
            std::string::npos);
      CHECK(conf.find("\"PUBLIC_DOWNLOAD_URL\" => \"https://files.example.com/pydio/public\"") !=
            std::string::npos);
      CHECK(conf.find("\"PUBLIC_DOWNLOAD_FOLDER\" => \"/mnt/pydio-data/public\"") !=
            std::string::npos);
      CHECK(conf.find("\n];") != std::string::npos);

      SECTION("edited twice = same") {
        for (const auto& [name, text] : files) {
          const std::string once = edited(targets, name, text);
          CHECK(edited(targets, name, once) == once);
        }
      }
      SECTION("a changed value replaces the agent's earlier line") {
        WiringTargets moved = targets;
        moved.local_cache_dir = "/srv/cache/pydio";
        moved.public_url = "https://other.example.com/pydio";
        const std::string again = edited(moved, "bootstrap_context.php", context);
        CHECK(again.find("define(\"AJXP_CACHE_DIR\", \"/srv/cache/pydio\");") != std::string::npos);
        CHECK(again.find("/var/cache/pydio") == std::string::npos);
        const std::string conf_again = edited(moved, "conf.core.ajaxplorer.inc", conf);
        CHECK(conf_again.find("https://other.example.com") != std::string::npos);
        CHECK(conf_again.find("https://files.example.com") == std::string::npos);
      }
    }
  }
}

TEST_CASE("an unexpected Pydio file is an error naming file and line", "[pydio_edits]") {
  const WiringTargets targets = tutorial_targets();
  const PydioFileEdits context = edits_of(targets, "bootstrap_context.php");
  std::string text = pydio::test::recorded_output("pydio-fixture/tree/conf/bootstrap_context.php");

  SECTION("the unexpected variant's data path") {
    const std::string pydio = "define(\"AJXP_DATA_PATH\", AJXP_INSTALL_PATH.\"/data\");";
    text.replace(text.find(pydio), pydio.size(), "define(\"AJXP_DATA_PATH\", \"/srv/elsewhere\");");
    auto result = pydio_edits(context.path, text, context.edits);
    REQUIRE_FALSE(result);
    CHECK(result.status().message() ==
          "/var/www/pydio/conf/bootstrap_context.php:45: expected define(\"AJXP_DATA_PATH\", "
          "AJXP_INSTALL_PATH.\"/data\"); or define(\"AJXP_DATA_PATH\", "
          "\"/mnt/pydio-config/appdata\"); // pydio-agent: AJXP_DATA_PATH, found "
          "define(\"AJXP_DATA_PATH\", \"/srv/elsewhere\"); nothing changed");
  }
  SECTION("a statement missing") {
    const std::string line =
        "define(\"AJXP_SHARED_CACHE_DIR\", AJXP_INSTALL_PATH.\"/data/cache\");";
    text.erase(text.find(line), line.size());
    auto result = pydio_edits(context.path, text, context.edits);
    REQUIRE_FALSE(result);
    CHECK(result.status().message().find(
              "bootstrap_context.php: expected define(\"AJXP_SHARED_CACHE_DIR\"") !=
          std::string::npos);
    CHECK(result.status().message().find("found no such line; nothing changed") !=
          std::string::npos);
  }
  SECTION("a statement twice") {
    const std::string line = "define(\"AJXP_CACHE_DIR\", AJXP_DATA_PATH.\"/cache\");";
    text += line + "\n";
    auto result = pydio_edits(context.path, text, context.edits);
    REQUIRE_FALSE(result);
    CHECK(result.status().message().find("once, found it again (also line 46)") !=
          std::string::npos);
  }
  SECTION("a repository path somebody changed") {
    const PydioFileEdits repositories = edits_of(targets, "bootstrap_repositories.php");
    std::string repo_text = pydio::test::recorded_output("pydio-8.2.5/bootstrap_repositories.php");
    const std::string value = "\"AJXP_DATA_PATH/personal/AJXP_USER\"";
    repo_text.replace(repo_text.find(value), value.size(), "\"/home/AJXP_USER\"");
    auto result = pydio_edits(repositories.path, repo_text, repositories.edits);
    REQUIRE_FALSE(result);
    CHECK(result.status().message().find(
              "bootstrap_repositories.php:18: expected \"PATH\"\t\t\t=>\t"
              "\"AJXP_DATA_PATH/personal/AJXP_USER\",") != std::string::npos);
    CHECK(result.status().message().find("found \"PATH\"\t\t\t=>\t\"/home/AJXP_USER\",") !=
          std::string::npos);
  }
  SECTION("an .htaccess with another RewriteBase") {
    const PydioFileEdits htaccess = edits_of(targets, ".htaccess");
    auto result =
        pydio_edits(htaccess.path, "RewriteEngine on\nRewriteBase /files\n", htaccess.edits);
    REQUIRE_FALSE(result);
    CHECK(result.status().message() ==
          "/var/www/pydio/.htaccess:2: expected RewriteBase / or "
          "RewriteBase /pydio, found RewriteBase /files; nothing changed");
  }
}

TEST_CASE("values that would break out of a PHP string are refused", "[pydio_edits]") {
  WiringTargets targets = tutorial_targets();
  targets.public_url = "https://files.example.com/$x";
  auto files = wiring_edits(targets);
  REQUIRE_FALSE(files);
  CHECK(files.status().message().find("web.publicUrl") == 0);
  targets = tutorial_targets();
  targets.public_url = "";
  files = wiring_edits(targets);
  REQUIRE(files);
  CHECK(files->size() == 3);  // no $DRIVER_CONF defaults without a public URL
}
