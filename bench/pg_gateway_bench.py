#!/usr/bin/python3
"""The PostgreSQL gateway against the same PostgreSQL 15 directly and through PgBouncer, in one run:

  1. new connections per second: `pgbench -n -C -S` over TLS; through the gateway an IAM user
     with an auth token as the password (checked in-process, pooled backend), directly a
     password user with SCRAM-SHA-256, and through PgBouncer (session pooling, TLS to the
     client) the same user twice: with SCRAM-SHA-256 (`pgbouncer`), and with a cleartext password
     (`pgbouncer-clear`, auth_type plain), which asks of the client what a token does;
  2. select-only transactions per second over persistent connections (`pgbench -n -S`);
  3. the gateway's memory per idle TLS client: RSS growth of the iamdb server with N clients
     logged in and idle, divided by N.

For 1 and 2 it also prints the CPU time pgbench (the client) and the relay (the gateway's or
PgBouncer's process) spend per new connection and per transaction, and the relay's context
switches: on a small machine where all of them share the cores, these tell who the rate is
waiting for. The targets take turns, round after round, and the table shows the median of the
rounds with the ratios and the project's targets. Not a test: nothing is asserted.

    bench/pg_gateway_bench.py [--seconds 10] [--clients 8] [--rounds 3] [--idle-clients 2000]

Uses the build named by IAMDB_BUILD_DIR (default build/release) and the integration tests'
fixtures (a real PostgreSQL 15 and a real iamdb server in temporary directories). Run as root
on a machine with postgresql-15, pgbench and pgbouncer installed.
"""
import argparse
import json
import os
import re
import resource
import secrets
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from lib import env  # noqa: E402
from lib.iamdb import IamdbServer  # noqa: E402
from lib.postgres import PostgreSQL  # noqa: E402
from lib.tls import make_server_tls  # noqa: E402

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
PGBOUNCER = "/usr/sbin/pgbouncer"
HOST = "127.0.0.1"
REGION = "us-east-1"
ACCOUNT = "123456789012"
INSTANCE = "bench"
BOB_PASSWORD = "bob-" + secrets.token_hex(8)
MONITOR_PASSWORD = "monitor-" + secrets.token_hex(8)
TARGETS = ("gateway", "direct", "pgbouncer", "pgbouncer-clear")


def pgbench(port, user, password, seconds, clients, connect_each):
    """Transactions per second pgbench reports (with -C, each transaction is a new connection) and
    the CPU seconds pgbench used, or (None, None) if pgbench hung."""
    conninfo = f"host={HOST} port={port} dbname=postgres user={user} sslmode=require"
    args = [PGBENCH, "-n", "-S", "-T", str(seconds), "-c", str(clients), "-j", "2"]
    if connect_each:
        args.append("-C")
    start = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        result = subprocess.run(args + [conninfo], capture_output=True, text=True, timeout=seconds + 60,
                                env=dict(os.environ, PGPASSWORD=password))
    except subprocess.TimeoutExpired:
        # A peer that stops answering gives no figure rather than stopping the whole run.
        print(f"  warning: pgbench on port {port} did not finish; no figure", file=sys.stderr)
        return None, None
    end = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = end.ru_utime + end.ru_stime - start.ru_utime - start.ru_stime
    if result.returncode != 0:
        raise SystemExit(f"pgbench failed on port {port}:\n{result.stdout}\n{result.stderr}")
    match = re.search(r"^tps = ([0-9.]+)", result.stdout, re.M)
    if not match:
        raise SystemExit(f"no tps in pgbench output:\n{result.stdout}")
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    if failed and int(failed.group(1)) > 0:
        print(f"  warning: {failed.group(1)} failed transactions on port {port}", file=sys.stderr)
    return float(match.group(1)), client_cpu


class Cost:
    """CPU time of the client and of the relay, and the relay's context switches, per operation of
    one pgbench run."""

    def __init__(self, relay_pid):
        self.relay_pid = relay_pid
        self.relay_start = (cpu_seconds(relay_pid), context_switches(relay_pid)) if relay_pid else None

    def finish(self, rate, client_cpu, seconds):
        if not rate:
            return None
        operations = rate * seconds
        cost = {"client_us": client_cpu / operations * 1e6}
        if self.relay_start:
            cost["relay_us"] = (cpu_seconds(self.relay_pid) - self.relay_start[0]) / operations * 1e6
            cost["switches"] = (context_switches(self.relay_pid) - self.relay_start[1]) / operations
        return cost


def fmt_cost(cost):
    if cost is None:
        return "n/a"
    text = f"client {cost['client_us']:.0f} us"
    if "relay_us" in cost:
        text += f", relay {cost['relay_us']:.0f} us and {cost['switches']:.2f} context switches"
    return text


def median_of(samples):
    """The median rate of a target's rounds (None if it has none or every round hung)."""
    rates = sorted(rate for rate, _ in samples or [] if rate is not None)
    return rates[len(rates) // 2] if rates else None


def median_cost(samples):
    """The CPU figures of the round whose rate is the median."""
    rate = median_of(samples)
    return next((cost for r, cost in samples if r == rate), None)


def fmt(value):
    return "n/a" if value is None else f"{value:.0f}"


def ratio(a, b):
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def cpu_seconds(pid):
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def context_switches(pid):
    """Times the process's threads have given up a CPU so far (waiting, or pre-empted)."""
    total = 0
    for status in Path(f"/proc/{pid}/task").glob("*/status"):
        try:
            for line in status.read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                    total += int(line.split()[1])
        except FileNotFoundError:  # a thread that ended meanwhile
            pass
    return total


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit(f"no VmRSS for {pid}")


def idle_client(port, user, token):
    """A TLS client logged in through the gateway and left idle; returns its socket."""
    sock = socket.create_connection((HOST, port), timeout=30)
    sock.sendall(struct.pack("!II", 8, 80877103))
    if sock.recv(1) != b"S":
        raise SystemExit("the gateway refused TLS")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sock = context.wrap_socket(sock)
    body = struct.pack("!I", 196608) + b"user\0" + user.encode() + b"\0database\0postgres\0\0"
    sock.sendall(struct.pack("!I", len(body) + 4) + body)
    buffer = b""

    def message():
        nonlocal buffer
        while len(buffer) < 5 or len(buffer) < 1 + struct.unpack("!I", buffer[1:5])[0]:
            chunk = sock.recv(65536)
            if not chunk:
                raise SystemExit("the gateway closed an idle client's log-in")
            buffer += chunk
        length = struct.unpack("!I", buffer[1:5])[0]
        kind, body, buffer = buffer[0:1], buffer[5:1 + length], buffer[1 + length:]
        return kind, body

    while True:
        kind, payload = message()
        if kind == b"R" and struct.unpack("!I", payload[:4])[0] == 3:
            password = token.encode() + b"\0"
            sock.sendall(b"p" + struct.pack("!I", len(password) + 4) + password)
        elif kind == b"E":
            raise SystemExit(f"log-in refused: {payload!r}")
        elif kind == b"Z":
            return sock


def start_pgbouncer(pg, directory, port, tls, auth_type, secret):
    """PgBouncer in session pooling mode in front of `pg`, TLS towards clients, bob logging in
    with `auth_type` against `secret` (what its auth_file keeps)."""
    directory.mkdir()
    (directory / "userlist.txt").write_text(f'"bob" "{secret}"\n')
    (directory / "pgbouncer.ini").write_text(f"""[databases]
postgres = host={pg.socket_dir} port={pg.port} dbname=postgres

[pgbouncer]
listen_addr = {HOST}
listen_port = {port}
unix_socket_dir =
auth_type = {auth_type}
auth_file = {directory}/userlist.txt
pool_mode = session
max_client_conn = 3000
default_pool_size = 40
client_tls_sslmode = require
client_tls_cert_file = {tls.cert}
client_tls_key_file = {tls.key}
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
""")
    copied = tls.copy_to(directory / "tls", owner="postgres")
    text = (directory / "pgbouncer.ini").read_text()
    text = text.replace(str(tls.cert), str(copied.cert)).replace(str(tls.key), str(copied.key))
    (directory / "pgbouncer.ini").write_text(text)
    shutil.chown(directory, "postgres", "postgres")
    for f in directory.iterdir():
        shutil.chown(f, "postgres", "postgres")
    # Its log goes to logfile; stderr must not be a pipe nobody reads, or PgBouncer blocks writing
    # to it once the pipe fills (one warning per client that hangs up without a TLS close_notify).
    process = subprocess.Popen(["runuser", "-u", "postgres", "--", PGBOUNCER, str(directory / "pgbouncer.ini")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)  # poll interval while PgBouncer starts
    process.kill()
    process.wait()
    raise SystemExit(f"pgbouncer did not start: {(directory / 'pgbouncer.log').read_text(errors='replace')}")


def bouncer_pid(directory):
    """PgBouncer's own process (runuser starts it as a child)."""
    return int((directory / "pgbouncer.pid").read_text().split()[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each pgbench run")
    parser.add_argument("--clients", type=int, default=8, help="pgbench clients")
    parser.add_argument("--idle-clients", type=int, default=2000,
                        help="idle TLS clients for the memory figure (0: skip it)")
    parser.add_argument("--targets", default=",".join(TARGETS),
                        help="which of " + ", ".join(TARGETS) + " to measure")
    parser.add_argument("--runs", default="connect,select",
                        help="which pgbench runs: connect (-C), select (persistent connections)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds over all targets; the table shows each figure's median")
    parser.add_argument("--worker-threads", type=int, default=0,
                        help="the iamdb server's worker_threads (0: one per core)")
    parser.add_argument("--cpu-steering", choices=("loopback", "always", "never"), default="loopback",
                        help="the iamdb server's [gateway] cpu_steering (the gateway listens on a loopback address)")
    args = parser.parse_args()
    requested = args.targets.split(",")
    if unknown := set(requested) - set(TARGETS):
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    if not env.IAMDB_BIN.exists():
        raise SystemExit(f"no iamdb binary at {env.IAMDB_BIN}: set IAMDB_BUILD_DIR")

    base = Path(tempfile.mkdtemp(prefix="iamdb-bench-"))
    os.chmod(base, 0o755)
    tls = make_server_tls(base / "tls")
    bouncers = {}
    try:
        with PostgreSQL(tls=tls, settings={"max_connections": "200", "log_connections": "off"}) as pg, \
                IamdbServer(account_id=ACCOUNT, region=REGION,
                            settings={"worker_threads": args.worker_threads,
                                      "gateway.cpu_steering": args.cpu_steering}) as iamdb:
            pg.set_hba(["local   all +rds_iam trust",
                        "hostssl all all 127.0.0.1/32 scram-sha-256",
                        "local   all all scram-sha-256"])
            pg.sql("CREATE ROLE rds_iam")
            pg.sql("CREATE USER alice IN ROLE rds_iam")
            pg.sql(f"CREATE USER bob PASSWORD '{BOB_PASSWORD}'")
            pg.sql(f"CREATE USER iamdb_monitor PASSWORD '{MONITOR_PASSWORD}'")
            env.run(["runuser", "-u", "postgres", "--", PGBENCH, "-i", "-s", "1", "-q", "-h", str(pg.socket_dir),
                     "-p", str(pg.port), "-U", "postgres", "postgres"], timeout=300)
            pg.sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO alice, bob")

            iamdb.aws("iam", "create-user", "--user-name", "alice")
            policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "rds-db:connect",
                                                              "Resource": "*"}]}
            iamdb.aws("iam", "put-user-policy", "--user-name", "alice", "--policy-name", "connect",
                      "--policy-document", json.dumps(policy))
            key = iamdb.aws_json("iam", "create-access-key", "--user-name", "alice")["AccessKey"]
            gateway_port = env.free_port()
            env.run([str(env.IAMDB_BIN), "instance", "add", "--data-dir", str(iamdb.data_dir), "--id", INSTANCE,
                     "--engine", "postgres", "--endpoint", f"{HOST}:{gateway_port}", "--enable-iam",
                     "--gateway-listen", f"{HOST}:{gateway_port}", "--backend",
                     str(pg.socket_dir / f".s.PGSQL.{pg.port}"), "--backend-auth", "trust",
                     "--max-backends", "40", "--backend-password", f"iamdb_monitor={MONITOR_PASSWORD}"])
            token = env.run([str(env.IAMDB_BIN), "generate-db-auth-token", "--hostname", HOST, "--port",
                             str(gateway_port), "--region", REGION, "--username", "alice"],
                            env={"PATH": os.environ["PATH"], "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                                 "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
                                 "HOME": str(base)}).stdout.strip()
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection((HOST, gateway_port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"the gateway does not listen:\n{iamdb.log()}")
                    time.sleep(0.1)  # poll interval while the listener starts
            # PgBouncer keeps bob's SCRAM verifier, as PostgreSQL does (an auth_query would fetch
            # the same), so a SCRAM login costs it no key derivation; with auth_type plain it
            # compares the cleartext password the client sends over TLS, as the gateway's token is.
            verifier = pg.sql("SELECT rolpassword FROM pg_authid WHERE rolname = 'bob'").strip()
            for name, auth_type, secret in (("pgbouncer", "scram-sha-256", verifier),
                                            ("pgbouncer-clear", "plain", BOB_PASSWORD)):
                if name in requested:
                    port = env.free_port()
                    bouncers[name] = (port, start_pgbouncer(pg, base / name, port, tls, auth_type, secret))

            targets = {"gateway": (gateway_port, "alice", token), "direct": (pg.port, "bob", BOB_PASSWORD)}
            targets.update({name: (port, "bob", BOB_PASSWORD) for name, (port, _) in bouncers.items()})
            wanted = [name for name in targets if name in requested]
            runs = [(run, run == "connect") for run in ("connect", "select") if run in args.runs.split(",")]
            for name in wanted:
                port, user, password = targets[name]
                pgbench(port, user, password, 2, 2, True)  # warm-up: pools, caches
            # samples[name, run]: (rate, cost) of each round. The rounds interleave the targets, so
            # a slow spell of the machine falls on all of them rather than on one.
            samples = {}
            for round_number in range(1, args.rounds + 1):
                for name in wanted:
                    port, user, password = targets[name]
                    # The relay's own process: the gateway's or PgBouncer's.
                    relay = iamdb.pid if name == "gateway" else \
                        bouncer_pid(base / name) if name in bouncers else None
                    for run, connect_each in runs:
                        cost = Cost(relay)
                        rate, client_cpu = pgbench(port, user, password, args.seconds, args.clients, connect_each)
                        samples.setdefault((name, run), []).append((rate, cost.finish(rate, client_cpu, args.seconds)))
                        unit = "new connections/s" if connect_each else "select-only tps"
                        print(f"round {round_number}  {name:16} {fmt(rate):>6} {unit:18} "
                              f"({fmt_cost(samples[name, run][-1][1])})", flush=True)
            results = {name: tuple(median_of(samples.get((name, run))) for run in ("connect", "select"))
                       for name in TARGETS}

            before = after = per_client = None
            if args.idle_clients > 0:
                pid = iamdb.pid
                time.sleep(1)
                before = rss_kib(pid)
                clients = [idle_client(gateway_port, "alice", token) for _ in range(args.idle_clients)]
                time.sleep(2)  # let the gateway settle (buffers released on idle connections)
                after = rss_kib(pid)
                per_client = (after - before) / len(clients)
                for c in clients:
                    c.close()

        g, d, b, c = (results[name] for name in TARGETS)
        print()
        if args.rounds > 1:
            print(f"median of {args.rounds} rounds; CPU per operation from the round with the median rate")
            for name in wanted:
                for run, _ in runs:
                    rates = sorted(rate for rate, _ in samples[name, run] if rate is not None)
                    spread = f"{fmt(rates[0])}-{fmt(rates[-1])}" if rates else "n/a"
                    print(f"  {name:16} {run:8} {spread:>12}  ({fmt_cost(median_cost(samples[name, run]))})")
            print()
        print(f"{'':28}{'gateway':>10}{'direct':>10}{'pgbouncer':>11}{'pgb-clear':>11}"
              f"{'gw/direct':>11}{'gw/pgb':>9}{'gw/pgb-clear':>14}   target")
        for row, label, target in ((0, "new connections/s (-C -S)", ">=10x direct, >=2x pgbouncer"),
                                   (1, "select-only tps", ">=0.8x direct, >=1.5x pgbouncer")):
            print(f"{label:28}{fmt(g[row]):>10}{fmt(d[row]):>10}{fmt(b[row]):>11}{fmt(c[row]):>11}"
                  f"{ratio(g[row], d[row]):>11}{ratio(g[row], b[row]):>9}{ratio(g[row], c[row]):>14}   {target}")
        if per_client is not None:
            print(f"{f'memory per idle TLS client ({args.idle_clients})':28}{per_client:8.1f}KiB"
                  f"{'':68}<=64 KiB   (RSS {before} -> {after} KiB)")
    finally:
        for _, process in bouncers.values():
            process.terminate()
            process.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
