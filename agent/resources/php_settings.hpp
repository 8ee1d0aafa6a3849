#pragma once
// Pure pieces of PHP for Apache on compute nodes (web.php): the distribution packages a node
// needs, the parser of `dpkg-query -W` output, the agent's conf.d drop-in, the extensions
// Pydio uses and the probe page the health monitor asks. No host access here: the php and
// packages resources observe and apply; these are unit-tested on recorded output.

#include <map>
#include <string>
#include <vector>

#include "common/desired_state.hpp"

namespace pydio::agent {

// Debian's layout for PHP version `version` ("8.2").
std::string php_apache_conf_dir(const std::string& version);     // /etc/php/8.2/apache2/conf.d
std::string php_mods_available_dir(const std::string& version);  // /etc/php/8.2/mods-available
std::string php_dropin_path(const std::string& version);         // <conf dir>/99-pydio-agent.ini

// The drop-in's complete text. Sorted last ("99-"), so it wins over php.ini and every
// extension's file.
std::string php_dropin_text(const common::PhpSpec& php);

// Packages for PHP `version` under Apache with the extensions Pydio uses, and ImageMagick's
// CLI (Pydio's previews call `convert`).
std::vector<std::string> php_packages(const std::string& version);
// Packages of a node with these roles: PHP's for compute, haproxy for lb and, when the database
// is a Galera cluster (`galera`), for compute too (its local database proxy); empty otherwise.
std::vector<std::string> packages_for_roles(const common::NodeSpec& node,
                                            const std::string& php_version, bool galera = false);

// `dpkg-query -W -f='${Package} ${Status}\n' NAMES...` output -> names that are installed
// ("install ok installed" or "hold ok installed"). Lines of removed packages (config-files,
// not-installed) count as missing; dpkg-query prints nothing for names it never saw.
std::vector<std::string> installed_packages(const std::string& dpkg_query_output);
// `wanted` minus `installed`, in the order of `wanted`.
std::vector<std::string> missing_packages(const std::vector<std::string>& wanted,
                                          const std::vector<std::string>& installed);

// A PHP extension Pydio needs: the name of its mods-available/<ini_name>.ini (what phpenmod
// takes) and the name get_loaded_extensions() reports, lower-cased.
struct PhpExtension {
  std::string ini_name;
  std::string loaded_name;
};
const std::vector<PhpExtension>& pydio_php_extensions();

// The priority phpenmod gives a module: "; priority=NN" in its mods-available file; 20 without.
int php_module_priority(const std::string& mods_available_text);

// What the probe page needs to know, all from the desired state and agent.json.
struct ProbePageSettings {
  std::string node_name;
  std::vector<std::string> mountpoints;  // the volumes' FUSE mountpoints
  std::string lock_path;                 // node-local, writable by the web user
  // <docroot>/current/conf/VERSION: what `?release=1` reads (the release check).
  std::string release_version_file;
};
inline constexpr const char* kProbeFile = "probe.php";
inline constexpr const char* kProbeUrlPath = "/.pydio-agent/probe.php";

// The probe page (PHP). With `?release=1` it answers only {"probe", "current"}: the text of
// release_version_file as PHP reads it through the `current` link (null when it cannot), so the
// check after a release switch (release_check.hpp) sees which release PHP really runs, whatever
// Pydio's own start page looks like; it touches no volume and takes no lock. Otherwise it
// answers JSON with PHP's version, SAPI, loaded extensions, the ini
// values of the drop-in's settings, and per mountpoint "ok" or why the web user could not
// create (O_EXCL) and remove a file in <mountpoint>/.web-probe. 429 when another probe holds
// the lock (flock LOCK_NB): a hung volume blocks one Apache worker, never more.
std::string php_probe_page(const ProbePageSettings& settings);

// The ini settings the drop-in sets whose value in `effective` (what the probe read from
// Apache's PHP) differs; one line each naming the web.php field, e.g. "web.php.postMaxSize:
// Apache's PHP uses post_max_size=8M, the drop-in says 200M".
std::vector<std::string> ini_mismatches(const common::PhpSpec& php,
                                        const std::map<std::string, std::string>& effective);

}  // namespace pydio::agent
