// Whether a MariaDB 10.11 client connection uses TLS, asked from inside an auth plugin.
//
// The plugin API of 10.11 does not say: MYSQL_PLUGIN_VIO_INFO reports a TLS connection as
// plain TCP or socket (its `tls` member arrived in later servers). The server's own status
// variable `Ssl_version` does know: its value is computed for a session by a function that
// mariadbd lists in its exported `status_vars` table. find_tls_status() looks that entry up
// once (from the plugin's init); session_tls() then calls it for the connecting session, the
// same value `SHOW SESSION STATUS LIKE 'Ssl_version'` shows. When the table or the entry is
// missing (another server build), every session is kUnknown and the plugin refuses logins
// that require TLS.
//
// find_tls_status() must run before session_tls() and not concurrently with it; after that
// session_tls() is thread-safe.
#pragma once

#include <string>

struct THD;

namespace iamdb::mariadb {

enum class SessionTls { kTls, kPlain, kUnknown };

// Looks up the server's `Ssl_version` status function; false, with `problem` saying why, if
// this server does not export it.
bool find_tls_status(std::string& problem);

SessionTls session_tls(THD* thd);

}  // namespace iamdb::mariadb
