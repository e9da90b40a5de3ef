// Building a new installation's first state.
#include "iam/bootstrap.h"

#include "iam/arn.h"
#include "iam/aws_managed.h"
#include "iam/documents.h"
#include "iam/ids.h"

namespace iamdb::iam {

Result<void> add_aws_managed_policies(State& state, SystemTime now) {
  for (const AwsManagedPolicy& p : aws_managed_policies()) {
    const std::string arn = std::string(kAwsManagedPolicyPrefix) + std::string(p.name);
    if (state.policies.contains(arn)) continue;
    auto doc = make_document(std::string(p.document), DocumentKind::kIdentity);
    if (!doc) return fail("built-in policy ", p.name, " does not compile: ", doc.error().message);
    ManagedPolicy mp;
    mp.arn = arn;
    mp.name = std::string(p.name);
    mp.id = std::string(p.id);
    mp.description = std::string(p.description);
    mp.created = mp.updated = now;
    mp.default_version = "v1";
    mp.versions.push_back({"v1", std::move(*doc), now});
    mp.next_version = 2;
    mp.aws_managed = true;
    state.policies.emplace(arn, std::make_shared<const ManagedPolicy>(std::move(mp)));
  }
  return {};
}

Result<Bootstrap> bootstrap_state(const Account& account, std::string_view admin_user, SystemTime now) {
  Bootstrap b;
  b.state.account = account;
  if (auto ok = add_aws_managed_policies(b.state, now); !ok) return std::unexpected(ok.error());
  User admin;
  admin.name = std::string(admin_user);
  admin.id = new_unique_id(kUserIdPrefix);
  admin.created = now;
  admin.attached.push_back(std::string(kAwsManagedPolicyPrefix) + "AdministratorAccess");
  const std::string key = key_of(admin.name);
  b.state.users.emplace(key, std::make_shared<const User>(std::move(admin)));
  b.admin_key.id = new_access_key_id(false);
  b.admin_key.user = std::string(admin_user);
  b.admin_key.secret = new_secret_access_key();
  b.admin_key.created = now;
  b.state.access_keys.emplace(b.admin_key.id, std::make_shared<const AccessKey>(b.admin_key));
  return b;
}

}  // namespace iamdb::iam
