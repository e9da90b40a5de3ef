// Prometheus metrics: counters and histograms with labels, rendered in the text exposition
// format for `/metrics`. Connection-attempt counters are named after RDS's CloudWatch metrics
// (`IamDbAuthConnectionRequests` -> `iamdb_iam_db_auth_connection_requests_total`).
//
// Thread-safety: every method may be called from any thread (one mutex; updates come from the
// audit thread and the control plane, not from the data plane's hot path).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "audit/event.h"

namespace iamdb::audit {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  Metrics();

  void add(const std::string& name, const Labels& labels, double value = 1);
  void set(const std::string& name, const Labels& labels, double value);
  void observe(const std::string& name, const Labels& labels, double seconds);

  // Counts one audit event under the metrics it belongs to.
  void count(const Event& e);

  std::string render() const;

 private:
  struct Family {
    std::string type;  // counter, gauge, histogram
    std::string help;
    std::map<Labels, double> values;                // counter, gauge
    std::map<Labels, std::vector<uint64_t>> buckets;  // histogram: one count per bound + inf
    std::map<Labels, double> sums;
  };
  void declare(const std::string& name, const std::string& type, const std::string& help);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

// Histogram bucket upper bounds in seconds, shared by every histogram.
extern const std::vector<double> kLatencyBuckets;

}  // namespace iamdb::audit
