<?php
// pydio-agent test fixture shaped like Pydio 8.2.5 core/src/conf/bootstrap_repositories.php:
// only the two "PATH" entries repeat Pydio's (tabs included).
defined('AJXP_EXEC') or die('Access not allowed');

$REPOSITORIES[0] = array(
    "DISPLAY"       =>  "Common Files",
    "DRIVER"        =>  "fs",
    "DRIVER_OPTIONS"=> array(
        "PATH"			=>	"AJXP_DATA_PATH/files",
        "CREATE"		=>	true,
    ),
);

$REPOSITORIES[1] = array(
    "DISPLAY"       =>  "My Files",
    "DRIVER"        =>  "fs",
    "DRIVER_OPTIONS"=> array(
        "PATH"			=>	"AJXP_DATA_PATH/personal/AJXP_USER",
        "CREATE"		=>	true,
    ),
);
