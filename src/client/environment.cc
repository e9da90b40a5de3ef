// The process environment behind the Environment interface.
#include "client/environment.h"

#include <cstdlib>
#include <string>

namespace iamdb::client {

std::optional<std::string> ProcessEnvironment::get(std::string_view name) const {
  const char* value = std::getenv(std::string(name).c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

}  // namespace iamdb::client
