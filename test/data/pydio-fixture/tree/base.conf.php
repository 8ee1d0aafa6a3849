<?php
// pydio-agent test fixture: the four statements of Pydio 8.2.5 core/src/base.conf.php:24-27.
define("AJXP_PACKAGING", "zip");
define("AJXP_INSTALL_PATH", realpath(dirname(__FILE__)));
define("AJXP_CONF_PATH", AJXP_INSTALL_PATH."/conf");
require_once(AJXP_CONF_PATH."/bootstrap_context.php");
