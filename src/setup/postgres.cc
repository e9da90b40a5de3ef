// pg_hba.conf lines, the PAM service file and the instructions of `iamdb setup postgres`.
#include "setup/postgres.h"

#include <vector>

#include "common/strings.h"

namespace iamdb::setup {
namespace {

bool is_comment(std::string_view line) { return trim(line).starts_with('#'); }
bool is_blank(std::string_view line) { return trim(line).empty(); }
bool is_rule(std::string_view line) { return !is_blank(line) && !is_comment(line); }

// The lines of `text`, without their terminators; a final newline does not start a line.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::string pam_arguments(const PostgresSettings& s) {
  return "socket=" + s.verify_socket.native() + " instance=" + s.instance +
         " timeout_ms=" + std::to_string(s.timeout.count()) + " tls=assume";
}

}  // namespace

Result<void> validate(const PostgresSettings& s) {
  const auto id = normalize_instance_id(s.instance);
  if (!id) return std::unexpected(id.error());
  if (*id != s.instance) return fail("instance identifier '", s.instance, "' must be in lower case");
  if (auto ok = check_socket_path(s.verify_socket); !ok) return ok;
  if (auto ok = check_module_path(s.pam_module); !ok) return ok;
  if (auto ok = check_pam_service(s.pam_service); !ok) return ok;
  if (!s.pam_dir.is_absolute()) return fail("the PAM directory ", s.pam_dir.native(), " must be an absolute path");
  return check_timeout(s.timeout);
}

std::string hba_block(const PostgresSettings& s) {
  return std::string(kHbaBegin) + ": RDS IAM database authentication for instance " + s.instance +
         ", managed by iamdb setup.\n"
         "# Members of rds_iam log in only with an auth token, only over TLS. Keep these lines first.\n"
         "hostssl all +rds_iam all pam pamservice=" + s.pam_service + "\n"
         "host    all +rds_iam all reject\n"
         "local   all +rds_iam reject\n" +
         std::string(kHbaEnd) + "\n";
}

Result<std::string> place_hba_block(std::string_view hba, std::string_view block) {
  const std::vector<std::string_view> lines = lines_of(hba);
  std::vector<std::string_view> kept;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!trim(lines[i]).starts_with(kHbaBegin)) {
      kept.push_back(lines[i]);
      continue;
    }
    size_t end = i + 1;
    while (end < lines.size() && !trim(lines[end]).starts_with(kHbaEnd)) ++end;
    if (end == lines.size())
      return fail("pg_hba.conf line ", std::to_string(i + 1), " opens an iamdb block (", kHbaBegin,
                  ") that no '", kHbaEnd, "' line closes: remove that block's lines and run iamdb setup again");
    i = end;
    // The blank line that separates the block from the rest was placed with it.
    if (i + 1 < lines.size() && is_blank(lines[i + 1])) ++i;
  }

  // Before the first rule, and before the comment lines directly above it, which describe it.
  size_t at = 0;
  while (at < kept.size() && !is_rule(kept[at])) ++at;
  while (at > 0 && at < kept.size() && is_comment(kept[at - 1])) --at;

  std::string out;
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i == at) out.append(block).append("\n");
    out.append(kept[i]).append("\n");
  }
  if (at >= kept.size()) out.append(block).append("\n");
  return out;
}

std::filesystem::path pam_service_path(const PostgresSettings& s) { return s.pam_dir / s.pam_service; }

std::string pam_service_file(const PostgresSettings& s) {
  const std::string module = s.pam_module.native();
  return std::string(kManagedMarker) + " postgres, for instance " + s.instance +
         ": run it again to change this file.\n"
         "# PostgreSQL's pg_hba.conf lines `pam pamservice=" + s.pam_service +
         "` check RDS auth tokens through the iamdb daemon.\n"
         "# tls=assume is right because only hostssl lines name this service.\n"
         "auth    required " + module + " " + pam_arguments(s) + "\n"
         "account required " + module + "\n";
}

std::string postgres_instructions(const PostgresSettings& s, std::string_view api_url) {
  std::string out;
  const auto indent = [&out](std::string_view text) { out += indented(text); };
  out += "IAM database authentication for PostgreSQL instance " + s.instance + "\n\n";
  out += "1. pg_hba.conf: put these lines before every other line (`--apply DIR` does it in DIR/pg_hba.conf):\n\n";
  indent(hba_block(s));
  out += "\n2. PAM service " + pam_service_path(s).native() + " (`--apply DIR` writes it):\n\n";
  indent(pam_service_file(s));
  out += "\n3. SQL, as a superuser (`--apply-sql` runs it with psql), then reload the configuration:\n\n";
  indent(std::string(kCreateRole) + ";\n" + std::string(kReload) + ";\n");
  out += "\n   PostgreSQL must serve TLS (ssl = on): IAM users are let in over TLS only.\n"
         "\n4. Mark the users that log in with IAM, exactly as on RDS:\n\n";
  indent("CREATE USER alice;\nGRANT rds_iam TO alice;\n");
  out += "\n5. Register the instance with iamdb and turn its IAM switch on, with either of:\n\n";
  indent(register_command(s.instance, "postgres", api_url));
  return out;
}

}  // namespace iamdb::setup
