<?php
// pydio-agent test fixture (our code): the constants and settings Pydio would run with.
session_name("AjaXplorer");
session_start();
include_once(dirname(__FILE__)."/fixture_common.php");

fixture_answer(200, array(
    "node" => fixture_node(),
    "version" => trim(file_get_contents(AJXP_CONF_PATH."/VERSION")),
    "AJXP_INSTALL_PATH" => AJXP_INSTALL_PATH,
    "AJXP_CONF_PATH" => AJXP_CONF_PATH,
    "AJXP_DATA_PATH" => AJXP_DATA_PATH,
    "AJXP_CACHE_DIR" => AJXP_CACHE_DIR,
    "AJXP_SHARED_CACHE_DIR" => AJXP_SHARED_CACHE_DIR,
    "pluginsBootstrapped" => defined("FIXTURE_PLUGIN_BOOTSTRAPPED"),
    "firstRun" => fixture_first_run(),
    "repositories" => fixture_repositories(),
    "driverConf" => fixture_driver_conf(),
    "upload_max_filesize" => ini_get("upload_max_filesize"),
    "post_max_size" => ini_get("post_max_size"),
));
