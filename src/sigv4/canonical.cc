// SigV4 canonical request and string to sign.
#include "sigv4/canonical.h"

#include <algorithm>
#include <map>
#include <utility>

#include "common/encoding.h"
#include "common/strings.h"
#include "crypto/digest.h"

namespace iamdb::sigv4 {
namespace {

constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// botocore's remove_dot_segments: keeps a leading '/', and a trailing '/' when segments remain.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  for (std::string_view segment : split(path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(segment);
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i) out.push_back('/');
    out.append(segments[i]);
  }
  if (!segments.empty() && path.back() == '/') out.push_back('/');
  return out;
}

}  // namespace

std::string canonical_uri(std::string_view raw_path, PathRules rules) {
  if (raw_path.empty()) raw_path = "/";
  const std::string path = rules.normalize ? normalize_path(raw_path) : std::string(raw_path);
  return rules.encode ? uri_encode(path, /*keep_slash=*/true) : path;
}

std::optional<std::string> canonical_query(std::string_view raw_query, std::string_view exclude) {
  std::vector<std::pair<std::string, std::string>> params;
  for (std::string_view part : split(raw_query, '&')) {
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    auto name = percent_decode(part.substr(0, eq));
    auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                              : percent_decode(part.substr(eq + 1));
    if (!name || !value) return std::nullopt;
    if (!exclude.empty() && *name == exclude) continue;
    params.emplace_back(uri_encode(*name), uri_encode(*value));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

std::string canonical_header_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

namespace {

CanonicalHeaders assemble(const std::map<std::string, std::string>& by_name) {
  CanonicalHeaders out;
  for (const auto& [name, value] : by_name) {
    out.block.append(name).append(":").append(value).append("\n");
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers.append(name);
  }
  return out;
}

void add_value(std::map<std::string, std::string>& by_name, const std::string& name,
               std::string_view value) {
  auto [it, inserted] = by_name.try_emplace(name);
  if (!inserted) it->second.push_back(',');
  it->second.append(canonical_header_value(value));
}

}  // namespace

CanonicalHeaders canonical_headers(const Headers& headers) {
  std::map<std::string, std::string> by_name;
  for (const Header& h : headers) {
    // A header without a name cannot be sent, so it is not signed either.
    if (std::string name = to_lower(trim(h.name)); !name.empty()) add_value(by_name, name, h.value);
  }
  return assemble(by_name);
}

Result<CanonicalHeaders> canonical_headers(const Headers& headers,
                                           std::span<const std::string> names) {
  std::map<std::string, std::string> by_name;
  for (const std::string& name : names) {
    bool found = false;
    for (const Header& h : headers) {
      if (!iequals(trim(h.name), name)) continue;
      add_value(by_name, name, h.value);
      found = true;
    }
    if (!found) return fail("signed header '", name, "' is not present in the request");
  }
  return assemble(by_name);
}

std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                              std::string_view canonical_query, const CanonicalHeaders& headers,
                              std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + canonical_uri.size() + canonical_query.size() + headers.block.size() +
              headers.signed_headers.size() + payload_hash.size() + 8);
  out.append(method).append("\n");
  out.append(canonical_uri).append("\n");
  out.append(canonical_query).append("\n");
  out.append(headers.block).append("\n");
  out.append(headers.signed_headers).append("\n");
  out.append(payload_hash);
  return out;
}

std::string CredentialScope::to_string() const {
  std::string out;
  out.reserve(day.size() + region.size() + service.size() + kScopeTerminator.size() + 3);
  out.append(day).append("/").append(region).append("/").append(service).append("/");
  out.append(kScopeTerminator);
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  std::string out;
  out.reserve(kAlgorithm.size() + amz_date.size() + scope.size() + 64 + 3);
  out.append(kAlgorithm).append("\n");
  out.append(amz_date).append("\n");
  out.append(scope).append("\n");
  out.append(crypto::sha256_hex(canonical_request));
  return out;
}

}  // namespace iamdb::sigv4
