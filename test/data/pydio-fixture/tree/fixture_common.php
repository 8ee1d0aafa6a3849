<?php
// pydio-agent test fixture (our code): what the pages share. Loads the configuration the way
// Pydio 8 does (base.conf.php -> conf/bootstrap_context.php; conf/*.php and conf.*.inc).
include_once(dirname(__FILE__)."/base.conf.php");

function fixture_user() {
    $user = isset($_GET["user"]) ? $_GET["user"] : "alice";
    return preg_match('/^[a-z0-9]{1,32}$/', $user) ? $user : "alice";
}

// The repositories' paths with Pydio's keywords substituted, as the fs driver sees them.
function fixture_repositories() {
    $REPOSITORIES = array();
    include(AJXP_CONF_PATH."/bootstrap_repositories.php");
    $paths = array();
    foreach ($REPOSITORIES as $index => $repository) {
        $path = $repository["DRIVER_OPTIONS"]["PATH"];
        $path = str_replace("AJXP_DATA_PATH", AJXP_DATA_PATH, $path);
        $path = str_replace("AJXP_USER", fixture_user(), $path);
        $paths[$index] = $path;
    }
    return $paths;
}

function fixture_driver_conf() {
    $DRIVER_CONF = array();
    include(AJXP_CONF_PATH."/conf.core.ajaxplorer.inc");
    return $DRIVER_CONF;
}

// ApplicationState::detectApplicationFirstRun (8.2.5 :132-135).
function fixture_first_run() {
    return !file_exists(AJXP_CACHE_DIR."/first_run_passed")
        && !file_exists(AJXP_DATA_PATH."/plugins/boot.conf/first_run_passed");
}

function fixture_owner($path) {
    $uid = @fileowner($path);
    if ($uid === false) return null;
    if (function_exists("posix_getpwuid")) {
        $entry = posix_getpwuid($uid);
        if ($entry !== false) return $entry["name"];
    }
    return (string)$uid;
}

function fixture_node() {
    return php_uname("n");
}

function fixture_answer($code, $value) {
    http_response_code($code);
    header("Content-Type: application/json");
    echo json_encode($value, JSON_UNESCAPED_SLASHES)."\n";
    exit;
}
