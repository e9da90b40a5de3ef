// Turning policy text into an `iam::Document`: parse, validate and compile with the policy
// engine. The API checks size limits (they depend on where a document goes) before calling
// this; the store calls it when loading documents that were accepted before.
#pragma once

#include <string>

#include "common/error.h"
#include "iam/model.h"

namespace iamdb::iam {

enum class DocumentKind {
  kIdentity,  // user, group, role, managed, boundary and session policies
  kTrust,     // a role's AssumeRolePolicyDocument (a resource policy with Principal)
};

// The error message is AWS's MalformedPolicyDocument text.
Result<Document> make_document(std::string text, DocumentKind kind);

}  // namespace iamdb::iam
