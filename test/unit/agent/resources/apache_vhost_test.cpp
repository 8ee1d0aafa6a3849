// The vhost render (pure) and the apache-vhost plan on handwritten observations.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/resources/apache_vhost_resource.hpp"
#include "test/unit/support/temp_dir.hpp"

using namespace pydio::agent;
using pydio::common::WebSpec;

namespace {

WebSpec tutorial_web() {
  WebSpec web;  // defaults: /var/www/pydio, /pydio, check.txt, www-data
  web.public_url = "https://files.example.com";
  return web;
}

std::vector<std::string> kinds(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& action : plan.actions) out.push_back(action.kind);
  return out;
}

VhostWant want_for(const WebSpec& web) {
  return VhostWant{*vhost_text(web), vhost_paths("/etc/apache2"), web.docroot};
}

VhostObservation converged(const VhostWant& want) {
  VhostObservation observed;
  observed.current_text = want.text;
  observed.site_enabled = true;
  observed.default_site_enabled = false;
  observed.docroot_exists = true;
  observed.apache_running = true;
  return observed;
}

// What the actions do to the host, as apply() does it (for the paired-execution check).
VhostObservation after(const VhostWant& want, VhostObservation observed, const Plan& plan) {
  for (const auto& action : plan.actions) {
    if (action.kind == "ensure-docroot") observed.docroot_exists = true;
    if (action.kind == "write-vhost") {
      observed.current_text = want.text;
      observed.site_enabled = true;
      observed.reload_pending = true;
    }
    if (action.kind == "enable-site") observed.site_enabled = true, observed.reload_pending = true;
    if (action.kind == "disable-default-site") {
      observed.default_site_enabled = false;
      observed.reload_pending = true;
    }
    if (action.kind == "start-apache") observed.apache_running = true, observed.reload_pending = false;
    if (action.kind == "reload-apache") observed.reload_pending = false;
  }
  return observed;
}

}  // namespace

TEST_CASE("the vhost is rendered from the web section", "[apache_vhost]") {
  auto text = vhost_text(tutorial_web());
  REQUIRE(text.has_value());
  CHECK(*text ==
        "# Managed by pydio-agent, rendered from the desired state (web). Edits are replaced.\n"
        "<VirtualHost *:80>\n"
        "    ServerName files.example.com\n"
        "    # The agent's PHP probe (its health verdict): local requests only, never logged.\n"
        "    Alias \"/.pydio-agent/\" \"/var/www/pydio-agent/\"\n"
        "    <Directory \"/var/www/pydio-agent\">\n"
        "        Options None\n"
        "        AllowOverride None\n"
        "        Require local\n"
        "    </Directory>\n"
        "    SetEnvIf Request_URI \"^/\\.pydio-agent/\" dontlog\n"
        "    Alias \"/pydio\" \"/var/www/pydio\"\n"
        "    <Directory \"/var/www/pydio\">\n"
        "        Options FollowSymLinks\n"
        "        AllowOverride All\n"
        "        Require all granted\n"
        "    </Directory>\n"
        "    # The balancer probes the health file every few seconds: keep it out of the log.\n"
        "    SetEnvIf Request_URI \"^/pydio/check\\.txt$\" dontlog\n"
        "    ErrorLog ${APACHE_LOG_DIR}/pydio-error.log\n"
        "    CustomLog ${APACHE_LOG_DIR}/pydio-access.log combined env=!dontlog\n"
        "</VirtualHost>\n");
}

TEST_CASE("Pydio installed outside the docroot is served, the health file stays in it",
          "[apache_vhost]") {
  WebSpec web = tutorial_web();
  web.install_dir = "/opt/pydio";
  auto text = vhost_text(web);
  REQUIRE(text.has_value());
  const std::string health = "    Alias \"/pydio/check.txt\" \"/var/www/pydio/check.txt\"\n";
  const std::string pydio = "    Alias \"/pydio\" \"/opt/pydio\"\n";
  REQUIRE(text->find(health) != std::string::npos);
  CHECK(text->find(health) < text->find(pydio));  // mod_alias: the first match wins
  CHECK(text->find("<Directory \"/opt/pydio\">") != std::string::npos);
  CHECK(text->find("<Directory \"/var/www/pydio\">") != std::string::npos);
}

TEST_CASE("in release mode Pydio is the docroot's current link, the health file stays before it",
          "[apache_vhost]") {
  WebSpec web = tutorial_web();
  pydio::common::ReleaseSpec release;
  release.sha256 = "sha256:" + std::string(64, 'a');
  web.release = release;
  auto text = vhost_text(web);
  REQUIRE(text.has_value());
  const std::string health = "    Alias \"/pydio/check.txt\" \"/var/www/pydio/check.txt\"\n";
  const std::string pydio = "    Alias \"/pydio\" \"/var/www/pydio/current\"\n";
  REQUIRE(text->find(health) != std::string::npos);
  REQUIRE(text->find(pydio) != std::string::npos);
  CHECK(text->find(health) < text->find(pydio));  // mod_alias: the first match wins
  // FollowSymLinks on the docroot, where the link is; no <Directory> on the link itself.
  CHECK(text->find("    <Directory \"/var/www/pydio\">\n        Options FollowSymLinks\n") !=
        std::string::npos);
  CHECK(text->find("<Directory \"/var/www/pydio/current\">") == std::string::npos);
  CHECK(text->find("    <FilesMatch \"^\\.pydio-agent-release\\.json$\">\n"
                   "        Require all denied\n") != std::string::npos);
}

TEST_CASE("the render is the file real Apache accepted and logged as intended", "[apache_vhost]") {
  // test/data/apache/record.sh ran `apache2ctl configtest` (configtest-ok.out) and served
  // requests (pydio-access.log: check.txt not logged) with exactly this file.
  std::ifstream in(std::string(PYDIO_TEST_DATA_DIR) + "/apache/pydio.conf");
  REQUIRE(in);
  std::ostringstream recorded;
  recorded << in.rdbuf();
  auto text = vhost_text(tutorial_web());
  REQUIRE(text.has_value());
  CHECK(*text == recorded.str());
}

TEST_CASE("the server name comes from serverName or the public URL's host", "[apache_vhost]") {
  WebSpec web;
  SECTION("explicit serverName wins") {
    web.server_name = "pydio.internal";
    web.public_url = "https://files.example.com";
    CHECK(vhost_server_name(web) == "pydio.internal");
  }
  SECTION("host of the URL without scheme, port, user or path") {
    web.public_url = "https://admin@files.example.com:8443/pydio/?x=1";
    CHECK(vhost_server_name(web) == "files.example.com");
  }
  SECTION("bracketed IPv6 host kept whole") {
    web.public_url = "http://[2001:db8::1]:8080/";
    CHECK(vhost_server_name(web) == "[2001:db8::1]");
  }
  SECTION("neither: no ServerName line") {
    CHECK(vhost_server_name(web).empty());
    REQUIRE(vhost_text(web).has_value());
    CHECK(vhost_text(web)->find("ServerName") == std::string::npos);
  }
}

TEST_CASE("the health file regex is anchored and escaped", "[apache_vhost]") {
  WebSpec web;
  CHECK(health_uri_regex(web) == "^/pydio/check\\.txt$");
  web.alias = "/files/";
  web.health_file = "health+check.txt";
  CHECK(health_uri_regex(web) == "^/files/health\\+check\\.txt$");
  web.alias = "/";
  web.health_file = "check.txt";
  CHECK(health_uri_regex(web) == "^/check\\.txt$");
}

TEST_CASE("values that would change the meaning of the config are refused", "[apache_vhost]") {
  WebSpec web = tutorial_web();
  SECTION("a quote in the docroot") {
    web.docroot = "/var/www/py\"dio";
    auto text = vhost_text(web);
    REQUIRE_FALSE(text.has_value());
    CHECK(text.status().message().rfind("web.docroot: ", 0) == 0);
  }
  SECTION("an Apache variable in the alias") {
    web.alias = "/${APACHE_LOG_DIR}";
    CHECK_FALSE(vhost_text(web).has_value());
  }
  SECTION("a newline in the health file") {
    web.health_file = "check.txt\nRequire all denied";
    CHECK_FALSE(vhost_text(web).has_value());
  }
  SECTION("a server name with a space") {
    web.server_name = "files.example.com Include /etc/shadow";
    auto text = vhost_text(web);
    REQUIRE_FALSE(text.has_value());
    CHECK(text.status().message().rfind("web.serverName: ", 0) == 0);
  }
}

TEST_CASE("vhost paths follow the Debian layout", "[apache_vhost]") {
  auto paths = vhost_paths("/etc/apache2/");
  CHECK(paths.available == "/etc/apache2/sites-available/pydio.conf");
  CHECK(paths.enabled == "/etc/apache2/sites-enabled/pydio.conf");
  CHECK(paths.enabled_target == "../sites-available/pydio.conf");
  CHECK(paths.default_site_enabled == "/etc/apache2/sites-enabled/000-default.conf");
}

TEST_CASE("apache-vhost plans only what differs", "[apache_vhost]") {
  const VhostWant want = want_for(tutorial_web());

  SECTION("converged: nothing to do") {
    CHECK(plan_vhost(want, converged(want)).actions.empty());
  }
  SECTION("bare node: docroot, write and enable, default site off, start (no reload)") {
    VhostObservation observed;
    observed.default_site_enabled = true;
    Plan plan = plan_vhost(want, observed);
    CHECK(kinds(plan) == std::vector<std::string>{"ensure-docroot", "write-vhost",
                                                  "disable-default-site", "start-apache"});
    CHECK(plan.actions[1].description ==
          "write /etc/apache2/sites-available/pydio.conf (new), validated by apache2ctl "
          "configtest, and enable it");
    const auto* write = action_step<ApacheVhostAction, WriteVhost>(plan.actions[1]);
    REQUIRE(write);
    CHECK(write->enable);
    CHECK(plan_vhost(want, after(want, observed, plan)).actions.empty());
  }
  SECTION("file edited by hand while Apache runs: rewrite, then graceful reload") {
    VhostObservation observed = converged(want);
    observed.current_text = "<VirtualHost *:80>\n</VirtualHost>\n";
    Plan plan = plan_vhost(want, observed);
    CHECK(kinds(plan) == std::vector<std::string>{"write-vhost", "reload-apache"});
    const auto* write = action_step<ApacheVhostAction, WriteVhost>(plan.actions[0]);
    REQUIRE(write);
    CHECK_FALSE(write->enable);
    CHECK(plan_vhost(want, after(want, observed, plan)).actions.empty());
  }
  SECTION("file deleted while Apache runs: write (new) and reload") {
    VhostObservation observed = converged(want);
    observed.current_text.reset();
    CHECK(kinds(plan_vhost(want, observed)) ==
          std::vector<std::string>{"write-vhost", "reload-apache"});
  }
  SECTION("symlink removed: enable (validated) and reload, the file is not rewritten") {
    VhostObservation observed = converged(want);
    observed.site_enabled = false;
    Plan plan = plan_vhost(want, observed);
    CHECK(kinds(plan) == std::vector<std::string>{"enable-site", "reload-apache"});
    CHECK(plan_vhost(want, after(want, observed, plan)).actions.empty());
  }
  SECTION("Apache stopped, config in sync: only start") {
    VhostObservation observed = converged(want);
    observed.apache_running = false;
    CHECK(kinds(plan_vhost(want, observed)) == std::vector<std::string>{"start-apache"});
  }
  SECTION("a reload owed from an earlier pass is still planned") {
    VhostObservation observed = converged(want);
    observed.reload_pending = true;
    CHECK(kinds(plan_vhost(want, observed)) == std::vector<std::string>{"reload-apache"});
  }
  SECTION("a changed desired web section changes the file") {
    WebSpec web = tutorial_web();
    web.alias = "/files";
    VhostObservation observed = converged(want);
    CHECK(kinds(plan_vhost(want_for(web), observed)) ==
          std::vector<std::string>{"write-vhost", "reload-apache"});
  }
}

TEST_CASE("the docroot is created on a real directory without following a link",
          "[apache_vhost][nofollow]") {
  pydio::test::TempDir tmp;
  std::filesystem::create_directories(tmp / "www");
  std::filesystem::create_directories(tmp / "etc");
  ApacheVhostResource resource;
  PassContext ctx;
  ctx.desired = std::make_shared<pydio::common::DesiredState>();
  auto ensure = [&](const std::string& path) {
    return resource.apply(
        ctx, make_action<ApacheVhostAction>("create docroot " + path, EnsureDocroot{path}));
  };

  SECTION("a missing docroot is created with its parents") {
    REQUIRE(ensure(tmp / "www/pydio/public").is_ok());
    CHECK(std::filesystem::is_directory(tmp / "www/pydio/public"));
  }
  SECTION("the web user's directory swapped for a link to /etc: refused, named, nothing made") {
    std::filesystem::create_directory_symlink(tmp / "etc", tmp / "www/pydio");
    auto created = ensure(tmp / "www/pydio/public");
    REQUIRE_FALSE(created.is_ok());
    CHECK_THAT(created.message(),
               Catch::Contains(tmp / "www/pydio is a symbolic link to " + (tmp / "etc")));
    CHECK(std::filesystem::is_empty(tmp / "etc"));
  }
}
