// Reader for the AWS shared config and credentials files (`~/.aws/config`,
// `~/.aws/credentials`) that follows botocore, which reads them with Python's
// configparser.RawConfigParser in its default strict mode:
//   - `[name]` opens a section; the name is everything between the '[' and the last ']', as is
//     (not trimmed, case-sensitive). `[DEFAULT]` is special: every section inherits its values.
//   - `key = value` or `key: value`, split at the first '=' or ':'; the key is trimmed and
//     lower-cased, the value trimmed.
//   - Lines whose first non-blank character is '#' or ';' are comments. There are no inline
//     comments: `key = abc # note` has the value `abc # note`.
//   - A line indented deeper than its key's line continues the value (joined with '\n', blank
//     lines kept inside, trailing ones dropped). botocore reads such a block after an empty value
//     (`s3 =` then `  addressing_style = path`) as a nested section; it is kept here as text,
//     and a nested line without '=' is an error, as in botocore.
//   - Errors: text before the first section, a line that is neither a section, an option nor a
//     comment, an empty key, a section or a key given twice in one file.
// Pure; owns its results.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace iamdb::client {

struct IniSection {
  std::string name;
  std::vector<std::pair<std::string, std::string>> values;  // in file order, DEFAULT's last

  std::optional<std::string_view> get(std::string_view key) const;
};

struct IniDocument {
  std::vector<IniSection> sections;  // in file order, without DEFAULT

  const IniSection* find(std::string_view name) const;
};

// On failure the message names the line: "line 3: duplicate section [default]".
Result<IniDocument> parse_ini(std::string_view text);

}  // namespace iamdb::client
