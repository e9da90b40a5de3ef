// How far this codec agrees with PostgreSQL's SASLprep (RFC 4013, a stringprep profile of
// RFC 3454) of a SCRAM password. PostgreSQL (src/common/saslprep.c) leaves ASCII untouched;
// otherwise it decodes UTF-8, maps non-ASCII spaces to U+0020 and some characters to nothing,
// normalises to NFKC, and refuses prohibited, unassigned and badly mixed bidirectional text.
// When the string is not UTF-8 or is refused, both the server (for the stored verifier) and
// libpq (for the proof) fall back to the raw bytes.
//
// This codec always hashes the raw bytes, which is exactly PostgreSQL's result for:
//   - ASCII passwords (the whole fast path, control characters included);
//   - passwords that are not valid UTF-8 (PostgreSQL's own fallback);
//   - ASCII mixed with U+00C0-U+00FF, Latin-1's letters and its signs U+00D7 and U+00F7
//     (NFKC-stable, never mapped, prohibited or right-to-left, and composing with nothing, so
//     every SASLprep step leaves them as they are; checked against PostgreSQL 15's verifiers).
// For any other non-ASCII password PostgreSQL may change the string (for example U+00A0 becomes
// a space, "e" + U+0301 becomes U+00E9), and this codec does not implement the mapping,
// normalisation and prohibition tables: such a password works only if SASLprep would leave it
// unchanged. `saslprep_outcome` says which case a password is, so the gateway can warn when it
// stores a kUnverified one. Pure.
#pragma once

#include <string_view>

namespace iamdb::pgwire {

enum class SaslPrepOutcome {
  kUnchanged,    // PostgreSQL's SASLprep leaves it as is: raw bytes are exact
  kInvalidUtf8,  // PostgreSQL falls back to the raw bytes: exact
  kUnverified,   // other non-ASCII UTF-8: raw bytes agree only if SASLprep changes nothing
};

SaslPrepOutcome saslprep_outcome(std::string_view password);

}  // namespace iamdb::pgwire
