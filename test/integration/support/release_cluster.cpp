#include "release_cluster.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

namespace pydio::test {

common::RunResult publish_release(SimNode& node, const std::string& archive) {
  return node.agentctl({"app", "publish", archive}, 300s);
}

std::string file_sha256(const std::string& path) {
  common::SystemRunner runner;
  const common::RunResult result = runner.run(common::Command({"sha256sum", path}, 120s));
  if (!result.succeeded()) return "";
  return "sha256:" + result.out.substr(0, result.out.find(' '));
}

nlohmann::json desired_document(SimNode& node) {
  return nlohmann::json::parse(node.read_file("/var/lib/pydio-agent/desired-state.json"), nullptr,
                               false);
}

ServedPage get_served(const std::string& url, const std::string& cookie) {
  std::vector<std::string> argv = {"curl", "-s", "--noproxy", "*", "-m", "10", "-D", "-", url};
  if (!cookie.empty()) argv.insert(argv.end(), {"-H", "Cookie: AjaXplorer=" + cookie});
  common::SystemRunner runner;
  const common::RunResult result = runner.run(common::Command(argv, 20s));
  ServedPage page;
  if (!result.succeeded()) return page;
  const auto end_of_headers = result.out.find("\r\n\r\n");
  if (end_of_headers == std::string::npos) return page;
  const std::string head = result.out.substr(0, end_of_headers);
  std::istringstream status_line(head);
  std::string http_version;
  status_line >> http_version >> page.code;
  std::string lower = head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string marker = "\r\nset-cookie: ajaxplorer=";
  if (const auto at = lower.find(marker); at != std::string::npos) {
    const auto start = at + marker.size();
    page.set_cookie = head.substr(start, head.find_first_of(";\r", start) - start);
  }
  page.body = nlohmann::json::parse(result.out.substr(end_of_headers + 4), nullptr, false);
  if (page.body.is_object()) {
    page.node = page.body.value("node", "");
    page.version = page.body.value("version", "");
  }
  return page;
}

bool wait_served_version(const std::string& url, const std::string& version_prefix,
                         std::chrono::seconds deadline) {
  std::string last;
  const bool served = eventually(
      [&] {
        const ServedPage page = get_served(url);
        last = std::to_string(page.code) + " " + page.version;
        return page.code == 200 && page.version.rfind(version_prefix, 0) == 0;
      },
      deadline);
  if (!served) std::cerr << url << " never served " << version_prefix << "; last: " << last << "\n";
  return served;
}

ClientLoop::ClientLoop(std::string url, int clients) : url_(std::move(url)) {
  for (int i = 0; i < clients; ++i) threads_.emplace_back([this, i] { run(i); });
}

ClientLoop::~ClientLoop() { stop(); }

void ClientLoop::stop() {
  stop_ = true;
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
}

void ClientLoop::run(int index) {
  std::string cookie;
  while (!stop_) {
    const ServedPage page = get_served(url_, cookie);
    ++requests_;
    if (cookie.empty() && !page.set_cookie.empty()) cookie = page.set_cookie;
    std::lock_guard<std::mutex> lock(mutex_);
    if (page.code == 200 && !page.node.empty()) {
      ++answered_by_[page.node + " " + page.version.substr(0, page.version.find("__"))];
      continue;
    }
    ++errors_;
    ++errors_by_node_[cookie.empty() ? "-" : cookie.substr(0, cookie.find('~'))];
    if (error_samples_.size() < 20)
      error_samples_.push_back("client " + std::to_string(index) + ": HTTP " +
                               std::to_string(page.code) + " " + page.body.dump().substr(0, 200));
  }
}

std::vector<std::string> ClientLoop::error_samples() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_samples_;
}

std::map<std::string, int> ClientLoop::errors_by_node() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return errors_by_node_;
}

std::map<std::string, int> ClientLoop::answered_by() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return answered_by_;
}

}  // namespace pydio::test
