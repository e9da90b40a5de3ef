// Compiling policy text into documents.
#include "iam/documents.h"

#include <limits>

namespace iamdb::iam {

Result<Document> make_document(std::string text, DocumentKind kind) {
  policy::ParseOptions options;
  options.kind = kind == DocumentKind::kTrust ? policy::PolicyKind::kTrust : policy::PolicyKind::kIdentity;
  // Callers check quotas where they depend on the destination; here only the engine's own
  // ceiling on raw bytes applies.
  options.max_size = std::numeric_limits<size_t>::max();
  auto compiled = policy::Policy::compile(text, options);
  if (!compiled) return std::unexpected(compiled.error());
  return Document{std::move(text), std::move(*compiled)};
}

}  // namespace iamdb::iam
