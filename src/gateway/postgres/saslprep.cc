// Classification of SCRAM passwords by whether PostgreSQL's SASLprep leaves them as they are.
#include "gateway/postgres/saslprep.h"

#include <cstdint>

namespace iamdb::pgwire {
namespace {

// Decodes one UTF-8 sequence at the front of `s` as RFC 3629 defines it (no overlong forms, no
// surrogates, nothing above U+10FFFF), or returns false.
bool decode_utf8(std::string_view& s, char32_t& cp) {
  struct Lead {
    uint8_t mask, value;  // the lead byte's fixed bits
    size_t length;        // bytes in the sequence
    char32_t min;         // smallest code point of that length (shorter forms are overlong)
  };
  static constexpr Lead kLeads[] = {
      {0x80, 0x00, 1, 0}, {0xe0, 0xc0, 2, 0x80}, {0xf0, 0xe0, 3, 0x800}, {0xf8, 0xf0, 4, 0x10000}};
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  for (const Lead& lead : kLeads) {
    if ((b(0) & lead.mask) != lead.value) continue;
    if (s.size() < lead.length) return false;
    cp = b(0) & static_cast<uint8_t>(~lead.mask);
    for (size_t i = 1; i < lead.length; ++i) {
      if ((b(i) & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b(i) & 0x3f);
    }
    if (cp < lead.min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    s.remove_prefix(lead.length);
    return true;
  }
  return false;
}

}  // namespace

SaslPrepOutcome saslprep_outcome(std::string_view password) {
  bool only_latin1_letters = true;
  for (std::string_view rest = password; !rest.empty();) {
    char32_t cp;
    if (!decode_utf8(rest, cp)) return SaslPrepOutcome::kInvalidUtf8;
    if (cp >= 0x80 && !(cp >= 0xc0 && cp <= 0xff)) only_latin1_letters = false;
  }
  return only_latin1_letters ? SaslPrepOutcome::kUnchanged : SaslPrepOutcome::kUnverified;
}

}  // namespace iamdb::pgwire
