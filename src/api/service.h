// The Query API service: `handle(HttpRequest) -> HttpResponse` for everything the control
// plane's HTTP listener receives — the IAM, STS and RDS Query APIs (AWS's protocol: form-encoded
// requests signed with SigV4, XML responses and errors in AWS's shapes), `/healthz` and
// `/metrics`.
//
// Every API request is authenticated (SigV4 header or presigned query, verified against the
// snapshot's keys), routed by its credential scope's service and `Action`, authorized by the
// policy engine inside the handler, and recorded as an audit event.
//
// Thread-safety: `handle` may run on several threads at once; writes serialize in the registry.
#pragma once

#include "api/actions.h"
#include "api/http.h"
#include "api/sessions.h"
#include "audit/metrics.h"
#include "audit/pipeline.h"
#include "common/clock.h"
#include "config/config.h"
#include "registry/registry.h"

namespace iamdb::api {

class Service {
 public:
  Service(registry::Registry& registry, const config::Config& config, const Clock& clock, audit::Pipeline& audit,
          audit::Metrics& metrics);

  HttpResponse handle(HttpRequest&& request);
  // The gateways' sessions, for DescribeDBSessions and KillDBSessions; must outlive the service.
  void set_sessions(SessionDirectory* sessions) { sessions_ = sessions; }

 private:
  HttpResponse handle_api(const HttpRequest& request, audit::Event& event);

  registry::Registry& registry_;
  const config::Config& config_;
  const Clock& clock_;
  audit::Pipeline& audit_;
  audit::Metrics& metrics_;
  ActionTable actions_;
  SessionDirectory* sessions_ = nullptr;
};

}  // namespace iamdb::api
