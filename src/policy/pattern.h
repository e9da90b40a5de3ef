// Policy strings compiled for matching (internal to the policy module).
//
// A `Pattern` is a string from a policy (an action, a resource ARN, a condition value) turned
// into tokens once, at compile time: literal bytes, the wildcards `*` and `?` where the element
// treats them as wildcards, and policy variables (`${aws:username}`, `${aws:PrincipalTag/x}`,
// `${key, 'default'}`) that are resolved from the request context at evaluation. The special
// variables `${*}`, `${?}` and `${$}` become literal characters. Expansion writes into a
// `TokenBuffer` on the caller's stack, so matching allocates nothing for ordinary sizes.
//
// The matchers follow IAM's rules ("IAM JSON policy elements: Resource", "Condition operators"):
// - `glob_match`: `*` matches any run of characters, `?` one character (StringLike, actions);
// - `resource_match`: wildcards stay within the colon-separated segments of an ARN, except that
//   a `*` ending a segment may extend past colons (Resource / NotResource);
// - `arn_match`: the six colon-delimited ARN components are matched one by one (ArnLike...).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "policy/context.h"

namespace iamdb::policy::internal {

// Tokens: 0..255 are literal bytes; these two are the wildcards.
inline constexpr uint16_t kStarToken = 256;
inline constexpr uint16_t kAnyCharToken = 257;

class TokenBuffer {
 public:
  static constexpr size_t kInline = 512;

  void clear() {
    size_ = 0;
    heap_.clear();
  }
  void push(uint16_t t) {
    if (size_ < kInline) {
      inline_[size_] = t;
    } else {
      if (size_ == kInline) heap_.assign(inline_.begin(), inline_.end());
      heap_.push_back(t);
    }
    ++size_;
  }
  void append(std::span<const uint16_t> tokens) {
    for (uint16_t t : tokens) push(t);
  }
  void append_literal(std::string_view s) {
    for (char c : s) push(static_cast<unsigned char>(c));
  }
  std::span<const uint16_t> view() const {
    return size_ <= kInline ? std::span<const uint16_t>(inline_.data(), size_) : std::span<const uint16_t>(heap_);
  }

 private:
  std::array<uint16_t, kInline> inline_;
  std::vector<uint16_t> heap_;
  size_t size_ = 0;
};

struct Variable {
  std::string key;
  std::optional<std::string> default_value;
};

class Pattern {
 public:
  enum class Shape : uint8_t {
    kLiteral,  // no wildcards, no variables: `literal()` is the whole text
    kAny,      // exactly "*"
    kPrefix,   // a literal prefix and one trailing `*`: `literal()` is the prefix
    kGeneral,  // anything else (or variables)
  };

  // `wildcards`: `*` and `?` are wildcards (else literal). `variables`: `${...}` is a policy
  // variable (policy language 2012-10-17); else it is literal text. Fails on a malformed
  // variable. `lower` lower-cases literal text (case-insensitive elements such as actions).
  static Result<Pattern> compile(std::string_view text, bool wildcards, bool variables, bool lower = false);

  const std::string& text() const { return text_; }
  Shape shape() const { return shape_; }
  const std::string& literal() const { return literal_; }
  bool has_variables() const { return !variables_.empty(); }
  // Literal ':' tokens before the first variable, or all of them if there is none.
  size_t colons_before_first_variable() const { return colons_before_variable_; }
  size_t literal_colon_count() const;
  const std::vector<Variable>& variables() const { return variables_; }

  // The tokens with variables resolved from `context`. False when a variable has no value
  // (absent or multi-valued key) and no default: AWS then treats the statement as not
  // matching. Without variables, `out` receives the compiled tokens.
  bool expand(const ContextKeys& context, TokenBuffer& out) const;
  // Compiled tokens; only meaningful when `!has_variables()`.
  std::span<const uint16_t> tokens() const { return tokens_; }
  // Literal text every match must start and end with (before the first and after the last
  // wildcard or variable): a cheap test that rejects most candidates before matching.
  const std::string& prefix() const { return prefix_; }
  const std::string& suffix() const { return suffix_; }

 private:
  struct Part {
    bool is_variable;
    uint32_t begin;  // tokens_ range, or variable index in `begin`
    uint32_t end;
  };

  std::string text_;
  std::vector<uint16_t> tokens_;
  std::vector<Part> parts_;  // only with variables
  std::vector<Variable> variables_;
  Shape shape_ = Shape::kGeneral;
  std::string literal_;
  std::string prefix_, suffix_;
  size_t colons_before_variable_ = 0;
};

// The value of a policy variable for this request, or nullopt (then its default applies).
std::optional<std::string_view> resolve_variable(const Variable& v, const ContextKeys& context);

bool glob_match(std::span<const uint16_t> pattern, std::string_view text, bool ignore_case = false);
bool resource_match(std::span<const uint16_t> pattern, std::string_view text);
bool arn_match(std::span<const uint16_t> pattern, std::string_view text);

// Matches a compiled pattern (fast paths for the usual shapes) against `text` with the given
// matcher. False when a variable cannot be resolved; `unresolved` then says so.
enum class MatchKind : uint8_t { kGlob, kGlobIgnoreCase, kResource, kArn };
bool pattern_match(const Pattern& p, std::string_view text, MatchKind kind, const ContextKeys& context,
                   bool& unresolved);

}  // namespace iamdb::policy::internal
