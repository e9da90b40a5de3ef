// Reader for the signing test suite's raw HTTP requests.
#include "sigv4/raw_request.h"

#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace iamdb::sigv4::testing {

Result<Request> parse_raw_request(std::string_view text) {
  Request request;
  const size_t line_end = text.find('\n');
  const std::string_view request_line = text.substr(0, line_end);
  const size_t first_space = request_line.find(' ');
  const size_t last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || last_space == first_space)
    return fail("bad request line: ", request_line);
  request.method = std::string(request_line.substr(0, first_space));
  const std::string_view target =
      request_line.substr(first_space + 1, last_space - first_space - 1);
  const size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));

  size_t pos = line_end == std::string_view::npos ? text.size() : line_end + 1;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) {
      if (pos < text.size()) request.body = std::string(text.substr(pos));
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (request.headers.empty()) return fail("continuation line before any header");
      request.headers.back().value.append("\n").append(line);
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail("header line without ':': ", line);
    request.headers.push_back(
        Header{std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
  }
  return request;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace iamdb::sigv4::testing
