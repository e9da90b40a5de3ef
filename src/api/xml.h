// A minimal streaming XML writer for AWS Query API responses: elements, escaped text, no
// attributes except the root's namespace. The caller opens and closes elements in order;
// `finish` asserts they balance. Not thread-safe; one per response.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace iamdb::api {

class XmlWriter {
 public:
  // Starts the document with `<?xml ...?>` and the root element in namespace `xmlns`.
  XmlWriter(std::string_view root, std::string_view xmlns);
  // A fragment: elements only, to be placed inside another document with `raw`.
  XmlWriter() = default;

  XmlWriter& open(std::string_view name);
  XmlWriter& close();
  // <name>escaped text</name>
  XmlWriter& leaf(std::string_view name, std::string_view text);
  XmlWriter& leaf(std::string_view name, long long n) { return leaf(name, std::to_string(n)); }
  XmlWriter& leaf_bool(std::string_view name, bool b) { return leaf(name, b ? "true" : "false"); }

  // Appends already-written XML (a finished fragment).
  XmlWriter& raw(std::string_view xml);
  bool empty() const { return out_.empty(); }

  // Closes every open element and returns the document.
  std::string finish();

 private:
  std::string out_;
  std::vector<std::string> open_;
};

void xml_escape_append(std::string& out, std::string_view text);

}  // namespace iamdb::api
