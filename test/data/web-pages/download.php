<?php
// Test page (scenario upload_through_balancer, test/demo): sends back a file of the common
// repository, saying which node served it.
$path = "/mnt/pydio-data/common/" . basename($_GET["name"]);
header("Content-Type: application/octet-stream");
header("X-Node: " . gethostname());
readfile($path);
