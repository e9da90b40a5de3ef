// The canonical forms of AWS Signature Version 4: the exact bytes a request is reduced to before
// it is hashed and signed (AWS General Reference, "Create a canonical request for Signature
// Version 4" and "Create a string to sign").
//
// Pure functions of their arguments; they own nothing and may be called from any thread. The
// rules follow AWS's signing test suite (aws-c-auth `aws-signing-test-suite/v4`): the URI path is
// normalised (dot segments removed, empty segments collapsed) and URI-encoded once more, as every
// service but S3 expects; query names and values are decoded, re-encoded with RFC 3986 rules and
// sorted; header names are lower-cased, values trimmed with inner whitespace runs (including
// folded line breaks) reduced to one space, repeated headers joined with ','.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace iamdb::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kScopeTerminator = "aws4_request";
// SHA-256 of the empty string: the payload hash of a GET request and of every RDS auth token.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

// How the URI path becomes canonical. S3 signs the path exactly as sent (both false); every other
// service normalises it and encodes the already-encoded path once more ("double encoding").
struct PathRules {
  bool normalize = true;
  bool encode = true;
};

// `raw_path` is the path as it appears in the request target, before any percent-decoding. An
// empty path is "/". Normalisation follows botocore: "." and empty segments are dropped, ".."
// removes the previous segment, a trailing '/' is kept.
std::string canonical_uri(std::string_view raw_path, PathRules rules = {});

// The canonical query string of `raw_query` (the part after '?', without '#'): each name and value
// percent-decoded ('+' stays '+'), re-encoded, sorted by name then value and joined with '&'; a
// parameter without '=' has an empty value; empty parts are skipped. The parameter named
// `exclude`, if any, is left out (X-Amz-Signature when verifying a presigned request). nullopt
// when a '%' is not followed by two hex digits.
std::optional<std::string> canonical_query(std::string_view raw_query,
                                           std::string_view exclude = {});

// One header value in canonical form: trimmed, whitespace runs folded to a single space.
std::string canonical_header_value(std::string_view value);

struct CanonicalHeaders {
  std::string block;           // "name:value\n" for each signed header, sorted by name
  std::string signed_headers;  // "name1;name2;..."
};

// Signs every header of `headers` that has a name (one without cannot be sent).
CanonicalHeaders canonical_headers(const Headers& headers);
// Signs only the headers named in `names` (lower-case), as a verifier must: fails naming the first
// one that the request does not carry.
Result<CanonicalHeaders> canonical_headers(const Headers& headers,
                                           std::span<const std::string> names);

std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                              std::string_view canonical_query, const CanonicalHeaders& headers,
                              std::string_view payload_hash);

// "20150830/us-east-1/iam/aws4_request"
struct CredentialScope {
  std::string day;  // YYYYMMDD
  std::string region;
  std::string service;
  std::string to_string() const;
};

// "AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex SHA-256 of the canonical request>"
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

}  // namespace iamdb::sigv4
