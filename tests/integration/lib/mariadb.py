"""A real MariaDB 10.11 server in a temporary directory, for integration tests.

    with MariaDB(tls=server_tls) as db:
        db.sql("CREATE USER 'bob'@'%' IDENTIFIED BY 'pw'")
        db.install_plugin(path_to_so, "aws_authentication_plugin")
        result = db.client("bob", "pw", tls=True, sql="SELECT CURRENT_USER()")

The server runs as root (`mariadbd --no-defaults --user=root`) on a free loopback port with
its socket, data, plugin directory and error log inside one unique temporary directory, so
several copies of a suite can run at once. Readiness is polled; the server is shut down and the
directory removed on exit, also when a test fails.
"""
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import env

MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "mariadb-install-db"
CLIENT = "mariadb"
ADMIN = "mariadb-admin"

START_ATTEMPTS = 3
READY_TIMEOUT_S = 60


class MariaDBError(AssertionError):
    pass


class MariaDB:
    def __init__(self, tls=None, extra_args=(), load_plugins=()):
        """`tls`: a lib.tls.ServerTls, or None for a server without TLS. `load_plugins`:
        (shared object path, soname) pairs copied into plugin_dir and loaded at start-up with
        --plugin-load-add, as an option file would."""
        self.tls = tls
        self.extra_args = list(extra_args)
        self.load_plugins = list(load_plugins)
        self.base = None
        self.port = None
        self.process = None

    # Paths inside the temporary directory.
    @property
    def socket(self):
        return self.base / "mysqld.sock"

    @property
    def datadir(self):
        return self.base / "data"

    @property
    def plugin_dir(self):
        return self.base / "plugins"

    @property
    def error_log(self):
        return self.base / "error.log"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self):
        self.base = Path(tempfile.mkdtemp(prefix="iamdb-mariadb-"))
        try:
            self.plugin_dir.mkdir()
            for shared_object, soname in self.load_plugins:
                shutil.copyfile(shared_object, self.plugin_dir / f"{soname}.so")
            # Its own temporary directory: the bootstrap's temporary tables never meet another
            # run's (two copies of the suite may run side by side).
            (self.base / "tmp").mkdir()
            env.run([INSTALL_DB, "--no-defaults", "--user=root", f"--datadir={self.datadir}",
                     "--skip-test-db", "--auth-root-authentication-method=socket",
                     f"--tmpdir={self.base / 'tmp'}"], timeout=180)
            for attempt in range(START_ATTEMPTS):
                self.port = env.free_port()
                if self._launch():
                    break
                if attempt == START_ATTEMPTS - 1:
                    raise MariaDBError(f"mariadbd did not start:\n{self.log_text()}")
            self._drop_anonymous_users()
        except BaseException:
            self.close()
            raise

    def _launch(self):
        """Starts mariadbd and polls until it answers; False if the port was taken meanwhile."""
        args = [MARIADBD, "--no-defaults", "--user=root", f"--datadir={self.datadir}",
                f"--port={self.port}", f"--socket={self.socket}", "--bind-address=127.0.0.1",
                f"--pid-file={self.base / 'mysqld.pid'}", f"--log-error={self.error_log}",
                f"--plugin-dir={self.plugin_dir}", f"--tmpdir={self.base / 'tmp'}", "--skip-log-bin",
                "--innodb-buffer-pool-size=16M", "--max-connect-errors=1000000"]
        if self.tls:
            args += [f"--ssl-ca={self.tls.ca_cert}", f"--ssl-cert={self.tls.cert}",
                     f"--ssl-key={self.tls.key}"]
        args += [f"--plugin-load-add={soname}.so" for _, soname in self.load_plugins]
        args += self.extra_args
        self.error_log.write_text("")
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log_text()
                self.process = None
                if "Address already in use" in log or "Can't start server: Bind" in log:
                    return False
                raise MariaDBError(f"mariadbd exited while starting:\n{log}")
            ping = subprocess.run([ADMIN, "--no-defaults", f"--socket={self.socket}", "-uroot",
                                   "--connect-timeout=2", "ping"], capture_output=True, text=True)
            if ping.returncode == 0:
                return True
            time.sleep(0.1)  # poll interval, not a wait for time to pass
        raise MariaDBError(f"mariadbd did not answer within {READY_TIMEOUT_S}s:\n{self.log_text()}")

    def _drop_anonymous_users(self):
        hosts = self.sql("SELECT Host FROM mysql.user WHERE User = ''").split()
        for host in hosts:
            self.sql(f"DROP USER ''@'{host}'")

    def log_text(self):
        try:
            return self.error_log.read_text(errors="replace")
        except OSError:
            return ""

    def sql(self, statement, check=True):
        """Runs SQL as root over the Unix socket; returns stdout (tab-separated, no headers)."""
        result = env.run([CLIENT, "--no-defaults", f"--socket={self.socket}", "-uroot", "-N", "-B",
                          "-e", statement], check=False)
        if check and result.returncode != 0:
            raise MariaDBError(f"SQL failed: {statement}\n{result.stderr}")
        return result.stdout

    def install_plugin(self, shared_object, soname):
        """Copies the plugin into this server's plugin_dir and runs INSTALL SONAME."""
        shutil.copyfile(shared_object, self.plugin_dir / f"{soname}.so")
        self.sql(f"INSTALL SONAME '{soname}'")

    def client(self, user, password, tls=True, sql="SELECT CURRENT_USER()", timeout=60):
        """Connects over TCP with the stock `mariadb` client (which sends mysql_clear_password
        when the server asks for it); returns the CompletedProcess."""
        args = [CLIENT, "--no-defaults", "-h", "127.0.0.1", "-P", str(self.port), "-u", user,
                f"--password={password}", "-N", "-B", "--connect-timeout=30"]
        if tls:
            args += ["--ssl", f"--ssl-ca={self.tls.ca_cert}", "--ssl-verify-server-cert"]
        else:
            args += ["--skip-ssl"]
        args += ["-e", sql]
        return env.run(args, check=False, timeout=timeout)

    def close(self):
        if self.process is not None:
            self.process.terminate()  # mariadbd shuts down cleanly on SIGTERM
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None
