#!/usr/bin/env python3
"""A database connection pool that logs in with IAM auth tokens and keeps working for as long as
the application runs, well past a token's 15 minutes.

A token is a password that expires: 15 minutes after it was signed the database refuses it. A
session that logged in with it stays open, though; only new logins need a valid token. So the
pool keeps one token and reuses it for `refresh_after` seconds (10 minutes by default, leaving
at least 5 minutes of validity when it is presented), then signs a new one for the next login.
Signing is local (boto3 computes a SigV4 signature; no request leaves the machine), so a fresh
token costs microseconds, but there is no reason to make one per connection either.

PostgreSQL goes through psycopg2, MySQL/MariaDB through PyMySQL, both over TLS that verifies
the server's certificate against --ssl-ca: a token is a bearer credential for 15 minutes and
must never cross the network in clear.

Run it as the application's identity (the usual AWS chain: AWS_ACCESS_KEY_ID..., AWS_PROFILE or
--profile, a role_arn profile...):

    python3 iam_pool.py --engine postgres --host db.example.internal --port 5432 \\
        --user app --dbname orders --ssl-ca rds-ca.pem

The workload comes from standard input so that the pool can be watched: each line is a number
N; the program borrows N connections at once, asks each who it is, gives them back and prints
one JSON line (`new` says whether the connection was opened for this request, `token_date` is
the X-Amz-Date of the token it logged in with). In an application, `with pool.connection() as
conn:` around each unit of work is all there is to it.
"""
import argparse
import json
import sys
import threading
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

TOKEN_LIFETIME_S = 15 * 60
DEFAULT_REFRESH_AFTER_S = 10 * 60


class TokenSource:
    """Signs IAM auth tokens for one (host, port, user) and reuses each one for `refresh_after`
    seconds of wall-clock time (the database judges a token's age by its own wall clock).
    Thread-safe."""

    def __init__(self, rds_client, host, port, user, refresh_after=DEFAULT_REFRESH_AFTER_S):
        if not 0 < refresh_after < TOKEN_LIFETIME_S:
            raise ValueError(f"refresh_after must be between 0 and {TOKEN_LIFETIME_S} seconds")
        self._rds = rds_client
        self._host, self._port, self._user = host, port, user
        self._refresh_after = refresh_after
        self._lock = threading.Lock()
        self._token = None
        self._signed_at = 0.0

    def token(self):
        with self._lock:
            now = time.time()
            if self._token is None or now - self._signed_at >= self._refresh_after:
                self._token = self._rds.generate_db_auth_token(
                    DBHostname=self._host, Port=self._port, DBUsername=self._user)
                self._signed_at = now
            return self._token


def token_date(token):
    """The X-Amz-Date a token was signed at (for logs; never log the token itself)."""
    return parse_qs(urlsplit("https://" + token).query).get("X-Amz-Date", ["?"])[0]


class PostgresDriver:
    """psycopg2, TLS verified against the CA."""
    who_am_i = "SELECT current_user, pg_backend_pid()"

    def __init__(self, host, port, user, dbname, ssl_ca):
        import psycopg2
        self._psycopg2 = psycopg2
        self.errors = (psycopg2.Error,)
        self._params = dict(host=host, port=port, user=user, dbname=dbname or "postgres",
                            sslmode="verify-full", sslrootcert=ssl_ca, connect_timeout=10)

    def connect(self, password):
        return self._psycopg2.connect(password=password, **self._params)

    def usable(self, conn):
        return conn.closed == 0


class MysqlDriver:
    """PyMySQL, TLS verified against the CA. The server asks for the token in clear text
    (mysql_clear_password), which PyMySQL sends only over the TLS connection it requires here."""
    who_am_i = "SELECT CURRENT_USER(), CONNECTION_ID()"

    def __init__(self, host, port, user, dbname, ssl_ca):
        import pymysql
        self._pymysql = pymysql
        self.errors = (pymysql.Error,)
        self._params = dict(host=host, port=port, user=user, database=dbname or None, connect_timeout=10,
                            ssl_ca=ssl_ca, ssl_verify_cert=True, ssl_verify_identity=True, autocommit=True)

    def connect(self, password):
        return self._pymysql.connect(password=password, **self._params)

    def usable(self, conn):
        return conn.open


class PooledConnection:
    def __init__(self, raw, token_date):
        self.raw = raw
        self.token_date = token_date
        self.new = True


class PoolExhausted(Exception):
    pass


class ConnectionPool:
    """Up to `max_size` open connections. get() hands out an idle one, or opens a new one with
    the token source's current token; put() takes it back (or closes it if it broke). Open
    connections are kept however old their token is. Thread-safe."""

    def __init__(self, driver, tokens, max_size=10, wait_timeout=30.0):
        self._driver = driver
        self._tokens = tokens
        self._max_size = max_size
        self._wait_timeout = wait_timeout
        self._idle = []
        self._open = 0
        self._available = threading.Condition()

    def get(self):
        with self._available:
            deadline = time.monotonic() + self._wait_timeout
            while True:
                while self._idle:
                    conn = self._idle.pop()
                    if self._driver.usable(conn.raw):
                        conn.new = False
                        return conn
                    self._open -= 1  # closed by the server (restart, idle timeout): forget it
                if self._open < self._max_size:
                    self._open += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._available.wait(remaining):
                    raise PoolExhausted(f"all {self._max_size} connections stayed busy for {self._wait_timeout}s")
        try:
            token = self._tokens.token()
            return PooledConnection(self._driver.connect(token), token_date(token))
        except BaseException:
            with self._available:
                self._open -= 1
                self._available.notify()
            raise

    def put(self, conn, broken=False):
        with self._available:
            if broken or not self._driver.usable(conn.raw):
                self._open -= 1
                _close_quietly(conn.raw)
            else:
                self._idle.append(conn)
            self._available.notify()

    @contextmanager
    def connection(self):
        conn = self.get()
        try:
            yield conn
        except BaseException:
            self.put(conn, broken=True)
            raise
        self.put(conn)

    def close(self):
        with self._available:
            for conn in self._idle:
                _close_quietly(conn.raw)
            self._open -= len(self._idle)
            self._idle.clear()


def _close_quietly(raw):
    try:
        raw.close()
    except Exception:
        pass


def borrow(pool, driver, count):
    """Holds `count` connections at once, asks each who it is, gives them back."""
    held = []
    try:
        for _ in range(count):
            held.append(pool.get())
        report = []
        for conn in held:
            with conn.raw.cursor() as cursor:
                cursor.execute(driver.who_am_i)
                user, backend = cursor.fetchone()
            conn.raw.commit()
            report.append({"backend": backend, "new": conn.new, "token_date": conn.token_date, "user": user})
        return {"connections": report}
    finally:
        for conn in held:
            pool.put(conn)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["postgres", "mysql", "mariadb"], required=True)
    parser.add_argument("--host", required=True, help="the endpoint clients connect to (the token names it)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True, help="database user (GRANT rds_iam / AWSAuthenticationPlugin)")
    parser.add_argument("--dbname", default="")
    parser.add_argument("--ssl-ca", required=True, help="CA certificate (PEM) that signed the server's certificate")
    parser.add_argument("--region", help="region the token is signed for (default: the profile's or AWS_REGION)")
    parser.add_argument("--profile", help="AWS profile (default: AWS_PROFILE or the default chain)")
    parser.add_argument("--max-connections", type=int, default=10)
    parser.add_argument("--refresh-after", type=int, default=DEFAULT_REFRESH_AFTER_S,
                        help="seconds a token is reused before a new one is signed (default 600)")
    args = parser.parse_args()

    import boto3
    from botocore.exceptions import BotoCoreError
    session = boto3.session.Session(profile_name=args.profile)
    rds = session.client("rds", region_name=args.region or session.region_name or "us-east-1")
    tokens = TokenSource(rds, args.host, args.port, args.user, refresh_after=args.refresh_after)
    driver_class = PostgresDriver if args.engine == "postgres" else MysqlDriver
    driver = driver_class(args.host, args.port, args.user, args.dbname, args.ssl_ca)
    pool = ConnectionPool(driver, tokens, max_size=args.max_connections)

    failed = False
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            count = int(line)
            if not 1 <= count <= args.max_connections:
                raise ValueError(f"a line must be a number from 1 to {args.max_connections}, not {line.strip()!r}")
            result = borrow(pool, driver, count)
        except (ValueError, PoolExhausted, BotoCoreError, *driver.errors) as e:
            failed = True
            result = {"error": str(e).strip()}
        print(json.dumps(result), flush=True)
    pool.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
