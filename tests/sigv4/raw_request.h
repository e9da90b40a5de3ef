// Test support: reads the raw HTTP/1.1 requests of AWS's signing test suite (`request.txt`) into
// a sigv4::Request. The suite's request targets may hold unencoded spaces and UTF-8, and header
// values may continue on indented lines (obs-fold), which this reader keeps joined with '\n'.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "sigv4/signer.h"

namespace iamdb::sigv4::testing {

Result<Request> parse_raw_request(std::string_view text);

// The whole file, or an empty string if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace iamdb::sigv4::testing
