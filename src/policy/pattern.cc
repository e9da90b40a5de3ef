// Compiling policy strings into tokens, expanding policy variables, and IAM's wildcard rules.
#include "policy/pattern.h"

#include "common/strings.h"

namespace iamdb::policy::internal {
namespace {

// A vector that lives on the stack up to N elements.
template <class T, size_t N>
class SmallVec {
 public:
  void push_back(T v) {
    if (size_ < N) {
      inline_[size_] = v;
    } else {
      if (size_ == N) heap_.assign(inline_.begin(), inline_.end());
      heap_.push_back(v);
    }
    ++size_;
  }
  T& operator[](size_t i) { return size_ <= N ? inline_[i] : heap_[i]; }
  const T& operator[](size_t i) const { return size_ <= N ? inline_[i] : heap_[i]; }
  size_t size() const { return size_; }
  void assign(size_t n, T v) {
    size_ = 0;
    heap_.clear();
    for (size_t i = 0; i < n; ++i) push_back(v);
  }

 private:
  std::array<T, N> inline_;
  std::vector<T> heap_;
  size_t size_ = 0;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Length of the UTF-8 character starting at `pos` (1 for stray bytes), so that `?` matches
// one character, as IAM's single-character wildcard does.
inline size_t char_length(std::string_view s, size_t pos) {
  const auto b = static_cast<unsigned char>(s[pos]);
  if (b < 0x80) return 1;
  size_t len = 1;
  if ((b & 0xE0) == 0xC0) len = 2;
  else if ((b & 0xF0) == 0xE0) len = 3;
  else if ((b & 0xF8) == 0xF0) len = 4;
  if (pos + len > s.size()) return 1;
  for (size_t i = 1; i < len; ++i)
    if ((static_cast<unsigned char>(s[pos + i]) & 0xC0) != 0x80) return 1;
  return len;
}

bool same(uint16_t token, char c, bool ignore_case) {
  const char p = static_cast<char>(token);
  return ignore_case ? ascii_lower(p) == ascii_lower(c) : p == c;
}

struct Range {
  uint32_t begin = 0;
  uint32_t end = 0;
};

}  // namespace

Result<Pattern> Pattern::compile(std::string_view text, bool wildcards, bool variables, bool lower) {
  Pattern p;
  p.text_ = std::string(text);
  uint32_t static_begin = 0;
  const auto close_static = [&] {
    const auto now = static_cast<uint32_t>(p.tokens_.size());
    if (now > static_begin) p.parts_.push_back({false, static_begin, now});
    static_begin = now;
  };
  size_t colons = 0;
  bool seen_variable = false;
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (variables && c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      size_t j = i + 2;
      while (j < text.size() && is_space(text[j])) ++j;
      const size_t key_begin = j;
      while (j < text.size() && text[j] != '}' && text[j] != ',' && !is_space(text[j])) ++j;
      const std::string_view key = text.substr(key_begin, j - key_begin);
      while (j < text.size() && is_space(text[j])) ++j;
      std::optional<std::string> default_value;
      if (j < text.size() && text[j] == ',') {
        ++j;
        while (j < text.size() && is_space(text[j])) ++j;
        if (j >= text.size() || text[j] != '\'')
          return fail("invalid policy variable in \"", text, "\": a default value must be in single quotes");
        ++j;
        std::string value;
        for (;;) {
          if (j >= text.size())
            return fail("invalid policy variable in \"", text, "\": unterminated default value");
          if (text[j] == '\'') {
            if (j + 1 < text.size() && text[j + 1] == '\'') {
              value.push_back('\'');
              j += 2;
              continue;
            }
            ++j;
            break;
          }
          value.push_back(text[j++]);
        }
        while (j < text.size() && is_space(text[j])) ++j;
        default_value = std::move(value);
      }
      if (j >= text.size() || text[j] != '}')
        return fail("invalid policy variable in \"", text, "\": missing '}'");
      if (key.empty()) return fail("invalid policy variable in \"", text, "\": empty variable name");
      i = j + 1;
      if (!default_value && (key == "*" || key == "?" || key == "$")) {
        p.tokens_.push_back(static_cast<unsigned char>(key[0]));
        continue;
      }
      if (key.find_first_of("${'") != std::string_view::npos)
        return fail("invalid policy variable in \"", text, "\": bad variable name \"", key, "\"");
      close_static();
      p.parts_.push_back({true, static_cast<uint32_t>(p.variables_.size()), 0});
      p.variables_.push_back({std::string(key), std::move(default_value)});
      seen_variable = true;
      continue;
    }
    if (wildcards && c == '*') {
      p.tokens_.push_back(kStarToken);
    } else if (wildcards && c == '?') {
      p.tokens_.push_back(kAnyCharToken);
    } else {
      if (c == ':' && !seen_variable) ++colons;
      p.tokens_.push_back(static_cast<unsigned char>(lower ? ascii_lower(c) : c));
    }
    ++i;
  }
  close_static();
  p.colons_before_variable_ = colons;
  {
    // The literal head and tail; with variables, only the static tokens around them count.
    const uint32_t head_end = p.parts_.empty() ? static_cast<uint32_t>(p.tokens_.size())
                              : p.parts_.front().is_variable ? 0 : p.parts_.front().end;
    for (uint32_t i = 0; i < head_end && p.tokens_[i] <= 255; ++i) p.prefix_.push_back(static_cast<char>(p.tokens_[i]));
    const bool ends_static = p.parts_.empty() || !p.parts_.back().is_variable;
    if (ends_static) {
      const uint32_t tail_begin = p.parts_.empty() ? 0 : p.parts_.back().begin;
      uint32_t i = static_cast<uint32_t>(p.tokens_.size());
      while (i > tail_begin && p.tokens_[i - 1] <= 255) --i;
      for (; i < p.tokens_.size(); ++i) p.suffix_.push_back(static_cast<char>(p.tokens_[i]));
    }
  }

  if (!p.variables_.empty()) {
    p.shape_ = Shape::kGeneral;
    return p;
  }
  p.parts_.clear();
  size_t wildcards_seen = 0;
  for (uint16_t t : p.tokens_)
    if (t > 255) ++wildcards_seen;
  std::string literal;
  for (uint16_t t : p.tokens_)
    if (t <= 255) literal.push_back(static_cast<char>(t));
  if (p.tokens_.size() == 1 && p.tokens_[0] == kStarToken) {
    p.shape_ = Shape::kAny;
  } else if (wildcards_seen == 0) {
    p.shape_ = Shape::kLiteral;
    p.literal_ = std::move(literal);
  } else if (wildcards_seen == 1 && p.tokens_.back() == kStarToken) {
    p.shape_ = Shape::kPrefix;
    p.literal_ = std::move(literal);
  } else {
    p.shape_ = Shape::kGeneral;
  }
  return p;
}

size_t Pattern::literal_colon_count() const {
  size_t n = 0;
  for (uint16_t t : tokens_)
    if (t == ':') ++n;
  return n;
}

std::optional<std::string_view> resolve_variable(const Variable& v, const ContextKeys& context) {
  const ContextValue* value = context.find(v.key);
  if (value && !value->is_list()) return value->values()[0];
  if (v.default_value) return std::string_view(*v.default_value);
  return std::nullopt;
}

bool Pattern::expand(const ContextKeys& context, TokenBuffer& out) const {
  out.clear();
  if (variables_.empty()) {
    out.append(tokens_);
    return true;
  }
  for (const Part& part : parts_) {
    if (!part.is_variable) {
      out.append(std::span<const uint16_t>(tokens_).subspan(part.begin, part.end - part.begin));
      continue;
    }
    const auto value = resolve_variable(variables_[part.begin], context);
    if (!value) return false;
    out.append_literal(*value);
  }
  return true;
}

bool glob_match(std::span<const uint16_t> p, std::string_view t, bool ignore_case) {
  // Greedy matching with backtracking to the last `*`: linear for the usual patterns, and
  // O(|p|*|t|) at worst, with no recursion.
  size_t pi = 0, ti = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  while (ti < t.size()) {
    if (pi < p.size()) {
      const uint16_t tok = p[pi];
      if (tok == kStarToken) {
        star_p = pi++;
        star_t = ti;
        continue;
      }
      if (tok == kAnyCharToken) {
        ti += char_length(t, ti);
        ++pi;
        continue;
      }
      if (same(tok, t[ti], ignore_case)) {
        ++pi;
        ++ti;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p + 1;
    star_t += char_length(t, star_t);
    ti = star_t;
  }
  while (pi < p.size() && p[pi] == kStarToken) ++pi;
  return pi == p.size();
}

bool resource_match(std::span<const uint16_t> p, std::string_view t) {
  SmallVec<Range, 16> ps;  // pattern segments, split at literal ':'
  {
    uint32_t begin = 0;
    for (uint32_t i = 0; i < p.size(); ++i) {
      if (p[i] == ':') {
        ps.push_back({begin, i});
        begin = i + 1;
      }
    }
    ps.push_back({begin, static_cast<uint32_t>(p.size())});
  }
  SmallVec<Range, 16> ts;  // text segments
  {
    uint32_t begin = 0;
    for (uint32_t i = 0; i < t.size(); ++i) {
      if (t[i] == ':') {
        ts.push_back({begin, i});
        begin = i + 1;
      }
    }
    ts.push_back({begin, static_cast<uint32_t>(t.size())});
  }
  const size_t np = ps.size(), nt = ts.size();
  const auto segment = [&](size_t pi) { return p.subspan(ps[pi].begin, ps[pi].end - ps[pi].begin); };
  const auto text_segment = [&](size_t ti) { return t.substr(ts[ti].begin, ts[ti].end - ts[ti].begin); };
  const auto crossing = [&](size_t pi) { return ps[pi].end > ps[pi].begin && p[ps[pi].end - 1] == kStarToken; };
  bool inner_crossing = false;
  for (size_t pi = 0; pi + 1 < np; ++pi) inner_crossing = inner_crossing || crossing(pi);
  // The usual case: segments line up one to one (a `*` ending the last one takes the rest).
  if (!inner_crossing || np == nt) {
    bool aligned = crossing(np - 1) ? nt >= np : nt == np;
    for (size_t pi = 0; aligned && pi < np; ++pi) aligned = glob_match(segment(pi), text_segment(pi));
    if (aligned || !inner_crossing) return aligned;
  }
  // reach[ti]: pattern segments [0, pi) have matched text segments [0, ti) exactly.
  SmallVec<uint8_t, 64> reach, next;
  reach.assign(nt + 1, 0);
  reach[0] = 1;
  for (size_t pi = 0; pi < np; ++pi) {
    next.assign(nt + 1, 0);
    const auto tokens = segment(pi);
    // A `*` that ends a segment may run on across colons into the next text segments.
    const bool crosses = crossing(pi);
    bool any = false;
    for (size_t ti = 0; ti < nt; ++ti) {
      if (!reach[ti]) continue;
      if (!glob_match(tokens, text_segment(ti))) continue;
      if (!crosses) {
        next[ti + 1] = 1;
      } else {
        for (size_t tj = ti + 1; tj <= nt; ++tj) next[tj] = 1;
      }
      any = true;
    }
    if (!any) return false;
    reach.assign(0, 0);
    for (size_t i = 0; i <= nt; ++i) reach.push_back(next[i]);
  }
  return reach[nt] != 0;
}

bool arn_match(std::span<const uint16_t> p, std::string_view t) {
  // Six components: five split at the first five colons, and the rest (which may hold colons).
  std::array<Range, 6> pc, tc;
  {
    size_t n = 0;
    uint32_t begin = 0;
    for (uint32_t i = 0; i < p.size() && n < 5; ++i) {
      if (p[i] == ':') {
        pc[n++] = {begin, i};
        begin = i + 1;
      }
    }
    if (n < 5) return false;
    pc[5] = {begin, static_cast<uint32_t>(p.size())};
  }
  {
    size_t n = 0;
    uint32_t begin = 0;
    for (uint32_t i = 0; i < t.size() && n < 5; ++i) {
      if (t[i] == ':') {
        tc[n++] = {begin, i};
        begin = i + 1;
      }
    }
    if (n < 5) return false;
    tc[5] = {begin, static_cast<uint32_t>(t.size())};
  }
  for (size_t i = 0; i < 6; ++i) {
    if (!glob_match(p.subspan(pc[i].begin, pc[i].end - pc[i].begin), t.substr(tc[i].begin, tc[i].end - tc[i].begin)))
      return false;
  }
  return true;
}

bool pattern_match(const Pattern& p, std::string_view text, MatchKind kind, const ContextKeys& context,
                   bool& unresolved) {
  const bool icase = kind == MatchKind::kGlobIgnoreCase;
  switch (p.shape()) {
    case Pattern::Shape::kLiteral:
      return icase ? iequals(text, p.literal()) : text == p.literal();
    case Pattern::Shape::kAny:
      if (kind != MatchKind::kArn) return true;
      break;
    case Pattern::Shape::kPrefix:
      if (kind != MatchKind::kArn)
        return icase ? istarts_with(text, p.literal()) : text.starts_with(p.literal());
      break;
    case Pattern::Shape::kGeneral:
      break;
  }
  if (p.has_variables()) {
    for (const Variable& v : p.variables()) {
      if (!resolve_variable(v, context)) {
        unresolved = true;
        return false;
      }
    }
  }
  const std::string& prefix = p.prefix();
  const std::string& suffix = p.suffix();
  if (text.size() < prefix.size() + suffix.size()) return false;
  if (icase ? !istarts_with(text, prefix) : !text.starts_with(prefix)) return false;
  if (icase ? !iequals(text.substr(text.size() - suffix.size()), suffix) : !text.ends_with(suffix)) return false;

  std::span<const uint16_t> tokens = p.tokens();
  TokenBuffer buffer;
  if (p.has_variables()) {
    if (!p.expand(context, buffer)) {
      unresolved = true;
      return false;
    }
    tokens = buffer.view();
  }
  switch (kind) {
    case MatchKind::kGlob: return glob_match(tokens, text, false);
    case MatchKind::kGlobIgnoreCase: return glob_match(tokens, text, true);
    case MatchKind::kResource: return resource_match(tokens, text);
    case MatchKind::kArn: return arn_match(tokens, text);
  }
  return false;
}

}  // namespace iamdb::policy::internal
