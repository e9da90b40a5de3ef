// A strict JSON tree builder over nlohmann::json's SAX parser.
#include "policy/json_reader.h"

#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <set>

namespace iamdb::policy::internal {
namespace {

using nlohmann::json;

// Decodes one UTF-8 sequence at `pos`; returns its length, or 0 when malformed.
size_t decode_utf8(std::string_view s, size_t pos, uint32_t& cp) {
  const auto b = static_cast<unsigned char>(s[pos]);
  size_t len;
  if (b < 0x80) {
    cp = b;
    return 1;
  } else if ((b & 0xE0) == 0xC0) {
    cp = b & 0x1F;
    len = 2;
  } else if ((b & 0xF0) == 0xE0) {
    cp = b & 0x0F;
    len = 3;
  } else if ((b & 0xF8) == 0xF0) {
    cp = b & 0x07;
    len = 4;
  } else {
    return 0;
  }
  if (pos + len > s.size()) return 0;
  for (size_t i = 1; i < len; ++i) {
    const auto c = static_cast<unsigned char>(s[pos + i]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  // Overlong forms and surrogates are not valid UTF-8.
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

class TreeBuilder final : public nlohmann::json_sax<json> {
 public:
  JsonValue root;
  std::string error;

  bool null() override { return add(JsonValue::Type::kNull, {}); }
  bool boolean(bool v) override { return add(JsonValue::Type::kBool, v ? "true" : "false"); }
  bool number_integer(number_integer_t v) override { return add(JsonValue::Type::kNumber, std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return add(JsonValue::Type::kNumber, std::to_string(v)); }
  bool number_float(number_float_t, const string_t& raw) override { return add(JsonValue::Type::kNumber, raw); }
  bool string(string_t& v) override {
    if (!check(v)) return false;
    return add(JsonValue::Type::kString, std::move(v));
  }
  bool binary(binary_t&) override {
    error = "Syntax errors in policy: binary values are not JSON";
    return false;
  }
  bool start_object(std::size_t) override { return open(JsonValue::Type::kObject); }
  bool key(string_t& k) override {
    if (!check(k)) return false;
    if (!keys_.back().insert(k).second) {
      error = "Syntax errors in policy: duplicate key \"" + k + "\"";
      return false;
    }
    pending_key_ = std::move(k);
    return true;
  }
  bool end_object() override {
    keys_.pop_back();
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return open(JsonValue::Type::kArray); }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    std::string_view what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: ..." -> from "line".
    if (const size_t at = what.find("at line "); at != std::string_view::npos) what.remove_prefix(at + 3);
    error = "Syntax errors in policy: " + std::string(what);
    return false;
  }

 private:
  bool check(const std::string& s) {
    if (auto ok = check_policy_characters(s); !ok) {
      error = ok.error().message;
      return false;
    }
    return true;
  }

  // Places a new value where the parser is: the root, the next array item, or the value of
  // the pending key. Pointers on the stack stay valid because a container only grows while
  // it is the innermost open one.
  JsonValue* place() {
    if (stack_.empty()) return &root;
    JsonValue* parent = stack_.back();
    if (parent->type == JsonValue::Type::kArray) {
      parent->items.emplace_back();
      return &parent->items.back();
    }
    parent->members.push_back({std::move(pending_key_), {}});
    return &parent->members.back().value;
  }

  bool add(JsonValue::Type type, std::string text) {
    JsonValue* v = place();
    v->type = type;
    v->text = std::move(text);
    return true;
  }

  bool open(JsonValue::Type type) {
    if (stack_.size() >= kMaxJsonDepth) {
      error = "Syntax errors in policy: nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels";
      return false;
    }
    JsonValue* v = place();
    v->type = type;
    stack_.push_back(v);
    if (type == JsonValue::Type::kObject) keys_.emplace_back();
    return true;
  }

  std::vector<JsonValue*> stack_;
  std::vector<std::set<std::string, std::less<>>> keys_;
  std::string pending_key_;
};

}  // namespace

const JsonValue* JsonValue::find(std::string_view key) const {
  for (const auto& [k, v] : members)
    if (k == key) return &v;
  return nullptr;
}

Result<void> check_policy_characters(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    uint32_t cp = 0;
    const size_t len = decode_utf8(text, pos, cp);
    if (len == 0) return fail("Policy document is not valid UTF-8 (at byte ", std::to_string(pos), ")");
    if (!(cp == 0x09 || cp == 0x0A || cp == 0x0D || (cp >= 0x20 && cp <= 0xFF))) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "U+%04X", cp);
      return fail("Policy document contains a character IAM does not allow: ", buf,
                  " (allowed: tab, line feed, carriage return and U+0020 to U+00FF)");
    }
    pos += len;
  }
  return {};
}

Result<JsonValue> read_json(std::string_view text) {
  TreeBuilder builder;
  bool ok = false;
  try {
    ok = json::sax_parse(text, &builder, json::input_format_t::json, /*strict=*/true,
                         /*ignore_comments=*/false);
  } catch (const std::exception& e) {
    // The SAX interface reports errors through parse_error; this only guards against the
    // library throwing from elsewhere (e.g. allocation failure).
    return fail("Syntax errors in policy: ", e.what());
  }
  if (!ok) return fail(builder.error.empty() ? std::string("Syntax errors in policy") : builder.error);
  return std::move(builder.root);
}

}  // namespace iamdb::policy::internal
