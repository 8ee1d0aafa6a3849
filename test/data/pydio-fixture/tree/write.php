<?php
// pydio-agent test fixture (our code): file I/O as the web user where Pydio keeps things.
// ?op=cycle (default): create, read back and remove a file in each place;
// ?op=put&name=N&content=C / ?op=get&name=N: leave a file in / read it from each place.
include_once(dirname(__FILE__)."/fixture_common.php");

$op = isset($_GET["op"]) ? $_GET["op"] : "cycle";
$name = isset($_GET["name"]) ? basename($_GET["name"]) : "";
if ($op !== "cycle" && !preg_match('/^[A-Za-z0-9._-]{1,64}$/', $name)) {
    fixture_answer(400, array("error" => "name: [A-Za-z0-9._-]{1,64} expected"));
}
$repositories = fixture_repositories();
$places = array(
    "AJXP_DATA_PATH" => AJXP_DATA_PATH,
    "AJXP_SHARED_CACHE_DIR" => AJXP_SHARED_CACHE_DIR,
    "AJXP_CACHE_DIR" => AJXP_CACHE_DIR,
    "repository0" => $repositories[0],
    "repository1" => $repositories[1],
);
$results = array();
$all_ok = true;
foreach ($places as $label => $dir) {
    $result = array("dir" => $dir);
    // Pydio's fs driver creates a repository folder on first use ("CREATE" => true).
    if (!is_dir($dir)) @mkdir($dir, 0750, true);
    if ($op === "cycle") {
        $path = $dir."/.fixture-".getmypid()."-".mt_rand();
        $text = "fixture ".$label;
        $written = @file_put_contents($path, $text);
        $result["owner"] = fixture_owner($path);
        $result["ok"] = $written === strlen($text) && @file_get_contents($path) === $text
            && @unlink($path);
    } elseif ($op === "put") {
        $content = isset($_GET["content"]) ? $_GET["content"] : "";
        $result["ok"] = @file_put_contents($dir."/".$name, $content) === strlen($content);
        $result["owner"] = fixture_owner($dir."/".$name);
    } elseif ($op === "get") {
        $content = @file_get_contents($dir."/".$name);
        $result["ok"] = $content !== false;
        $result["content"] = $content === false ? null : $content;
    } else {
        fixture_answer(400, array("error" => "op: cycle, put or get expected"));
    }
    if (!$result["ok"]) {
        $error = error_get_last();
        $result["error"] = $error ? $error["message"] : "failed";
        $all_ok = false;
    }
    $results[$label] = $result;
}
fixture_answer($all_ok ? 200 : 500, array("node" => fixture_node(), "ok" => $all_ok,
    "user" => function_exists("posix_geteuid") ? fixture_owner("/proc/self") : null,
    "places" => $results));
