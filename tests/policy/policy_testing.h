// Helpers that keep the policy tests readable as tables: compile documents, describe a caller
// by its ARN, write context keys as "key=value" or "key=[a,b]", and run one evaluation row.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "policy/context.h"
#include "policy/evaluate.h"
#include "policy/policy.h"

namespace iamdb::policy::testing {

inline constexpr const char* kAccount = "123456789012";
inline constexpr const char* kAlice = "arn:aws:iam::123456789012:user/alice";
inline constexpr const char* kDbi = "db-12ABC34DEFG5HIJ6KLMNOP78QR";
// rds-db:connect resource for `user` on the instance above.
inline std::string dbuser(std::string_view user, std::string_view dbi = kDbi, std::string_view region = "us-east-2",
                          std::string_view account = kAccount) {
  return "arn:aws:rds-db:" + std::string(region) + ":" + std::string(account) + ":dbuser:" + std::string(dbi) + "/" +
         std::string(user);
}

inline std::shared_ptr<const Policy> must_compile(std::string_view json, PolicyKind kind = PolicyKind::kIdentity) {
  auto p = Policy::compile(json, {kind, 10240});
  if (!p) {
    ADD_FAILURE() << "policy did not compile: " << p.error().message << "\n" << json;
    return nullptr;
  }
  return *p;
}

// A one-statement identity policy.
inline std::string allow(std::string_view action, std::string_view resource, std::string_view condition = "") {
  std::string s = R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":")" + std::string(action) +
                  R"(","Resource":")" + std::string(resource) + "\"";
  if (!condition.empty()) s += ",\"Condition\":" + std::string(condition);
  return s + "}}";
}
inline std::string deny(std::string_view action, std::string_view resource, std::string_view condition = "") {
  std::string s = allow(action, resource, condition);
  s.replace(s.find("Allow"), 5, "Deny");
  return s;
}

// Owns everything a Request borrows.
class RequestBuilder {
 public:
  // `caller`: an IAM ARN (user, role session, account root), "service:NAME", "federated:NAME"
  // or "anonymous". `context`: "key=value" (single-valued) or "key=[a,b,...]" (multi-valued).
  RequestBuilder(std::string action, std::string resource, std::string caller,
                 const std::vector<std::string>& context) {
    action_ = std::move(action);
    resource_ = std::move(resource);
    caller_ = std::move(caller);
    request_.action = action_;
    request_.resource = resource_;
    std::string_view c = caller_;
    if (c.starts_with("service:")) {
      request_.principal = {PrincipalType::kService, c.substr(8), {}, {}};
    } else if (c.starts_with("federated:")) {
      request_.principal = {PrincipalType::kFederated, c.substr(10), {}, {}};
    } else if (c == "anonymous") {
      request_.principal = {PrincipalType::kAnonymous, {}, {}, {}};
    } else {
      request_.principal.type = PrincipalType::kAws;
      request_.principal.arn = c;
      // arn:aws:SERVICE::ACCOUNT:...
      const size_t a = c.find("::") + 2;
      request_.principal.account = c.substr(a, c.find(':', a) - a);
      if (const size_t at = c.find(":assumed-role/"); at != std::string_view::npos) {
        const std::string_view rest = c.substr(at + 14);
        role_arn_ = "arn:aws:iam::" + std::string(request_.principal.account) + ":role/" +
                    std::string(rest.substr(0, rest.find('/')));
        request_.principal.role_arn = role_arn_;
      }
    }
    for (const std::string& entry : context) {
      const size_t eq = entry.find('=');
      keys_.push_back(entry.substr(0, eq));
      const std::string value = entry.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '[' && value.back() == ']') {
        auto& strings = list_strings_.emplace_back();
        const std::string inner = value.substr(1, value.size() - 2);
        size_t start = 0;
        while (!inner.empty()) {
          const size_t comma = inner.find(',', start);
          strings.push_back(inner.substr(start, comma - start));
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        auto& views = list_views_.emplace_back(strings.begin(), strings.end());
        request_.context.set_list(keys_.back(), views);
      } else {
        values_.push_back(value);
        request_.context.set(keys_.back(), values_.back());
      }
    }
  }
  RequestBuilder(const RequestBuilder&) = delete;

  const Request& request() const { return request_; }

 private:
  std::string action_, resource_, caller_, role_arn_;
  std::deque<std::string> keys_, values_;
  std::deque<std::vector<std::string>> list_strings_;
  std::deque<std::vector<std::string_view>> list_views_;
  Request request_;
};

// "name#N" for each deciding statement (N from 1), joined by ",".
inline std::string deciding_names(const Evaluation& e) {
  std::string out;
  for (const StatementRef& ref : e.deciding()) {
    if (!out.empty()) out += ",";
    out += ref.policy->name + "#" + std::to_string(ref.index + 1);
  }
  return out;
}

}  // namespace iamdb::policy::testing
