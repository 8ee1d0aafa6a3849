<?php
// pydio-agent test fixture (our code): what Pydio 8's installer leaves on the shared volume
// (ApplicationState::setApplicationFirstRunPassed, RolesService admin_counted, server_uuid).
include_once(dirname(__FILE__)."/fixture_common.php");

$dir = AJXP_DATA_PATH."/plugins/boot.conf";
if (!fixture_first_run()) fixture_answer(409, array("error" => "first run already done"));
$ok = @file_put_contents($dir."/first_run_passed", "true") !== false
    && @file_put_contents($dir."/admin_counted", "true") !== false
    && @file_put_contents($dir."/server_uuid", md5(uniqid("", true))) !== false;
$error = error_get_last();
fixture_answer($ok ? 200 : 500, $ok ? array("installed" => $dir)
    : array("error" => $error ? $error["message"] : "failed", "dir" => $dir));
