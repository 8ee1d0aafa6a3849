#pragma once
// A small Prometheus metrics registry: counter, gauge and histogram families with labels, and
// the text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/)
// for GET /metrics. Families are declared once (by name) and live as long as the registry, so
// call sites keep references. Label values must come from names the agent itself knows
// (resources, volumes, programs): never from request input, so the number of series is bounded.
//
// Thread-safe: each family guards its samples with its own mutex; declaring families is guarded
// by the registry's mutex. Rendering takes one family's lock at a time.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace pydio::common::metrics {

using LabelValues = std::vector<std::string>;

// What the families share: name, help, label names, and the rendering of its samples.
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}
  virtual ~Family() = default;
  const std::string& name() const { return name_; }
  // "# HELP", "# TYPE" and one line per sample; "" when the family has no sample yet.
  virtual std::string render() const = 0;

 protected:
  // `name{a="x",b="y"}`, with `extra` (e.g. le="0.5") appended to the labels.
  std::string series(const std::string& name, const LabelValues& values,
                     const std::string& extra = "") const;
  std::string header(const char* type) const;
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
};

// Monotonic: only add().
class Counter : public Family {
 public:
  using Family::Family;
  // REQUIRES: values.size() is the number of label names; amount >= 0.
  void add(const LabelValues& values, double amount = 1);
  std::string render() const override;

 private:
  mutable std::mutex mutex_;
  std::map<LabelValues, double> samples_;  // guarded by mutex_
};

class Gauge : public Family {
 public:
  // `stale_after` > 0: a sample not set for that long is no longer rendered (a value observed
  // only while this node did something, e.g. led, must not be shown for ever after).
  Gauge(std::string name, std::string help, std::vector<std::string> label_names,
        std::chrono::seconds stale_after = std::chrono::seconds(0))
      : Family(std::move(name), std::move(help), std::move(label_names)),
        stale_after_(stale_after) {}
  void set(const LabelValues& values, double value);
  std::string render() const override;

 private:
  struct Sample {
    double value = 0;
    std::chrono::steady_clock::time_point set_at;
  };
  const std::chrono::seconds stale_after_;
  mutable std::mutex mutex_;
  std::map<LabelValues, Sample> samples_;  // guarded by mutex_
};

class Histogram : public Family {
 public:
  // REQUIRES: `buckets` (upper bounds) ascending; +Inf is added by the renderer.
  Histogram(std::string name, std::string help, std::vector<std::string> label_names,
            std::vector<double> buckets);
  void observe(const LabelValues& values, double value);
  std::string render() const override;

 private:
  struct Sample {
    std::vector<std::uint64_t> counts;  // per bucket, not cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  const std::vector<double> buckets_;
  mutable std::mutex mutex_;
  std::map<LabelValues, Sample> samples_;  // guarded by mutex_
};

class Registry {
 public:
  // Declares a family, or returns the one declared under `name` before (the first declaration's
  // help and labels stay). REQUIRES: the name is not declared with another type.
  Counter& counter(const std::string& name, const std::string& help,
                   std::vector<std::string> label_names = {});
  Gauge& gauge(const std::string& name, const std::string& help,
               std::vector<std::string> label_names = {},
               std::chrono::seconds stale_after = std::chrono::seconds(0));
  Histogram& histogram(const std::string& name, const std::string& help,
                       std::vector<std::string> label_names, std::vector<double> buckets);
  // Every family with samples, in name order.
  std::string render() const;

 private:
  template <typename T, typename... Args>
  T& declare(const std::string& name, Args&&... args);
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Family>> families_;  // guarded by mutex_
};

// The process's registry: what the agent counts as it works (commands, actions, probes).
// Values the agent already holds (resource states, the verdict) are rendered at scrape time
// from a Registry of their own (agent/daemon/metrics_report.hpp).
Registry& process_registry();

// Bucket bounds in seconds, for durations from a millisecond to two minutes.
const std::vector<double>& duration_buckets();

// Text for the exposition format: label values escape \, " and newline; HELP escapes \ and
// newline; numbers in Go's float syntax (+Inf, -Inf, NaN).
std::string escape_label_value(const std::string& value);
std::string escape_help(const std::string& help);
std::string format_value(double value);

inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace pydio::common::metrics
