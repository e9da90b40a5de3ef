// Checks for the values `iamdb setup` writes into other programs' configuration.
#include "setup/values.h"

#include <sys/un.h>

#include <algorithm>

#include "common/strings.h"

namespace iamdb::setup {
namespace {

bool is_ascii_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// The first character that cannot stand unquoted in pg_hba.conf, a PAM service file, an
// option file and a SQL string literal; npos if none.
size_t first_unsafe(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c <= ' ' || c == 0x7f || c == '"' || c == '\'' || c == '`' || c == '\\' || c == '#' || c == ';') return i;
  }
  return std::string_view::npos;
}

Result<void> check_path(const std::filesystem::path& path, std::string_view what) {
  const std::string& text = path.native();
  if (text.empty()) return fail("the ", what, " path is empty");
  if (!path.is_absolute()) return fail("the ", what, " path ", text, " must be absolute");
  if (const size_t i = first_unsafe(text); i != std::string_view::npos) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::string shown = c > ' ' && c < 0x7f ? "'" + std::string(1, text[i]) + "'" : "a space or control character";
    return fail("the ", what, " path ", text, " contains ", shown,
                ", which the PAM and MariaDB configuration files cannot carry: choose a path without it");
  }
  return {};
}

}  // namespace

Result<std::string> normalize_instance_id(std::string_view id) {
  constexpr size_t kMaxLength = 63;
  const auto refuse = [&](std::string_view why) {
    return fail("instance identifier '", id, "' ", why,
                " (RDS identifiers are 1-63 letters, digits and hyphens, start with a letter, and have no "
                "trailing or doubled hyphen)");
  };
  if (id.empty()) return refuse("is empty");
  if (id.size() > kMaxLength) return refuse("is longer than 63 characters");
  if (!is_ascii_alnum(id.front()) || (id.front() >= '0' && id.front() <= '9')) return refuse("does not start with a letter");
  for (char c : id)
    if (!is_ascii_alnum(c) && c != '-') return refuse("contains a character that is not a letter, digit or hyphen");
  if (id.back() == '-') return refuse("ends with a hyphen");
  if (id.find("--") != std::string_view::npos) return refuse("contains two consecutive hyphens");
  return to_lower(id);
}

Result<void> check_socket_path(const std::filesystem::path& path) {
  if (auto ok = check_path(path, "verify socket"); !ok) return ok;
  constexpr size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path) - 1;
  if (path.native().size() > kMaxSocketPath)
    return fail("the verify socket path ", path.native(), " is longer than a Unix socket address allows (",
                std::to_string(kMaxSocketPath), " bytes)");
  return {};
}

Result<void> check_module_path(const std::filesystem::path& path) { return check_path(path, "module"); }

Result<void> check_pam_service(std::string_view name) {
  constexpr size_t kMaxLength = 64;
  const bool allowed = !name.empty() && name.size() <= kMaxLength && name.front() != '.' &&
                       std::all_of(name.begin(), name.end(), [](char c) {
                         return is_ascii_alnum(c) || c == '.' || c == '_' || c == '-';
                       });
  if (!allowed)
    return fail("PAM service name '", name,
                "' must be 1-64 letters, digits, '.', '_' or '-', not starting with '.' (it names a file in the "
                "PAM directory)");
  return {};
}

Result<void> check_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() < 1 || timeout > kMaxTimeout)
    return fail("timeout ", std::to_string(timeout.count()), " ms is outside 1..", std::to_string(kMaxTimeout.count()),
                " ms");
  return {};
}

bool is_managed(std::string_view text) { return text.starts_with(kManagedMarker); }

std::string register_command(std::string_view instance, std::string_view engine, std::string_view api_url) {
  const std::string id(instance);
  const std::string kind(engine);
  return "iamdb instance add --id " + id + " --engine " + kind + " --endpoint HOST:PORT --enable-iam \\\n"
         "    --endpoint-url " + std::string(api_url) + "    # or --data-dir DIR on the daemon's machine\n"
         "\n"
         "aws --endpoint-url " + std::string(api_url) + " rds create-db-instance \\\n"
         "    --db-instance-identifier " + id + " --engine " + kind + " --db-instance-class db.iamdb.external \\\n"
         "    --enable-iam-database-authentication --tags Key=iamdb:endpoint,Value=HOST:PORT\n";
}

std::string indented(std::string_view text, std::string_view prefix) {
  std::string out;
  const auto lines = split(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i + 1 == lines.size() && lines[i].empty()) break;  // after the final newline
    out.append(prefix).append(lines[i]).append("\n");
  }
  return out;
}

}  // namespace iamdb::setup
