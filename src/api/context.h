// Everything one Query API action sees: the request's parameters, the authenticated caller, a
// consistent snapshot taken when the request arrived, and the ways to act — authorize, read,
// change the state (through the registry), write the result.
//
// A Context lives for one request on one control-plane thread. Readers use `snapshot()`; a
// handler that changes state does so only inside `update`, which sees the latest state (not the
// request's snapshot) so that concurrent writers never lose each other's changes.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/errors.h"
#include "api/http.h"
#include "api/params.h"
#include "api/xml.h"
#include "common/clock.h"
#include "config/config.h"
#include "iam/authorize.h"
#include "iam/names.h"
#include "registry/registry.h"

namespace iamdb::api {

class SessionDirectory;

class Context {
 public:
  Context(const HttpRequest& http, const Params& params, std::string request_id,
          std::shared_ptr<const iam::Snapshot> snapshot, iam::Caller caller, const Clock& clock,
          registry::Registry& registry, const config::Config& config)
      : http_(http),
        params_(params),
        request_id_(std::move(request_id)),
        snapshot_(std::move(snapshot)),
        caller_(std::move(caller)),
        clock_(clock),
        registry_(registry),
        config_(config) {}

  const HttpRequest& http() const { return http_; }
  const Params& params() const { return params_; }
  const std::string& request_id() const { return request_id_; }
  const iam::Snapshot& snapshot() const { return *snapshot_; }
  const iam::State& state() const { return snapshot_->state(); }
  const iam::Caller& caller() const { return caller_; }
  const config::Config& config() const { return config_; }
  const std::string& account() const { return snapshot_->state().account.id; }
  SystemTime now() const { return clock_.now(); }

  // AccessDenied unless the caller's policies allow `action` on `resource`.
  ApiResult<void> authorize(std::string_view action, std::string_view resource,
                            std::span<const std::pair<std::string_view, std::string_view>> extra_keys = {});

  // Parameters. `required` fails with AWS's ValidationError wording; `name` also checks the rule.
  ApiResult<std::string> required(std::string_view param) const;
  std::optional<std::string> optional(std::string_view param) const;
  ApiResult<std::string> name(std::string_view param, const iam::TextRule& rule) const;
  ApiResult<std::optional<std::string>> optional_name(std::string_view param, const iam::TextRule& rule) const;
  ApiResult<std::string> path(std::string_view param = "Path") const;  // default "/"
  ApiResult<std::optional<long long>> integer(std::string_view param, long long min, long long max) const;
  ApiResult<std::optional<bool>> boolean(std::string_view param) const;
  // Lists in the Query protocol's encoding; `member` as in Params::list.
  ApiResult<iam::Tags> tags(std::string_view param = "Tags", std::string_view member = "member") const;
  ApiResult<std::vector<std::string>> list(std::string_view param, std::string_view member = "member") const;
  ApiResult<std::vector<std::map<std::string, std::string>>> struct_list(std::string_view param,
                                                                         std::string_view member = "member") const;

  // Marker/MaxItems pagination over a sorted sequence of keys.
  struct Page {
    std::string marker;  // start after this key ("" = from the beginning)
    size_t max_items = 100;
  };
  ApiResult<Page> page() const;

  std::optional<registry::Registry::KeyUse> last_key_use(std::string_view access_key_id) const {
    return registry_.last_key_use(access_key_id);
  }

  // Runs `change` on a copy of the latest state and commits it.
  ApiResult<void> update(const std::function<ApiResult<void>(iam::State&)>& change);

  // The gateways' live sessions, or nullptr when the server runs none.
  SessionDirectory* sessions() const { return sessions_; }
  void set_sessions(SessionDirectory* sessions) { sessions_ = sessions; }

  // Words added to this request's audit event (e.g. what was created); never a secret.
  std::string audit_detail;

 private:
  const HttpRequest& http_;
  const Params& params_;
  std::string request_id_;
  std::shared_ptr<const iam::Snapshot> snapshot_;
  iam::Caller caller_;
  const Clock& clock_;
  registry::Registry& registry_;
  const config::Config& config_;
  SessionDirectory* sessions_ = nullptr;
};

// Writes a page of `items` (sorted by key) into `xml` under `<Element><member>...</member></Element>`
// and the `IsTruncated`/`Marker` elements, calling `write(xml, item)` for each.
template <class Range, class KeyOf, class Filter, class Write>
void write_page(XmlWriter& xml, const Context::Page& page, std::string_view element, const Range& items, KeyOf key_of,
                Filter keep, Write write) {
  xml.open(element);
  size_t n = 0;
  std::string last;
  bool truncated = false;
  for (const auto& item : items) {
    if (!keep(item)) continue;
    const std::string key = key_of(item);
    if (!page.marker.empty() && key <= page.marker) continue;
    if (n == page.max_items) {
      truncated = true;
      break;
    }
    xml.open("member");
    write(xml, item);
    xml.close();
    last = key;
    ++n;
  }
  xml.close();
  xml.leaf_bool("IsTruncated", truncated);
  if (truncated) xml.leaf("Marker", last);
}

}  // namespace iamdb::api
