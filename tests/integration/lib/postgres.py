"""A real PostgreSQL 15 server in a temporary directory, for integration tests.

    with PostgreSQL(tls=server_tls) as pg:
        pg.sql("CREATE USER bob PASSWORD 'pw'")
        pg.set_hba(["hostssl all all 127.0.0.1/32 scram-sha-256"])
        result = pg.psql("bob", "pw", sslmode="require")

PostgreSQL refuses to run as root, so initdb and the server run as the `postgres` system user
(`runuser -u postgres --`) in a unique temporary directory that user owns, on a free loopback
port, with its Unix socket inside that directory. Readiness is polled (pg_ctl -w, then
pg_isready); the server is stopped and the directory removed on exit, also when a test fails.

PAM services: `pg_hba.conf`'s `pam pamservice=NAME` makes PostgreSQL read /etc/pam.d/NAME,
which only root can create. pam_service() writes a uniquely named file there
(/etc/pam.d/iamdb-test-<random>) and removes it on exit, so suites running at once never share
one.
"""
import os
import secrets
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from . import env

BIN = Path("/usr/lib/postgresql/15/bin")
PSQL = "/usr/bin/psql"
PAM_DIR = Path("/etc/pam.d")
OS_USER = "postgres"

START_ATTEMPTS = 3
READY_TIMEOUT_S = 60

# Lines every pg_hba.conf starts with: the superuser over the Unix socket, for the fixture.
ADMIN_HBA = ["local all postgres trust"]


class PostgreSQLError(AssertionError):
    pass


def _as_postgres(args, **kwargs):
    return env.run(["runuser", "-u", OS_USER, "--", *map(str, args)], **kwargs)


class PostgreSQL:
    def __init__(self, tls=None, settings=None):
        """`tls`: a lib.tls.ServerTls (copied next to the data, owned by postgres), or None.
        `settings`: extra postgresql.conf lines as a dict."""
        self.tls_source = tls
        self.tls = None
        self.settings = dict(settings or {})
        self.base = None
        self.port = None

    @property
    def datadir(self):
        return self.base / "data"

    @property
    def socket_dir(self):
        return self.base

    @property
    def log_file(self):
        return self.base / "server.log"

    @property
    def hba_file(self):
        return self.datadir / "pg_hba.conf"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self):
        self.base = Path(tempfile.mkdtemp(prefix="iamdb-pg-"))
        try:
            os.chmod(self.base, 0o755)
            shutil.chown(self.base, OS_USER, OS_USER)
            _as_postgres([BIN / "initdb", "-D", self.datadir, "-U", "postgres", "--auth=trust",
                          "--no-sync", "-E", "UTF8", "--locale=C"], timeout=180)
            if self.tls_source:
                self.tls = self.tls_source.copy_to(self.base / "tls", owner=OS_USER)
            self.set_hba([], reload=False)
            for attempt in range(START_ATTEMPTS):
                self.port = env.free_port()
                self._write_config()
                if self._launch():
                    return
            raise PostgreSQLError(f"postgres did not start:\n{self.log_text()}")
        except BaseException:
            self.close()
            raise

    def _write_config(self):
        lines = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            "fsync": "off",
            "shared_buffers": "16MB",
            "max_connections": "40",
            "log_connections": "on",
        }
        if self.tls:
            lines.update({
                "ssl": "on",
                "ssl_cert_file": f"'{self.tls.cert}'",
                "ssl_key_file": f"'{self.tls.key}'",
                "ssl_ca_file": f"'{self.tls.ca_cert}'",
            })
        lines.update(self.settings)
        conf = self.datadir / "postgresql.auto.conf"
        conf.write_text("".join(f"{k} = {v}\n" for k, v in lines.items()))
        shutil.chown(conf, OS_USER, OS_USER)

    def _launch(self):
        """Starts the server (pg_ctl -w polls until it accepts connections, or fails) and
        checks it with pg_isready; False if the port was taken meanwhile."""
        result = _as_postgres([BIN / "pg_ctl", "-D", self.datadir, "-l", self.log_file, "-w",
                               "-t", str(READY_TIMEOUT_S), "start"], check=False,
                              timeout=READY_TIMEOUT_S + 30)
        if result.returncode != 0:
            log = self.log_text()
            if "could not bind" in log or "Address already in use" in log:
                return False
            raise PostgreSQLError(f"pg_ctl start failed:\n{result.stdout}{result.stderr}\n{log}")
        ready = subprocess.run([BIN / "pg_isready", "-h", str(self.socket_dir), "-p",
                                str(self.port), "-t", "10"], capture_output=True, text=True)
        if ready.returncode != 0:
            raise PostgreSQLError(f"postgres started but is not ready: {ready.stdout}\n{self.log_text()}")
        return True

    def log_text(self):
        try:
            return self.log_file.read_text(errors="replace")
        except OSError:
            return ""

    def sql(self, statement, database="postgres", check=True):
        """Runs SQL as the superuser over the Unix socket; returns stdout (unaligned, no headers)."""
        result = _as_postgres([PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                               self.socket_dir, "-p", self.port, "-U", "postgres", "-d", database,
                               "-c", statement], check=False)
        if check and result.returncode != 0:
            raise PostgreSQLError(f"SQL failed: {statement}\n{result.stderr}")
        return result.stdout

    def set_hba(self, lines, reload=True):
        """Replaces pg_hba.conf with the fixture's admin line followed by `lines`; reloads."""
        self.hba_file.write_text("\n".join(ADMIN_HBA + list(lines)) + "\n")
        shutil.chown(self.hba_file, OS_USER, OS_USER)
        if reload:
            self.sql("SELECT pg_reload_conf()")
            errors = self.sql("SELECT line_number, error FROM pg_hba_file_rules WHERE error IS NOT NULL")
            if errors.strip():
                raise PostgreSQLError(f"pg_hba.conf rejected: {errors}")

    def copy_into(self, path):
        """Copies a file (a PAM module, say) into the server's directory, readable by postgres."""
        target = self.base / Path(path).name
        shutil.copyfile(path, target)
        os.chmod(target, 0o644)
        return target

    def psql(self, user, password, sslmode="require", sql="SELECT current_user", database="postgres",
             timeout=60):
        """Connects over TCP as `user` with the stock psql; returns the CompletedProcess."""
        conninfo = (f"host=127.0.0.1 port={self.port} user={user} dbname={database} "
                    f"sslmode={sslmode} connect_timeout=30")
        if self.tls and sslmode in ("verify-ca", "verify-full"):
            conninfo += f" sslrootcert={self.tls.ca_cert}"
        environment = dict(os.environ, PGPASSWORD=password)
        return env.run([PSQL, "-X", "-A", "-t", conninfo, "-c", sql], check=False, env=environment,
                       timeout=timeout)

    def close(self):
        if self.base is not None and self.datadir.exists():
            _as_postgres([BIN / "pg_ctl", "-D", self.datadir, "-m", "immediate", "-w", "stop"],
                         check=False)
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None


@contextmanager
def pam_service(lines):
    """Writes /etc/pam.d/iamdb-test-<random> with `lines`; yields its name; removes it."""
    name = f"iamdb-test-{secrets.token_hex(6)}"
    path = PAM_DIR / name
    path.write_text("\n".join(lines) + "\n")
    try:
        yield name
    finally:
        path.unlink(missing_ok=True)
