// Query-protocol parameter access.
#include "api/params.h"

#include "common/strings.h"

namespace iamdb::api {
namespace {

// Collects `prefix.member.<n><rest>` entries into slots [n-1], validating the indexes.
template <class Slot, class Put>
Result<std::vector<Slot>> collect(const std::map<std::string, std::string, std::less<>>& values,
                                  std::string_view prefix, std::string_view member, Put put) {
  const std::string head = std::string(prefix) + "." + std::string(member) + ".";
  std::map<long long, Slot> by_index;
  for (auto it = values.lower_bound(head); it != values.end() && it->first.starts_with(head); ++it) {
    const std::string_view rest = std::string_view(it->first).substr(head.size());
    const size_t dot = rest.find('.');
    long long n = 0;
    if (!parse_uint(rest.substr(0, dot), n) || n < 1 || n > 100000)
      return fail("invalid list index in parameter ", it->first);
    Slot& slot = by_index[n];
    if (auto ok = put(slot, dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1), it->second,
                      it->first);
        !ok)
      return std::unexpected(ok.error());
  }
  std::vector<Slot> out;
  long long expected = 1;
  for (auto& [n, slot] : by_index) {
    if (n != expected) return fail("parameter ", head, std::to_string(expected), " is missing from the list");
    out.push_back(std::move(slot));
    ++expected;
  }
  return out;
}

}  // namespace

Result<Params> Params::from_pairs(std::vector<std::pair<std::string, std::string>> pairs) {
  Params p;
  for (auto& [k, v] : pairs) {
    if (!p.values_.emplace(k, std::move(v)).second) return fail("duplicate parameter ", k);
  }
  return p;
}

std::optional<std::string_view> Params::get(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return std::string_view(it->second);
}

Result<std::vector<std::string>> Params::list(std::string_view prefix, std::string_view member) const {
  return collect<std::string>(values_, prefix, member,
                              [](std::string& slot, std::string_view field, const std::string& value,
                                 const std::string& name) -> Result<void> {
                                if (!field.empty()) return fail("unexpected parameter ", name);
                                slot = value;
                                return {};
                              });
}

Result<std::vector<std::map<std::string, std::string>>> Params::struct_list(std::string_view prefix,
                                                                            std::string_view member) const {
  return collect<std::map<std::string, std::string>>(
      values_, prefix, member,
      [](std::map<std::string, std::string>& slot, std::string_view field, const std::string& value,
         const std::string& name) -> Result<void> {
        if (field.empty() || field.find('.') != std::string_view::npos)
          return fail("unexpected parameter ", name);
        slot[std::string(field)] = value;
        return {};
      });
}

}  // namespace iamdb::api
