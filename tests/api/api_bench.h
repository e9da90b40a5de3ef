// A Query API test bench: the real `api::Service` over a real `SqliteStore` in a temporary
// directory, bootstrapped as `iamdb init` does (account, AWS-managed policies, user "admin" with
// AdministratorAccess and an access key), a manual clock, and requests form-encoded and signed
// with SigV4 as the AWS CLI sends them. Replies are parsed with Boost.PropertyTree, so tests read
// elements by path ("CreateGroupResult.Group.GroupName").
//
// One bench per test; not thread-safe. `reload()` opens a second registry over the same store,
// which is what a restarted server would see.
#pragma once

#include <gtest/gtest.h>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "api/service.h"
#include "audit/metrics.h"
#include "audit/pipeline.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/time.h"
#include "config/config.h"
#include "crypto/aead.h"
#include "iam/bootstrap.h"
#include "registry/registry.h"
#include "sigv4/signer.h"
#include "store/sqlite/sqlite_store.h"
#include "support/temp_dir.h"

namespace iamdb::testing {

using Params = std::vector<std::pair<std::string, std::string>>;

struct ApiReply {
  int status = 0;
  std::string body;
  boost::property_tree::ptree doc;  // the whole response document

  // The error's <Code>, or "" for a success.
  std::string code() const { return doc.get<std::string>("ErrorResponse.Error.Code", ""); }
  std::string message() const { return doc.get<std::string>("ErrorResponse.Error.Message", ""); }
  // The <ActionResult> element (empty for errors and empty results).
  const boost::property_tree::ptree& result() const {
    static const boost::property_tree::ptree kEmpty;
    if (doc.empty()) return kEmpty;
    const auto& response = doc.front().second;
    for (const auto& [name, child] : response)
      if (name.ends_with("Result")) return child;
    return kEmpty;
  }
  std::string get(const std::string& path) const { return result().get<std::string>(path, ""); }
  // The text of each <member> of the list at `path`, or of its `field` when given.
  std::vector<std::string> list(const std::string& path, const std::string& field = "") const {
    std::vector<std::string> out;
    const auto list = result().get_child_optional(path);
    if (!list) return out;
    for (const auto& [name, member] : *list)
      if (name == "member") out.push_back(field.empty() ? member.data() : member.get<std::string>(field, ""));
    return out;
  }
  bool ok() const { return status == 200; }
};

inline std::ostream& operator<<(std::ostream& os, const ApiReply& r) { return os << r.status << " " << r.body; }

class ApiBench {
 public:
  ApiBench() : clock(*parse_iso8601("2026-06-15T08:30:07Z")) {
    config_.data_dir = dir_.path();
    config_.account_id = "123456789012";
    const crypto::AeadKey key = crypto::generate_key();
    auto store = store::SqliteStore::open(dir_.path() / "iamdb.db", key);
    if (!store) throw std::runtime_error(store.error().message);
    store_ = std::move(*store);
    const iam::Account account{config_.account_id, config_.region};
    auto boot = iam::bootstrap_state(account, "admin", clock.now());
    if (!boot || !store_->initialize(account) || !store_->commit(iam::State{}, boot->state))
      throw std::runtime_error("cannot bootstrap the test store");
    admin_ = {boot->admin_key.id, boot->admin_key.secret, ""};
    auto registry = registry::Registry::open(*store_);
    if (!registry) throw std::runtime_error(registry.error().message);
    registry_ = std::move(*registry);
    pipeline_.start();
    service_ = std::make_unique<api::Service>(*registry_, config_, clock, pipeline_, metrics_);
  }
  ~ApiBench() { pipeline_.stop(); }

  // Sends `action` with `params` to `service` ("iam", "sts") signed with `credentials`.
  ApiReply call(const sigv4::Credentials& credentials, const std::string& action, const Params& params = {},
                const std::string& service = "iam") {
    std::string body = "Action=" + uri_encode(action) + "&Version=" + (service == "sts" ? "2011-06-15" : "2010-05-08");
    for (const auto& [k, v] : params) body += "&" + uri_encode(k) + "=" + uri_encode(v);
    sigv4::Request signed_request;
    signed_request.method = "POST";
    signed_request.headers = {{"Host", "127.0.0.1:8750"},
                              {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    signed_request.body = body;
    sigv4::SigningParams signing{config_.region, service, clock.now(), {}, false, true};
    if (!sigv4::sign(signed_request, credentials, signing)) throw std::runtime_error("cannot sign");
    api::HttpRequest http;
    http.method = "POST";
    http.target = "/";
    for (const auto& h : signed_request.headers) http.headers.emplace_back(h.name, h.value);
    http.body = std::move(body);
    http.remote_address = "127.0.0.1";
    const api::HttpResponse response = service_->handle(std::move(http));
    ApiReply reply;
    reply.status = response.status;
    reply.body = response.body;
    std::istringstream in(response.body);
    boost::property_tree::read_xml(in, reply.doc);
    return reply;
  }
  ApiReply admin(const std::string& action, const Params& params = {}) { return call(admin_, action, params); }

  // A new user with an access key; its credentials.
  sigv4::Credentials user_with_key(const std::string& name) {
    expect_ok(admin("CreateUser", {{"UserName", name}}));
    const ApiReply key = expect_ok(admin("CreateAccessKey", {{"UserName", name}}));
    return {key.get("AccessKey.AccessKeyId"), key.get("AccessKey.SecretAccessKey"), ""};
  }

  static const ApiReply& expect_ok(const ApiReply& r) {
    if (!r.ok()) throw std::runtime_error("request failed: " + r.body);
    return r;
  }

  // The state as a restarted server would load it from the store.
  iam::State reload() {
    auto state = store_->load();
    if (!state) throw std::runtime_error(state.error().message);
    return std::move(*state);
  }

  const iam::Snapshot& snapshot() { return *(snapshot_ = registry_->snapshot()); }
  config::Config& config() { return config_; }
  const sigv4::Credentials& admin_credentials() const { return admin_; }

  ManualClock clock;

 private:
  TempDir dir_;
  config::Config config_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<registry::Registry> registry_;
  sigv4::Credentials admin_;
  audit::Metrics metrics_;
  audit::Pipeline pipeline_{std::nullopt, nullptr, metrics_, [](const std::string&) {}};
  std::unique_ptr<api::Service> service_;
  std::shared_ptr<const iam::Snapshot> snapshot_;
};

// One request an action must refuse, for table-driven tests: the AWS error code and, when given,
// the exact message.
struct Refusal {
  const char* name;
  Params params;
  const char* code;
  const char* message = nullptr;
};

inline void expect_refusals(ApiBench& bench, const std::string& action, std::initializer_list<Refusal> cases) {
  for (const Refusal& c : cases) {
    const ApiReply r = bench.admin(action, c.params);
    EXPECT_EQ(r.code(), c.code) << c.name << ": " << r;
    if (c.message) {
      EXPECT_EQ(r.message(), c.message) << c.name;
    }
  }
}

// "arn:aws:iam::123456789012:policy/NAME"
inline std::string local_policy_arn(const std::string& name) { return "arn:aws:iam::123456789012:policy/" + name; }

// An identity policy allowing `action` on `resource`, padded with a Sid to at least `size`
// characters as IAM counts them (white space aside).
inline std::string allow_policy(const std::string& action, const std::string& resource = "*", size_t size = 0) {
  const std::string head = R"({"Version":"2012-10-17","Statement":[{"Sid":")";
  const std::string tail = R"(","Effect":"Allow","Action":")" + action + R"(","Resource":")" + resource + R"("}]})";
  std::string sid = "S";
  if (head.size() + sid.size() + tail.size() < size) sid.append(size - head.size() - sid.size() - tail.size(), 'x');
  return head + sid + tail;
}

inline std::string trust_policy_for(const std::string& principal_arn) {
  return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":")" + principal_arn +
         R"("},"Action":"sts:AssumeRole"}]})";
}

}  // namespace iamdb::testing
