// The parameters of one AWS Query API request, decoded from the form body (and the query
// string), with accessors for the Query protocol's encodings of lists and structures:
// `Names.member.1=a&Names.member.2=b` and `Tags.member.1.Key=k&Tags.member.1.Value=v`
// (or, where the service names its list members, `Tags.Tag.1.Key=k`).
// Immutable once built.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"

namespace iamdb::api {

class Params {
 public:
  // Refuses a parameter given twice with "duplicate parameter NAME".
  static Result<Params> from_pairs(std::vector<std::pair<std::string, std::string>> pairs);

  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return values_.contains(std::string(name)); }

  // `prefix.member.1` .. `prefix.member.N`, in index order. An index that is skipped, zero
  // or not a number is an error naming the parameter. Services whose models name list members
  // (RDS: `Tags.Tag.1.Key`) pass that name as `member`.
  Result<std::vector<std::string>> list(std::string_view prefix, std::string_view member = "member") const;
  // `prefix.member.N.Field` entries, one map of Field -> value per index, in index order.
  Result<std::vector<std::map<std::string, std::string>>> struct_list(std::string_view prefix,
                                                                      std::string_view member = "member") const;

  const std::map<std::string, std::string, std::less<>>& all() const { return values_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace iamdb::api
