#pragma once
// The check after a node switches to a release: Pydio's own start page, asked of the node's
// Apache the way a browser would (GET <alias>/ on 127.0.0.1:80 with the vhost's Host), must
// answer below 500 without a PHP error, and a page that reports the release's version (the
// test fixture's does) must report this one. Then the agent's PHP probe (outside Pydio's tree,
// php_settings.hpp) is asked with `?release=1`: the version PHP reads from conf/VERSION through
// the `current` link must be this release's, so the link is followed and PHP runs the new tree
// whatever Pydio's page looks like (Pydio 8's is HTML). PHP's errors go to Apache's error log,
// not the page (display_errors is Off in production), so the reason is looked for there too.

#include <chrono>
#include <string>

#include "agent/host/local_http.hpp"
#include "agent/resources/php_settings.hpp"

namespace pydio::agent {

// Pure. The first line of `text` with a PHP parse or fatal error, without HTML tags and
// starting "PHP ", e.g. "PHP Parse error:  syntax error, unexpected token \";\" in
// /var/www/pydio/releases/0123456789ab/index.php on line 1"; "" when there is none.
std::string first_php_error_line(const std::string& text);

// Pure. Debian's APACHE_LOG_DIR for an Apache configuration directory (/etc/apache2 gives
// /var/log/apache2, /etc/apache2-x gives /var/log/apache2-x, as its envvars file says).
std::string apache_log_dir(const std::string& apache_config_dir);

struct ReleaseCheckVerdict {
  bool ok = false;
  bool final = false;  // not ok, and asking again would not help (a PHP error, a 5xx)
  std::string reason;  // why not ok
};

// Pure. `log_added`: what the vhost's error log gained during the request.
ReleaseCheckVerdict judge_release_answer(const HttpAnswer& answer, const std::string& log_added,
                                         const std::string& alias, const std::string& version);

// Pure. The probe's answer to `?release=1` (`probe_target`): ok when the "current" text's
// first "__" field is `version`. Never final: right after a graceful reload an old worker may
// still answer, so only the deadline ends it.
ReleaseCheckVerdict judge_probed_release(const HttpAnswer& answer, const std::string& probe_target,
                                         const std::string& version);

struct ReleaseCheckRequest {
  std::string alias;      // web.alias
  std::string host;       // Host header: the vhost's ServerName, or "localhost"
  std::string version;    // the release's
  std::string error_log;  // <APACHE_LOG_DIR>/pydio-error.log
  std::string probe_target = std::string(kProbeUrlPath) + "?release=1";
  std::chrono::seconds deadline{20};
};

// Asks until the verdict is ok or final, or the deadline passes (right after a graceful
// reload an old worker may still answer). "" when the release passed, else the reason.
std::string check_release(const ReleaseCheckRequest& request);

}  // namespace pydio::agent
