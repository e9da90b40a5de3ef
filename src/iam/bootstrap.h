// The state of a new installation (`iamdb init`): the account, the AWS-managed policies, and
// a first administrator user with AdministratorAccess and one access key.
#pragma once

#include <string_view>

#include "common/error.h"
#include "iam/state.h"

namespace iamdb::iam {

// Adds the built-in AWS-managed policies that `state` lacks (an upgrade may bring new ones).
Result<void> add_aws_managed_policies(State& state, SystemTime now);

struct Bootstrap {
  State state;
  AccessKey admin_key;
};

Result<Bootstrap> bootstrap_state(const Account& account, std::string_view admin_user, SystemTime now);

}  // namespace iamdb::iam
