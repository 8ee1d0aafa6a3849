#include "agent/resources/php_settings.hpp"

#include <algorithm>
#include <sstream>

#include "agent/resources/layout_resource.hpp"

namespace pydio::agent {

namespace {

std::string output_buffering_value(bool on) { return on ? "4096" : "Off"; }

// Single-quoted PHP string: every value comes from validated fields (names, absolute paths
// without quotes or backslashes), escaped anyway.
std::string php_string(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// One setting of the drop-in: ini key, web.php field, value the drop-in writes.
struct IniSetting {
  const char* key;
  const char* field;
  std::string value;
};

std::vector<IniSetting> ini_settings(const common::PhpSpec& php) {
  return {{"upload_max_filesize", "uploadMaxFilesize", php.upload_max_filesize},
          {"post_max_size", "postMaxSize", php.post_max_size},
          {"memory_limit", "memoryLimit", php.memory_limit},
          {"max_execution_time", "maxExecutionTime", std::to_string(php.max_execution_time)},
          {"max_input_time", "maxInputTime", std::to_string(php.max_input_time)},
          {"output_buffering", "outputBuffering", output_buffering_value(php.output_buffering)},
          {"upload_tmp_dir", "tempDir", php.temp_dir},
          {"sys_temp_dir", "tempDir", php.temp_dir}};
}

// ini_get() gives booleans set with Off as "" and numbers as written.
std::string normalized(const std::string& key, const std::string& value) {
  if (key == "output_buffering") {
    if (value.empty() || value == "0" || value == "Off" || value == "off") return "Off";
  }
  return value;
}

}  // namespace

std::string php_apache_conf_dir(const std::string& version) {
  return "/etc/php/" + version + "/apache2/conf.d";
}

std::string php_mods_available_dir(const std::string& version) {
  return "/etc/php/" + version + "/mods-available";
}

std::string php_dropin_path(const std::string& version) {
  return php_apache_conf_dir(version) + "/99-pydio-agent.ini";
}

std::string php_dropin_text(const common::PhpSpec& php) {
  std::ostringstream out;
  out << "; Managed by pydio-agent, rendered from the desired state (web.php). Edits are "
         "replaced.\n";
  for (const auto& setting : ini_settings(php))
    out << setting.key << " = " << setting.value << "\n";
  return out.str();
}

std::vector<std::string> php_packages(const std::string& version) {
  const std::string php = "php" + version;
  return {"libapache2-mod-" + php, php + "-mysql", php + "-gd",      php + "-intl",
          php + "-mbstring",       php + "-xml",   php + "-curl",    php + "-zip",
          php + "-opcache",        php + "-apcu",  php + "-imagick", "imagemagick"};
}

std::vector<std::string> packages_for_roles(const common::NodeSpec& node,
                                            const std::string& php_version, bool galera) {
  std::vector<std::string> packages;
  const bool compute = node.has_role(common::Role::kCompute);
  if (compute) packages = php_packages(php_version);
  if (node.has_role(common::Role::kLb) || (compute && galera)) packages.push_back("haproxy");
  return packages;
}

std::vector<std::string> installed_packages(const std::string& dpkg_query_output) {
  std::vector<std::string> installed;
  std::istringstream lines(dpkg_query_output);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string name, want, error, status;
    if (!(words >> name >> want >> error >> status)) continue;
    // ${Package} has no architecture suffix; strip one anyway if a caller used binary:Package.
    name = name.substr(0, name.find(':'));
    if ((want == "install" || want == "hold") && error == "ok" && status == "installed")
      installed.push_back(name);
  }
  return installed;
}

std::vector<std::string> missing_packages(const std::vector<std::string>& wanted,
                                          const std::vector<std::string>& installed) {
  std::vector<std::string> missing;
  for (const auto& name : wanted)
    if (std::find(installed.begin(), installed.end(), name) == installed.end())
      missing.push_back(name);
  return missing;
}

const std::vector<PhpExtension>& pydio_php_extensions() {
  static const std::vector<PhpExtension> kExtensions = {{"mysqli", "mysqli"},
                                                        {"pdo_mysql", "pdo_mysql"},
                                                        {"gd", "gd"},
                                                        {"intl", "intl"},
                                                        {"mbstring", "mbstring"},
                                                        {"dom", "dom"},
                                                        {"xml", "xml"},
                                                        {"curl", "curl"},
                                                        {"zip", "zip"},
                                                        {"opcache", "zend opcache"},
                                                        {"apcu", "apcu"},
                                                        {"imagick", "imagick"}};
  return kExtensions;
}

int php_module_priority(const std::string& mods_available_text) {
  std::istringstream lines(mods_available_text);
  std::string line;
  while (std::getline(lines, line)) {
    const std::string marker = "priority=";
    auto at = line.find(marker);
    if (line.rfind(";", 0) != 0 || at == std::string::npos) continue;
    const std::string digits = line.substr(at + marker.size());
    int priority = 0;
    std::size_t used = 0;
    for (; used < digits.size() && used < 3 && digits[used] >= '0' && digits[used] <= '9'; ++used)
      priority = priority * 10 + (digits[used] - '0');
    if (used > 0) return priority;
  }
  return 20;
}

std::string php_probe_page(const ProbePageSettings& settings) {
  std::ostringstream out;
  out << "<?php\n"
         "// Managed by pydio-agent: the PHP probe of its health verdict (docs/operations.md).\n"
         "// Served only to local requests; edits are replaced.\n"
         "header('Content-Type: application/json');\n"
         "header('Cache-Control: no-store');\n"
         "// The release check: which release PHP runs under current (local disk, no lock).\n"
         "if (isset($_GET['release'])) {\n"
         "  $v = @file_get_contents("
      << php_string(settings.release_version_file)
      << ", false, null, 0, 256);\n"
         "  echo json_encode(['probe' => 'pydio-agent/1', 'current' => $v === false ? null : "
         "$v]);\n"
         "  exit;\n"
         "}\n"
         "// One probe at a time per set of mounts: a hung volume blocks one Apache worker, never\n"
         "// more; once the agent has mounted the volumes again (the stuck request holds the old\n"
         "// set's lock for good), it asks with the new set's mount ids.\n"
         "$key = isset($_GET['mounts']) ? preg_replace('/[^0-9-]/', '', substr((string) "
         "$_GET['mounts'], 0, 64)) : '';\n"
         "$lock = @fopen("
      << php_string(settings.lock_path)
      << " . ($key === '' ? '' : '.' . $key), 'c');\n"
         "if ($lock === false) {\n"
         "  http_response_code(500);\n"
         "  $e = error_get_last();\n"
         "  echo json_encode(['probe' => 'pydio-agent/1', 'error' => 'open lock "
      << settings.lock_path
      << ": ' . ($e ? $e['message'] : 'failed')]);\n"
         "  exit;\n"
         "}\n"
         "if (!flock($lock, LOCK_EX | LOCK_NB)) {\n"
         "  http_response_code(429);\n"
         "  echo json_encode(['probe' => 'pydio-agent/1', 'error' => 'another probe is still "
         "running']);\n"
         "  exit;\n"
         "}\n"
         "$ini = [];\n"
         "foreach (['upload_max_filesize', 'post_max_size', 'memory_limit', "
         "'max_execution_time', 'max_input_time', 'output_buffering', 'upload_tmp_dir', "
         "'sys_temp_dir'] as $k) {\n"
         "  $ini[$k] = (string) ini_get($k);\n"
         "}\n"
         "$user = function_exists('posix_geteuid') ? posix_getpwuid(posix_geteuid())['name'] : "
         "'';\n"
         "$volumes = [];\n"
         "foreach ([";
  for (std::size_t i = 0; i < settings.mountpoints.size(); ++i)
    out << (i ? ", " : "") << php_string(settings.mountpoints[i]);
  out << "] as $m) {\n"
         "  $dir = $m . '/"
      << kWebProbeDirName
      << "';\n"
         "  $file = $dir . '/' . "
      << php_string(settings.node_name)
      << " . '.' . getmypid();\n"
         "  // Made by the leader's layout; until then (or while the volume is not mounted) the\n"
         "  // mount's own health says more than this page could.\n"
         "  if (!is_dir($dir)) {\n"
         "    $volumes[$m] = 'no ' . $dir . ' yet';\n"
         "    continue;\n"
         "  }\n"
         "  $h = @fopen($file, 'x');\n"
         "  if ($h === false) {\n"
         "    $e = error_get_last();\n"
         "    $volumes[$m] = 'create ' . $file . ': ' . ($e ? $e['message'] : 'failed');\n"
         "    continue;\n"
         "  }\n"
         "  fclose($h);\n"
         "  if (!@unlink($file)) {\n"
         "    $e = error_get_last();\n"
         "    $volumes[$m] = 'remove ' . $file . ': ' . ($e ? $e['message'] : 'failed');\n"
         "    continue;\n"
         "  }\n"
         "  $volumes[$m] = 'ok';\n"
         "}\n"
         "flock($lock, LOCK_UN);\n"
         "echo json_encode(['probe' => 'pydio-agent/1', 'php' => PHP_VERSION, 'sapi' => "
         "PHP_SAPI, 'user' => $user,\n"
         "  'extensions' => array_map('strtolower', get_loaded_extensions()), 'ini' => $ini,\n"
         "  'volumes' => (object) $volumes]);\n";
  return out.str();
}

std::vector<std::string> ini_mismatches(const common::PhpSpec& php,
                                        const std::map<std::string, std::string>& effective) {
  std::vector<std::string> lines;
  for (const auto& setting : ini_settings(php)) {
    auto found = effective.find(setting.key);
    const std::string seen = found == effective.end() ? "(not reported)" : found->second;
    if (normalized(setting.key, seen) == normalized(setting.key, setting.value)) continue;
    lines.push_back(std::string("web.php.") + setting.field + ": Apache's PHP uses " + setting.key +
                    "=" + (seen.empty() ? "\"\"" : seen) + ", the drop-in says " + setting.value +
                    " (a later conf.d file or php_admin_value overrides it?)");
  }
  return lines;
}

}  // namespace pydio::agent
