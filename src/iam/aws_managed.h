// AWS-managed policies that iamdb provides under their real ARNs and ids
// (arn:aws:iam::aws:policy/NAME), with the meaning their namesakes have over the APIs iamdb
// serves. They are read-only: no new versions, no deletion.
#pragma once

#include <string_view>
#include <vector>

namespace iamdb::iam {

struct AwsManagedPolicy {
  std::string_view name;
  std::string_view id;
  std::string_view description;
  std::string_view document;
};

const std::vector<AwsManagedPolicy>& aws_managed_policies();

}  // namespace iamdb::iam
