// The table of Query API actions: (service, action name) -> handler. Each family of actions
// registers itself from its own file (iam_users.cc, sts.cc, rds.cc, ...).
//
// A handler validates its parameters, authorizes, reads or updates the state, and writes the
// inside of `<ActionResult>` into `result` (leaving it empty for actions whose result is empty).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "api/context.h"
#include "api/errors.h"
#include "api/xml.h"

namespace iamdb::api {

using Handler = ApiResult<void> (*)(Context& ctx, XmlWriter& result);

class ActionTable {
 public:
  void add(std::string_view service, std::string_view action, Handler handler);
  Handler find(std::string_view service, std::string_view action) const;

 private:
  std::map<std::pair<std::string, std::string>, Handler, std::less<>> handlers_;
};

void register_iam_user_actions(ActionTable& table);
void register_iam_group_actions(ActionTable& table);
void register_iam_role_actions(ActionTable& table);
void register_iam_policy_actions(ActionTable& table);
void register_iam_simulate_actions(ActionTable& table);
void register_sts_actions(ActionTable& table);
void register_rds_actions(ActionTable& table);
void register_rds_session_actions(ActionTable& table);  // from register_rds_actions

// XML namespaces of the three services' responses.
inline constexpr std::string_view kIamXmlns = "https://iam.amazonaws.com/doc/2010-05-08/";
inline constexpr std::string_view kStsXmlns = "https://sts.amazonaws.com/doc/2011-06-15/";
inline constexpr std::string_view kRdsXmlns = "http://rds.amazonaws.com/doc/2014-10-31/";

}  // namespace iamdb::api
