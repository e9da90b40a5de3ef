// Counters, gauges and histograms, and their Prometheus text rendering.
#include "audit/metrics.h"

#include <cstdio>

namespace iamdb::audit {

const std::vector<double> kLatencyBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                             0.01,   0.025,   0.05,   0.1,   0.25,   1};

namespace {

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string label_text(const Labels& labels, const std::string& extra = {}) {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=\"" + escape_label(v) + "\"";
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? out : "{" + out + "}";
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

}  // namespace

Metrics::Metrics() {
  declare("iamdb_iam_db_auth_connection_requests_total", "counter",
          "IAM database authentication attempts (IamDbAuthConnectionRequests), by outcome and reason.");
  declare("iamdb_iam_db_auth_connection_success_total", "counter",
          "Successful IAM authentications (IamDbAuthConnectionSuccess).");
  declare("iamdb_iam_db_auth_connection_failure_total", "counter",
          "Failed IAM authentications (IamDbAuthConnectionFailure), by reason.");
  declare("iamdb_iam_db_auth_connection_failure_invalid_token_total", "counter",
          "Failures for an invalid, expired or unverifiable token (IamDbAuthConnectionFailureInvalidToken).");
  declare("iamdb_iam_db_auth_connection_failure_insufficient_permissions_total", "counter",
          "Failures because policy did not allow rds-db:connect "
          "(IamDbAuthConnectionFailureInsufficientPermissions).");
  declare("iamdb_iam_db_auth_connection_failure_server_error_total", "counter",
          "Failures because something needed for the decision was unavailable "
          "(IamDbAuthConnectionFailureServerError).");
  declare("iamdb_verify_duration_seconds", "histogram", "Time to decide one IAM authentication attempt.");
  declare("iamdb_api_requests_total", "counter", "Query API requests, by action and outcome.");
  declare("iamdb_api_request_duration_seconds", "histogram", "Query API request latency, by action.");
  declare("iamdb_gateway_connections", "gauge", "Client connections of the gateways, in every stage.");
  declare("iamdb_gateway_clients", "gauge", "Gateway sessions ready for queries, by instance.");
  declare("iamdb_gateway_backend_connections", "gauge", "Gateway backend connections, by instance and state.");
  declare("iamdb_gateway_pool_waiting_clients", "gauge", "Clients waiting for a backend connection, by instance.");
  declare("iamdb_gateway_pool_hits_total", "counter", "Clients given an idle pooled backend connection.");
  declare("iamdb_gateway_pool_misses_total", "counter", "Clients for whom a backend connection was opened.");
  declare("iamdb_gateway_pool_wait_timeouts_total", "counter", "Clients refused after waiting for a backend (53300).");
  declare("iamdb_gateway_time_to_ready_seconds", "histogram",
          "Time from accepting a gateway client to ReadyForQuery (TLS, log-in, backend), by instance.");
  declare("iamdb_gateway_sessions_ended_total", "counter",
          "Gateway connections that ended, by instance and reason (refusals included).");
}

void Metrics::declare(const std::string& name, const std::string& type, const std::string& help) {
  Family& f = families_[name];
  f.type = type;
  f.help = help;
}

void Metrics::add(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  Family& f = families_[name];
  if (f.type.empty()) f.type = "counter";
  f.values[labels] += value;
}

void Metrics::set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  Family& f = families_[name];
  if (f.type.empty()) f.type = "gauge";
  f.values[labels] = value;
}

void Metrics::observe(const std::string& name, const Labels& labels, double seconds) {
  std::lock_guard lock(mu_);
  Family& f = families_[name];
  if (f.type.empty()) f.type = "histogram";
  auto& counts = f.buckets[labels];
  if (counts.empty()) counts.assign(kLatencyBuckets.size() + 1, 0);
  for (size_t i = 0; i < kLatencyBuckets.size(); ++i)
    if (seconds <= kLatencyBuckets[i]) ++counts[i];
  ++counts.back();
  f.sums[labels] += seconds;
}

void Metrics::count(const Event& e) {
  if (e.kind == Kind::kApi) {
    add("iamdb_api_requests_total", {{"action", e.action}, {"outcome", std::string(outcome_name(e.outcome))}});
    observe("iamdb_api_request_duration_seconds", {{"action", e.action}}, e.latency_ms / 1000.0);
    return;
  }
  if (e.kind == Kind::kSessionStart) {
    observe("iamdb_gateway_time_to_ready_seconds", {{"instance", e.instance}}, e.latency_ms / 1000.0);
    return;
  }
  if (e.kind == Kind::kSessionEnd) {
    add("iamdb_gateway_sessions_ended_total", {{"instance", e.instance}, {"reason", e.reason}});
    return;
  }
  if (e.kind != Kind::kConnect) return;
  const Labels instance = {{"instance", e.instance}};
  add("iamdb_iam_db_auth_connection_requests_total",
      {{"instance", e.instance}, {"outcome", std::string(outcome_name(e.outcome))}, {"reason", e.reason}});
  observe("iamdb_verify_duration_seconds", {{"via", e.via}}, e.latency_ms / 1000.0);
  if (e.outcome == Outcome::kAllowed) {
    add("iamdb_iam_db_auth_connection_success_total", instance);
    return;
  }
  add("iamdb_iam_db_auth_connection_failure_total", {{"instance", e.instance}, {"reason", e.reason}});
  if (e.outcome == Outcome::kError)
    add("iamdb_iam_db_auth_connection_failure_server_error_total", instance);
  else if (e.reason == "policy_implicit_deny" || e.reason == "policy_explicit_deny")
    add("iamdb_iam_db_auth_connection_failure_insufficient_permissions_total", instance);
  else
    add("iamdb_iam_db_auth_connection_failure_invalid_token_total", instance);
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n";
    for (const auto& [labels, v] : f.values) out += name + label_text(labels) + " " + number(v) + "\n";
    for (const auto& [labels, counts] : f.buckets) {
      for (size_t i = 0; i < kLatencyBuckets.size(); ++i)
        out += name + "_bucket" + label_text(labels, "le=\"" + number(kLatencyBuckets[i]) + "\"") + " " +
               std::to_string(counts[i]) + "\n";
      out += name + "_bucket" + label_text(labels, "le=\"+Inf\"") + " " + std::to_string(counts.back()) + "\n";
      out += name + "_sum" + label_text(labels) + " " + number(f.sums.at(labels)) + "\n";
      out += name + "_count" + label_text(labels) + " " + std::to_string(counts.back()) + "\n";
    }
  }
  return out;
}

}  // namespace iamdb::audit
