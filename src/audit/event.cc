// Audit events to and from JSON.
#include "audit/event.h"

#include <nlohmann/json.hpp>

#include "common/time.h"

namespace iamdb::audit {

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::kConnect: return "connect";
    case Kind::kApi: return "api";
    case Kind::kSessionStart: return "session_start";
    case Kind::kSessionEnd: return "session_end";
  }
  return "?";
}

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::kAllowed: return "allowed";
    case Outcome::kDenied: return "denied";
    case Outcome::kError: return "error";
  }
  return "?";
}

std::optional<Kind> parse_kind(std::string_view s) {
  for (Kind k : {Kind::kConnect, Kind::kApi, Kind::kSessionStart, Kind::kSessionEnd})
    if (kind_name(k) == s) return k;
  return std::nullopt;
}

std::optional<Outcome> parse_outcome(std::string_view s) {
  for (Outcome o : {Outcome::kAllowed, Outcome::kDenied, Outcome::kError})
    if (outcome_name(o) == s) return o;
  return std::nullopt;
}

std::string to_json_line(const Event& e) {
  nlohmann::ordered_json j;
  j["time"] = format_iso8601_millis(e.time);
  j["kind"] = kind_name(e.kind);
  j["request_id"] = e.request_id;
  j["action"] = e.action;
  j["outcome"] = outcome_name(e.outcome);
  j["reason"] = e.reason;
  const auto put = [&j](const char* key, const std::string& value) {
    if (!value.empty()) j[key] = value;
  };
  put("principal", e.principal_arn);
  put("access_key_id", e.access_key_id);
  put("session_name", e.session_name);
  put("source", e.source_address);
  put("instance", e.instance);
  put("engine", e.engine);
  put("db_user", e.db_user);
  put("via", e.via);
  put("detail", e.detail);
  put("decided_by", e.decided_by);
  j["latency_ms"] = e.latency_ms;
  if (e.duration_seconds) j["duration_seconds"] = *e.duration_seconds;
  if (e.bytes_from_client) j["bytes_from_client"] = *e.bytes_from_client;
  if (e.bytes_to_client) j["bytes_to_client"] = *e.bytes_to_client;
  // Replace invalid UTF-8 (a database user name is whatever the client sent) instead of failing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<Event> from_json_line(std::string_view line) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  Event e;
  const auto str = [&j](const char* key) -> std::string {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const auto time = parse_iso8601(str("time"));
  const auto kind = parse_kind(str("kind"));
  const auto outcome = parse_outcome(str("outcome"));
  if (!time || !kind || !outcome) return std::nullopt;
  e.time = *time;
  e.kind = *kind;
  e.outcome = *outcome;
  e.request_id = str("request_id");
  e.action = str("action");
  e.reason = str("reason");
  e.principal_arn = str("principal");
  e.access_key_id = str("access_key_id");
  e.session_name = str("session_name");
  e.source_address = str("source");
  e.instance = str("instance");
  e.engine = str("engine");
  e.db_user = str("db_user");
  e.via = str("via");
  e.detail = str("detail");
  e.decided_by = str("decided_by");
  if (auto it = j.find("latency_ms"); it != j.end() && it->is_number()) e.latency_ms = it->get<double>();
  if (auto it = j.find("duration_seconds"); it != j.end() && it->is_number()) e.duration_seconds = it->get<double>();
  if (auto it = j.find("bytes_from_client"); it != j.end() && it->is_number_unsigned())
    e.bytes_from_client = it->get<uint64_t>();
  if (auto it = j.find("bytes_to_client"); it != j.end() && it->is_number_unsigned())
    e.bytes_to_client = it->get<uint64_t>();
  return e;
}

}  // namespace iamdb::audit
