// PHP for Apache: the dpkg-query parser on recorded output, the drop-in, the packages plan, the
// probe's answer, and the php plan with paired execution (after apply, the plan is empty).
#include "agent/resources/php_resource.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "agent/health/php_probe.hpp"
#include "agent/resources/packages_resource.hpp"
#include "agent/resources/php_settings.hpp"
#include "test/unit/support/test_data.hpp"

using namespace pydio::agent;
using pydio::common::PhpSpec;

namespace {

std::vector<std::string> kinds(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& action : plan.actions) out.push_back(action.kind);
  return out;
}

PhpWant want_for(const PhpSpec& php) {
  PhpWant want;
  want.php = php;
  want.dropin_path = php_dropin_path(php.version);
  want.dropin_text = php_dropin_text(php);
  want.probe_path = "/var/www/pydio-agent/probe.php";
  want.probe_text = php_probe_page({"n1",
                                    {"/mnt/pydio-data", "/mnt/pydio-config"},
                                    "/x/lock",
                                    "/var/www/pydio/current/conf/VERSION"});
  return want;
}

PhpProbeResult ok_probe(const PhpSpec& php) {
  PhpProbeResult probe;
  probe.state = PhpProbeState::kOk;
  probe.version = "8.2.36";
  probe.sapi = "apache2handler";
  probe.user = "www-data";
  for (const auto& extension : pydio_php_extensions())
    probe.extensions.push_back(extension.loaded_name);
  probe.ini = {{"upload_max_filesize", php.upload_max_filesize},
               {"post_max_size", php.post_max_size},
               {"memory_limit", php.memory_limit},
               {"max_execution_time", std::to_string(php.max_execution_time)},
               {"max_input_time", std::to_string(php.max_input_time)},
               {"output_buffering", ""},
               {"upload_tmp_dir", php.temp_dir},
               {"sys_temp_dir", php.temp_dir}};
  return probe;
}

PhpObservation converged(const PhpWant& want) {
  PhpObservation observed;
  observed.wanted_links = {
      {"/etc/apache2/mods-enabled/php8.2.load", "../mods-available/php8.2.load", true, false},
      {"/etc/apache2/mods-enabled/mpm_prefork.load", "../mods-available/mpm_prefork.load", true,
       true}};
  observed.conf_dir_exists = true;
  observed.dropin_text = want.dropin_text;
  observed.probe_text = want.probe_text;
  observed.temp_dir_ok = true;
  for (const auto& extension : pydio_php_extensions())
    observed.extensions.push_back({extension.ini_name, extension.loaded_name,
                                   "/etc/php/8.2/apache2/conf.d/20-" + extension.ini_name + ".ini",
                                   true, true});
  observed.apache_running = true;
  observed.probe = ok_probe(want.php);
  observed.probe_current = true;
  return observed;
}

// What the actions do on the host, as apply() does it.
PhpObservation after(const PhpWant& want, PhpObservation observed, const Plan& plan) {
  for (const auto& action : plan.actions) {
    if (action.kind == std::string(LinkApacheModule::kKind)) {
      const auto* step = action_step<PhpAction, LinkApacheModule>(action);
      for (auto& link : observed.wanted_links)
        if (link.link == step->link) link.present = true;
      (step->link.find("mpm_") != std::string::npos ? observed.restart_pending
                                                    : observed.reload_pending) = true;
    }
    if (action.kind == std::string(UnlinkApacheModule::kKind)) {
      observed.other_mpm_links.clear();
      observed.restart_pending = true;
    }
    if (action.kind == std::string(WritePhpDropin::kKind)) {
      observed.dropin_text = want.dropin_text;
      observed.reload_pending = true;
    }
    if (action.kind == std::string(MakePhpTempDir::kKind)) observed.temp_dir_ok = true;
    if (action.kind == std::string(WriteProbePage::kKind)) observed.probe_text = want.probe_text;
    if (action.kind == std::string(EnablePhpExtension::kKind)) {
      for (auto& extension : observed.extensions) extension.enabled = true;
      observed.reload_pending = true;
    }
    if (action.kind == std::string(ReloadApacheForPhp::kKind) ||
        action.kind == std::string(RestartApacheForMpm::kKind)) {
      observed.reload_pending = observed.restart_pending = false;
      observed.probe = ok_probe(want.php);
    }
  }
  return observed;
}

}  // namespace

TEST_CASE("dpkg-query output: installed packages and the missing ones", "[php][packages]") {
  const std::string recorded = pydio::test::recorded_output("dpkg/query-php8.2.txt");
  const auto installed = installed_packages(recorded);
  CHECK(missing_packages(php_packages("8.2"), installed).empty());
  CHECK(missing_packages({"haproxy", "php7.4-intl"}, installed) ==
        std::vector<std::string>{"php7.4-intl"});
  // Hand-written lines in dpkg's format for states the recording host had none of.
  const auto removed = installed_packages(
      "php8.2-gd deinstall ok config-files\nphp8.2-zip unknown ok not-installed\n"
      "php8.2-curl hold ok installed\nhalf\n");
  CHECK(removed == std::vector<std::string>{"php8.2-curl"});
}

TEST_CASE("packages per role", "[php][packages]") {
  pydio::common::NodeSpec node;
  node.roles = {pydio::common::Role::kStorage, pydio::common::Role::kDb};
  CHECK(packages_for_roles(node, "8.2").empty());
  node.roles = {pydio::common::Role::kCompute};
  auto compute = packages_for_roles(node, "7.4");
  CHECK(compute.front() == "libapache2-mod-php7.4");
  CHECK(std::find(compute.begin(), compute.end(), "php7.4-intl") != compute.end());
  CHECK(std::find(compute.begin(), compute.end(), "imagemagick") != compute.end());
  node.roles = {pydio::common::Role::kLb};
  CHECK(packages_for_roles(node, "8.2") == std::vector<std::string>{"haproxy"});
}

TEST_CASE("packages plan: install when allowed, else an error naming them", "[php][packages]") {
  auto nothing = plan_packages({}, false);
  REQUIRE(nothing);
  CHECK(nothing->actions.empty());
  auto install = plan_packages({"php8.2-intl", "haproxy"}, true);
  REQUIRE(install);
  REQUIRE(kinds(*install) == std::vector<std::string>{"install-packages"});
  CHECK(action_step<PackagesAction, InstallPackages>(install->actions[0])->names.size() == 2);
  auto refused = plan_packages({"php8.2-intl", "haproxy"}, false);
  REQUIRE_FALSE(refused);
  CHECK(refused.status().message().find("packages missing: php8.2-intl, haproxy") == 0);
  CHECK(refused.status().message().find("installPackages is false") != std::string::npos);
}

TEST_CASE("the drop-in holds every web.php setting", "[php]") {
  PhpSpec php;
  const std::string text = php_dropin_text(php);
  CHECK(text.find("upload_max_filesize = 200M\n") != std::string::npos);
  CHECK(text.find("post_max_size = 200M\n") != std::string::npos);
  CHECK(text.find("output_buffering = Off\n") != std::string::npos);
  CHECK(text.find("upload_tmp_dir = /var/cache/pydio/tmp\n") != std::string::npos);
  CHECK(text.find("sys_temp_dir = /var/cache/pydio/tmp\n") != std::string::npos);
  php.output_buffering = true;
  CHECK(php_dropin_text(php).find("output_buffering = 4096\n") != std::string::npos);
  CHECK(php_dropin_path("7.4") == "/etc/php/7.4/apache2/conf.d/99-pydio-agent.ini");
  CHECK(php_module_priority(
            "; configuration for php intl module\n; priority=20\nextension=intl.so\n") == 20);
  CHECK(php_module_priority("; priority=10\nzend_extension=opcache.so\n") == 10);
  CHECK(php_module_priority("extension=x.so\n") == 20);
}

TEST_CASE("ini values that differ from the drop-in are named by field", "[php]") {
  PhpSpec php;
  auto ini = ok_probe(php).ini;
  CHECK(ini_mismatches(php, ini).empty());
  ini["output_buffering"] = "0";
  CHECK(ini_mismatches(php, ini).empty());
  ini["post_max_size"] = "8M";
  auto lines = ini_mismatches(php, ini);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("web.php.postMaxSize: Apache's PHP uses post_max_size=8M, the drop-in says "
                      "200M") == 0);
}

TEST_CASE("the probe's answer", "[php][health]") {
  SECTION("recorded answer of the real page") {
    const std::string body = pydio::test::recorded_output("php/probe-ok.json");
    PhpProbeResult result = interpret_php_probe(200, body);
    INFO(result.problem);
    CHECK(result.state == PhpProbeState::kOk);
    CHECK(result.version.rfind("8.2.", 0) == 0);
    CHECK(result.sapi == "apache2handler");
    CHECK(result.user == "www-data");
    CHECK(std::find(result.extensions.begin(), result.extensions.end(), "intl") !=
          result.extensions.end());
    CHECK(ini_mismatches(PhpSpec{}, result.ini).empty());
  }
  SECTION("PHP not running: the page comes back as text") {
    auto result = interpret_php_probe(200, "<?php\n// Managed by pydio-agent\n");
    CHECK(result.state == PhpProbeState::kBroken);
    CHECK(result.problem.find("not run: Apache's PHP module is not loaded") != std::string::npos);
  }
  SECTION("another probe still running") {
    auto result = interpret_php_probe(429, R"({"probe":"pydio-agent/1","error":"x"})");
    CHECK(result.state == PhpProbeState::kBroken);
    CHECK(result.problem.find("still running") != std::string::npos);
  }
  SECTION("a volume the web user cannot write, and one not laid out yet") {
    auto result =
        interpret_php_probe(200, R"({"probe":"pydio-agent/1","php":"8.2.1","sapi":"apache2handler",
      "user":"www-data","extensions":[],"ini":{},
      "volumes":{"/mnt/pydio-data":"create /mnt/pydio-data/.web-probe/n1.7: Permission denied",
                 "/mnt/pydio-config":"no /mnt/pydio-config/.web-probe yet"}})");
    CHECK(result.state == PhpProbeState::kBroken);
    CHECK(result.problem ==
          "web user www-data cannot use /mnt/pydio-data: create /mnt/pydio-data/.web-probe/n1.7: "
          "Permission denied");
    CHECK(result.notes == std::vector<std::string>{"no /mnt/pydio-config/.web-probe yet"});
  }
  SECTION("no HTTP answer, a 500 page") {
    CHECK(interpret_php_probe(0, "connect 127.0.0.1:80: refused").problem ==
          "connect 127.0.0.1:80: refused");
    auto result = interpret_php_probe(500, "<html>Internal Server Error</html>");
    CHECK(result.state == PhpProbeState::kBroken);
    CHECK(result.problem.find("HTTP 500") != std::string::npos);
  }
}

TEST_CASE("php plan: converged is empty, every difference converges in one apply", "[php]") {
  const PhpWant want = want_for(PhpSpec{});
  const PhpObservation in_sync = converged(want);
  auto plan = plan_php(want, in_sync);
  REQUIRE(plan);
  CHECK(plan->actions.empty());
  CHECK(plan->note.find("PHP 8.2.36 (apache2handler, www-data); 99-pydio-agent.ini current") == 0);
  CHECK(plan->note.find("predates PHP 8") != std::string::npos);

  SECTION("a bare node: everything, then one graceful reload") {
    PhpObservation bare = in_sync;
    bare.wanted_links[0].present = false;
    bare.dropin_text.reset();
    bare.probe_text.reset();
    bare.temp_dir_ok = false;
    bare.extensions[3].enabled = false;
    auto first = plan_php(want, bare);
    REQUIRE(first);
    CHECK(kinds(*first) == std::vector<std::string>{"enable-apache-module", "write-php-dropin",
                                                    "make-php-temp-dir", "write-probe-page",
                                                    "enable-php-extension", "reload-apache"});
    CHECK(first->actions[4].description ==
          "extension intl not loaded by Apache's PHP (/etc/php/8.2/apache2/conf.d/20-intl.ini "
          "missing): phpenmod -v 8.2 -s apache2 intl");
    auto second = plan_php(want, after(want, bare, *first));
    REQUIRE(second);
    CHECK(second->actions.empty());
  }
  SECTION("a settings change is a graceful reload, never a restart") {
    PhpSpec changed;
    changed.upload_max_filesize = "100M";
    const PhpWant next = want_for(changed);
    auto first = plan_php(next, in_sync);
    REQUIRE(first);
    CHECK(kinds(*first) == std::vector<std::string>{"write-php-dropin", "reload-apache"});
    auto second = plan_php(next, after(next, in_sync, *first));
    REQUIRE(second);
    CHECK(second->actions.empty());
  }
  SECTION("an MPM change is a restart") {
    PhpObservation event = in_sync;
    event.wanted_links[1].present = false;
    event.other_mpm_links = {"/etc/apache2/mods-enabled/mpm_event.load"};
    auto first = plan_php(want, event);
    REQUIRE(first);
    CHECK(kinds(*first) == std::vector<std::string>{"enable-apache-module", "disable-apache-module",
                                                    "restart-apache"});
    CHECK(first->actions[2].description.find("a graceful reload keeps the old MPM") !=
          std::string::npos);
    auto second = plan_php(want, after(want, event, *first));
    REQUIRE(second);
    CHECK(second->actions.empty());
  }
  SECTION("what Apache's PHP runs differs from the drop-in: an error naming the setting") {
    PhpObservation overridden = in_sync;
    overridden.probe.ini["upload_max_filesize"] = "2M";
    auto planned = plan_php(want, overridden);
    REQUIRE_FALSE(planned);
    CHECK(planned.status().message().find("web.php.uploadMaxFilesize: Apache's PHP uses "
                                          "upload_max_filesize=2M") == 0);
    overridden.probe_current = false;  // answered before the reload took effect: look again
    auto waiting = plan_php(want, overridden);
    REQUIRE(waiting);
    CHECK(waiting->actions.empty());
    CHECK(waiting->recheck_soon);
  }
  SECTION("an enabled extension the probe does not see") {
    PhpObservation missing = in_sync;
    missing.probe.extensions.erase(missing.probe.extensions.begin() + 3);  // intl
    auto planned = plan_php(want, missing);
    REQUIRE_FALSE(planned);
    CHECK(planned.status().message().find("extension intl not loaded by Apache's PHP") == 0);
  }
  SECTION("PHP not installed: an error naming the package") {
    PhpObservation none = in_sync;
    none.conf_dir_exists = false;
    auto planned = plan_php(want, none);
    REQUIRE_FALSE(planned);
    CHECK(planned.status().message().find("libapache2-mod-php8.2") != std::string::npos);
  }
  SECTION("PHP 7.4: no PHP 8 warning") {
    PhpSpec seven;
    seven.version = "7.4";
    PhpProbeResult probe = ok_probe(seven);
    probe.version = "7.4.33";
    CHECK(php_status_note(want_for(seven), probe).find("predates") == std::string::npos);
  }
}
