// Errors of the Query API in AWS's shape: an HTTP status, an error code clients switch on
// (`NoSuchEntity`, `AccessDenied`, ...), a message in AWS's words, and whether the sender or the
// service is at fault. Handlers return them as values; the service renders the XML body.
#pragma once

#include <expected>
#include <string>

namespace iamdb::api {

struct ApiError {
  int status = 400;
  std::string code;
  std::string message;
  bool sender = true;  // <Type>Sender</Type>, or Receiver for our own failures
};

template <class T>
using ApiResult = std::expected<T, ApiError>;

inline std::unexpected<ApiError> api_error(int status, std::string code, std::string message) {
  return std::unexpected(ApiError{status, std::move(code), std::move(message), status < 500});
}
inline std::unexpected<ApiError> validation_error(std::string message) {
  return api_error(400, "ValidationError", std::move(message));
}
inline std::unexpected<ApiError> no_such_entity(std::string message) {
  return api_error(404, "NoSuchEntity", std::move(message));
}
inline std::unexpected<ApiError> already_exists(std::string message) {
  return api_error(409, "EntityAlreadyExists", std::move(message));
}
inline std::unexpected<ApiError> delete_conflict(std::string message) {
  return api_error(409, "DeleteConflict", std::move(message));
}
inline std::unexpected<ApiError> limit_exceeded(std::string message) {
  return api_error(409, "LimitExceeded", std::move(message));
}
inline std::unexpected<ApiError> malformed_policy(std::string message) {
  return api_error(400, "MalformedPolicyDocument", std::move(message));
}
inline std::unexpected<ApiError> invalid_input(std::string message) {
  return api_error(400, "InvalidInput", std::move(message));
}

// Runs an expression that yields ApiResult<T>; returns its error from the enclosing function,
// or binds its value: `IAMDB_TRY(auto name, ctx.name("UserName", iam::kUserName));`
#define IAMDB_CONCAT_INNER(a, b) a##b
#define IAMDB_CONCAT(a, b) IAMDB_CONCAT_INNER(a, b)
#define IAMDB_TRY(decl, expr) IAMDB_TRY_IMPL(decl, expr, IAMDB_CONCAT(iamdb_try_, __LINE__))
#define IAMDB_TRY_IMPL(decl, expr, tmp)                     \
  auto tmp = (expr);                                        \
  if (!tmp) return std::unexpected(std::move(tmp).error()); \
  decl = std::move(*tmp)
// The same for expressions yielding ApiResult<void>.
#define IAMDB_CHECK(expr) IAMDB_CHECK_IMPL(expr, IAMDB_CONCAT(iamdb_check_, __LINE__))
#define IAMDB_CHECK_IMPL(expr, tmp) \
  if (auto tmp = (expr); !tmp) return std::unexpected(std::move(tmp).error())

}  // namespace iamdb::api
