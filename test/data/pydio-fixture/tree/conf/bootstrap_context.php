<?php
// pydio-agent test fixture shaped like Pydio 8.2.5 core/src/conf/bootstrap_context.php.
// Only the defines below repeat Pydio's statements (the lines the agent edits);
// they sit on lines 45-47 as in 8.2.5.
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
//
define("AJXP_EXEC", true);

// APPLICATION PATHES CONFIGURATION
define("AJXP_DATA_PATH", AJXP_INSTALL_PATH."/data");
define("AJXP_CACHE_DIR", AJXP_DATA_PATH."/cache");
define("AJXP_SHARED_CACHE_DIR", AJXP_INSTALL_PATH."/data/cache");
define("AJXP_PLUGINS_BOOTSTRAP_CACHE", AJXP_CACHE_DIR."/plugins_bootstrap.php");
define("AJXP_PLUGINS_FOLDER", "plugins");
define("TESTS_RESULT_FILE", AJXP_DATA_PATH."/plugins/boot.conf/diag_result.php");

// Like 8.2.5 :151-162: the local cache holds a generated file with absolute paths.
if (!is_file(AJXP_PLUGINS_BOOTSTRAP_CACHE)) {
    $content = "<?php \n";
    $boots = glob(AJXP_INSTALL_PATH."/".AJXP_PLUGINS_FOLDER."/*/bootstrap.php");
    if ($boots !== false) {
        foreach ($boots as $b) {
            $content .= 'require_once("'.$b.'");'."\n";
        }
    }
    $resWriteBootstrapCache = @file_put_contents(AJXP_PLUGINS_BOOTSTRAP_CACHE, $content);
}
if (!isset($resWriteBootstrapCache) || $resWriteBootstrapCache !== false) {
    @include_once(AJXP_PLUGINS_BOOTSTRAP_CACHE);
}
