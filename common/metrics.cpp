#include "common/metrics.hpp"

#include <spdlog/fmt/fmt.h>

#include <cmath>
#include <stdexcept>

namespace pydio::common::metrics {

namespace {

// The text format escapes a backslash and a newline in HELP text and label values alike, and a
// double quote only inside a (quoted) label value.
std::string escape(const std::string& text, bool in_quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && in_quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string escape_label_value(const std::string& value) { return escape(value, true); }

std::string escape_help(const std::string& help) { return escape(help, false); }

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);  // shortest text that reads back as the same double
}

std::string Family::series(const std::string& name, const LabelValues& values,
                           const std::string& extra) const {
  std::string out = name;
  if (label_names_.empty() && extra.empty()) return out;
  out += '{';
  for (std::size_t i = 0; i < label_names_.size() && i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names_[i] + "=\"" + escape_label_value(values[i]) + '"';
  }
  if (!extra.empty()) {
    if (!label_names_.empty()) out += ',';
    out += extra;
  }
  out += '}';
  return out;
}

std::string Family::header(const char* type) const {
  return "# HELP " + name_ + " " + escape_help(help_) + "\n# TYPE " + name_ + " " + type + "\n";
}

void Counter::add(const LabelValues& values, double amount) {
  std::lock_guard<std::mutex> lock(mutex_);
  samples_[values] += amount;
}

std::string Counter::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (samples_.empty()) return "";
  std::string out = header("counter");
  for (const auto& [values, value] : samples_)
    out += series(name_, values) + " " + format_value(value) + "\n";
  return out;
}

void Gauge::set(const LabelValues& values, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  samples_[values] = Sample{value, std::chrono::steady_clock::now()};
}

std::string Gauge::render() const {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mutex_);
  std::string lines;
  for (const auto& [values, sample] : samples_) {
    if (stale_after_.count() > 0 && now - sample.set_at > stale_after_) continue;
    lines += series(name_, values) + " " + format_value(sample.value) + "\n";
  }
  return lines.empty() ? "" : header("gauge") + lines;
}

Histogram::Histogram(std::string name, std::string help, std::vector<std::string> label_names,
                     std::vector<double> buckets)
    : Family(std::move(name), std::move(help), std::move(label_names)),
      buckets_(std::move(buckets)) {}

void Histogram::observe(const LabelValues& values, double value) {
  std::lock_guard<std::mutex> lock(mutex_);
  Sample& sample = samples_[values];
  if (sample.counts.empty()) sample.counts.assign(buckets_.size(), 0);
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    if (value <= buckets_[i]) {
      ++sample.counts[i];
      break;
    }
  }
  ++sample.count;
  sample.sum += value;
}

std::string Histogram::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (samples_.empty()) return "";
  std::string out = header("histogram");
  for (const auto& [values, sample] : samples_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      cumulative += sample.counts[i];
      out += series(name_ + "_bucket", values, "le=\"" + format_value(buckets_[i]) + "\"") + " " +
             std::to_string(cumulative) + "\n";
    }
    out += series(name_ + "_bucket", values, "le=\"+Inf\"") + " " + std::to_string(sample.count) +
           "\n";
    out += series(name_ + "_sum", values) + " " + format_value(sample.sum) + "\n";
    out += series(name_ + "_count", values) + " " + std::to_string(sample.count) + "\n";
  }
  return out;
}

template <typename T, typename... Args>
T& Registry::declare(const std::string& name, Args&&... args) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = families_.find(name);
  if (found == families_.end())
    found = families_.emplace(name, std::make_unique<T>(name, std::forward<Args>(args)...)).first;
  auto* family = dynamic_cast<T*>(found->second.get());
  if (family == nullptr) throw std::logic_error("metric " + name + " declared with another type");
  return *family;
}

Counter& Registry::counter(const std::string& name, const std::string& help,
                           std::vector<std::string> label_names) {
  return declare<Counter>(name, help, std::move(label_names));
}

Gauge& Registry::gauge(const std::string& name, const std::string& help,
                       std::vector<std::string> label_names, std::chrono::seconds stale_after) {
  return declare<Gauge>(name, help, std::move(label_names), stale_after);
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               std::vector<std::string> label_names, std::vector<double> buckets) {
  return declare<Histogram>(name, help, std::move(label_names), std::move(buckets));
}

std::string Registry::render() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) out += family->render();
  return out;
}

Registry& process_registry() {
  static Registry registry;
  return registry;
}

const std::vector<double>& duration_buckets() {
  static const std::vector<double> buckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                              0.5,   1,     2.5,  5,     10,   30,  120};
  return buckets;
}

}  // namespace pydio::common::metrics
