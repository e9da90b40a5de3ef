// Parsing pam_iamdb.so's module arguments.
#include "plugins/pam/module_options.h"

#include <set>
#include <string_view>

#include "common/strings.h"

namespace iamdb::pam {

Result<PamOptions> parse_module_arguments(std::span<const char* const> arguments) {
  PamOptions options;
  std::set<std::string_view> seen;
  for (const char* argument : arguments) {
    if (argument == nullptr) return fail("a module argument is missing");
    const std::string_view text(argument);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) {
      return fail("module argument '", text, "' is not key=value");
    }
    const std::string_view key = text.substr(0, equals);
    const std::string_view value = text.substr(equals + 1);
    if (!seen.insert(key).second) return fail("module argument '", key, "' is given twice");
    if (key == "socket") {
      if (value.empty() || value.front() != '/') {
        return fail("socket= must be an absolute path, not '", value, "'");
      }
      options.socket_path = std::string(value);
    } else if (key == "instance") {
      if (value.empty()) return fail("instance= is empty");
      options.instance = std::string(value);
    } else if (key == "timeout_ms") {
      long long ms = 0;
      if (!parse_uint(value, ms) || ms < 1 || ms > kMaxTimeout.count()) {
        return fail("timeout_ms= must be a whole number of milliseconds from 1 to ",
                    std::to_string(kMaxTimeout.count()), ", not '", value, "'");
      }
      options.timeout = std::chrono::milliseconds(ms);
    } else if (key == "tls") {
      if (value == "assume") {
        options.assume_tls = true;
      } else if (value == "no") {
        options.assume_tls = false;
      } else {
        return fail("tls= must be 'assume' or 'no', not '", value, "'");
      }
    } else {
      return fail("unknown module argument '", key, "'");
    }
  }
  if (options.socket_path.empty()) return fail("socket= is required");
  if (options.instance.empty()) return fail("instance= is required");
  return options;
}

}  // namespace iamdb::pam
