// Error values for outcomes that depend on outside input.
//
// Untrusted input (tokens, packets, request bodies, policies, config files) never throws or
// asserts: functions that read it return `Result<T>`, an `std::expected` whose error names
// what was wrong in words a log reader or operator can act on. Modules with a closed set of
// reasons (token checks, for example) use their own enum instead and convert at the edge.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace iamdb {

struct Error {
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

// `return fail("no such user: ", name);` in a function returning Result<T>.
template <class... Parts>
[[nodiscard]] std::unexpected<Error> fail(Parts&&... parts) {
  std::string message;
  (message.append(std::forward<Parts>(parts)), ...);
  return std::unexpected(Error{std::move(message)});
}

}  // namespace iamdb
