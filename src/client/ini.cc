// The shared config file reader, line for line as Python's RawConfigParser (strict) reads.
#include "client/ini.h"

#include <algorithm>

#include "common/strings.h"

namespace iamdb::client {
namespace {

constexpr bool is_py_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view py_strip(std::string_view s) {
  while (!s.empty() && is_py_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_py_space(s.back())) s.remove_suffix(1);
  return s;
}

struct RawOption {
  std::string key;
  std::vector<std::string> lines;
};

struct RawSection {
  std::string name;
  std::vector<RawOption> options;
  RawOption* find(std::string_view key) {
    for (RawOption& o : options)
      if (o.key == key) return &o;
    return nullptr;
  }
};

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out.push_back('\n');
    out.append(lines[i]);
  }
  while (!out.empty() && is_py_space(out.back())) out.pop_back();
  return out;
}

template <class... Parts>
std::unexpected<Error> line_error(size_t line, Parts&&... parts) {
  return fail("line ", std::to_string(line), ": ", std::forward<Parts>(parts)...);
}

}  // namespace

std::optional<std::string_view> IniSection::get(std::string_view key) const {
  for (const auto& [k, v] : values)
    if (k == key) return std::string_view(v);
  return std::nullopt;
}

const IniSection* IniDocument::find(std::string_view name) const {
  for (const IniSection& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

Result<IniDocument> parse_ini(std::string_view text) {
  std::vector<RawSection> sections;
  RawSection defaults{"DEFAULT", {}};
  RawSection* current = nullptr;
  RawOption* option = nullptr;
  size_t indent_level = 0;

  size_t line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    const std::string_view value = py_strip(line);
    if (value.empty() || value.front() == '#' || value.front() == ';') {
      // A blank line inside a value stays part of it; a comment line does not.
      if (value.empty() && option) option->lines.emplace_back();
      continue;
    }
    const size_t indent = static_cast<size_t>(
        std::find_if(line.begin(), line.end(), [](char c) { return !is_py_space(c); }) -
        line.begin());
    if (current && option && indent > indent_level) {
      option->lines.emplace_back(value);
      continue;
    }
    indent_level = indent;

    const size_t close = value.rfind(']');
    if (value.front() == '[' && close != std::string_view::npos && close > 1) {
      const std::string_view name = value.substr(1, close - 1);
      option = nullptr;
      if (name == "DEFAULT") {
        current = &defaults;
        continue;
      }
      for (const RawSection& s : sections)
        if (s.name == name) return line_error(line_number, "section [", name, "] appears twice");
      sections.push_back(RawSection{std::string(name), {}});
      current = &sections.back();
      continue;
    }
    if (!current) return line_error(line_number, "text before the first [section]");

    const size_t delimiter = value.find_first_of("=:");
    if (delimiter == std::string_view::npos)
      return line_error(line_number, "expected 'key = value', a [section] or a comment");
    const std::string key = to_lower(py_strip(value.substr(0, delimiter)));
    if (key.empty()) return line_error(line_number, "a value without a key");
    if (current->find(key))
      return line_error(line_number, "key '", key, "' appears twice in [", current->name, "]");
    current->options.push_back(
        RawOption{key, {std::string(py_strip(value.substr(delimiter + 1)))}});
    option = &current->options.back();
  }

  IniDocument doc;
  for (const RawSection& raw : sections) {
    IniSection section{raw.name, {}};
    for (const RawOption& o : raw.options) section.values.emplace_back(o.key, joined(o.lines));
    for (const RawOption& o : defaults.options)
      if (!section.get(o.key)) section.values.emplace_back(o.key, joined(o.lines));
    for (const auto& [key, v] : section.values) {
      if (v.empty() || v.front() != '\n') continue;
      for (std::string_view nested : split(v, '\n')) {
        nested = py_strip(nested);
        if (!nested.empty() && nested.find('=') == std::string_view::npos)
          return fail("nested value of '", key, "' in [", raw.name, "] has a line without '='");
      }
    }
    doc.sections.push_back(std::move(section));
  }
  return doc;
}

}  // namespace iamdb::client
