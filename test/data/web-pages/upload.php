<?php
// Test page (scenario upload_through_balancer, test/demo): stores the multipart field "file" in
// Pydio's common repository on the data volume and answers JSON; a body PHP would not take is
// answered 413 naming the limit.
header("Content-Type: application/json");
$node = gethostname();
$length = isset($_SERVER["CONTENT_LENGTH"]) ? (int)$_SERVER["CONTENT_LENGTH"] : 0;
if (empty($_FILES) && $length > 0) {
  http_response_code(413);
  echo json_encode(["node" => $node, "refused" => "post_max_size",
                    "limit" => ini_get("post_max_size"), "length" => $length]);
  exit;
}
$file = isset($_FILES["file"]) ? $_FILES["file"] : null;
if ($file === null || $file["error"] !== UPLOAD_ERR_OK) {
  $error = $file === null ? -1 : $file["error"];
  http_response_code($error === UPLOAD_ERR_INI_SIZE ? 413 : 400);
  echo json_encode(["node" => $node, "refused" =>
                    $error === UPLOAD_ERR_INI_SIZE ? "upload_max_filesize" : "error $error"]);
  exit;
}
$to = "/mnt/pydio-data/common/" . basename($file["name"]);
$tmp_dir = dirname($file["tmp_name"]);
if (!move_uploaded_file($file["tmp_name"], $to)) {
  http_response_code(500);
  echo json_encode(["node" => $node, "refused" => "move_uploaded_file"]);
  exit;
}
echo json_encode(["node" => $node, "size" => filesize($to), "sha256" => hash_file("sha256", $to),
                  "tmpDir" => $tmp_dir]);
