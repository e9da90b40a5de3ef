// The master key file: 32 random bytes written as 64 hex characters and a newline, mode 0600.
// Reading refuses a file that group or others can access, or that is not exactly a key, with
// a message that says what to do.
#pragma once

#include <filesystem>

#include "common/error.h"
#include "crypto/aead.h"

namespace iamdb::crypto {

// Creates the file (it must not exist) with mode 0600 and writes a fresh key into it.
Result<AeadKey> create_key_file(const std::filesystem::path& path);
Result<AeadKey> read_key_file(const std::filesystem::path& path);

// Writes `contents` to a new file with the given mode (created exclusively, fsynced).
Result<void> write_new_file(const std::filesystem::path& path, std::string_view contents, unsigned mode);

}  // namespace iamdb::crypto
