#!/usr/bin/python3
"""The PostgreSQL gateway against the same PostgreSQL 15 directly and through PgBouncer, in one run:

  1. new connections per second: `pgbench -n -C -S` over TLS; through the gateway an IAM user
     with an auth token as the password (checked in-process, pooled backend), directly and
     through PgBouncer (session pooling, TLS to the client) a password user with SCRAM-SHA-256;
  2. select-only transactions per second over persistent connections (`pgbench -n -S`), with
     the relay's own CPU time and context switches per transaction (the gateway's and PgBouncer's
     processes);
  3. the gateway's memory per idle TLS client: RSS growth of the iamdb server with N clients
     logged in and idle, divided by N.

Then a table with the ratios and the project's targets. Not a test: nothing is asserted.

    bench/pg_gateway_bench.py [--seconds 10] [--clients 8] [--idle-clients 2000]

Uses the build named by IAMDB_BUILD_DIR (default build/release) and the integration tests'
fixtures (a real PostgreSQL 15 and a real iamdb server in temporary directories). Run as root
on a machine with postgresql-15, pgbench and pgbouncer installed.
"""
import argparse
import json
import os
import re
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


def pgbench(port, user, password, seconds, clients, connect_each):
    """Transactions per second pgbench reports (with -C, each transaction is a new connection), or
    None if pgbench hung."""
    conninfo = f"host={HOST} port={port} dbname=postgres user={user} sslmode=require"
    args = [PGBENCH, "-n", "-S", "-T", str(seconds), "-c", str(clients), "-j", "2"]
    if connect_each:
        args.append("-C")
    try:
        result = subprocess.run(args + [conninfo], capture_output=True, text=True, timeout=seconds + 60,
                                env=dict(os.environ, PGPASSWORD=password))
    except subprocess.TimeoutExpired:
        # A peer that stops answering gives no figure rather than stopping the whole run.
        print(f"  warning: pgbench on port {port} did not finish; no figure", file=sys.stderr)
        return None
    if result.returncode != 0:
        raise SystemExit(f"pgbench failed on port {port}:\n{result.stdout}\n{result.stderr}")
    match = re.search(r"^tps = ([0-9.]+)", result.stdout, re.M)
    if not match:
        raise SystemExit(f"no tps in pgbench output:\n{result.stdout}")
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    if failed and int(failed.group(1)) > 0:
        print(f"  warning: {failed.group(1)} failed transactions on port {port}", file=sys.stderr)
    return float(match.group(1))


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


def start_pgbouncer(pg, base, port, tls):
    """PgBouncer in session pooling mode in front of `pg`, TLS towards clients, SCRAM for bob."""
    directory = base / "pgbouncer"
    directory.mkdir()
    (directory / "userlist.txt").write_text(f'"bob" "{BOB_PASSWORD}"\n')
    (directory / "pgbouncer.ini").write_text(f"""[databases]
postgres = host={pg.socket_dir} port={pg.port} dbname=postgres

[pgbouncer]
listen_addr = {HOST}
listen_port = {port}
unix_socket_dir =
auth_type = scram-sha-256
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
    raise SystemExit(f"pgbouncer did not start: {(directory / 'pgbouncer.log').read_text(errors='replace')}")


def bouncer_pid(base):
    """PgBouncer's own process (runuser starts it as a child)."""
    return int((base / "pgbouncer" / "pgbouncer.pid").read_text().split()[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each pgbench run")
    parser.add_argument("--clients", type=int, default=8, help="pgbench clients")
    parser.add_argument("--idle-clients", type=int, default=2000,
                        help="idle TLS clients for the memory figure (0: skip it)")
    parser.add_argument("--targets", default="gateway,direct,pgbouncer",
                        help="which of gateway, direct, pgbouncer to measure")
    parser.add_argument("--runs", default="connect,select",
                        help="which pgbench runs: connect (-C), select (persistent connections)")
    parser.add_argument("--worker-threads", type=int, default=0,
                        help="the iamdb server's worker_threads (0: one per core)")
    args = parser.parse_args()
    if not env.IAMDB_BIN.exists():
        raise SystemExit(f"no iamdb binary at {env.IAMDB_BIN}: set IAMDB_BUILD_DIR")

    base = Path(tempfile.mkdtemp(prefix="iamdb-bench-"))
    os.chmod(base, 0o755)
    tls = make_server_tls(base / "tls")
    bouncer = None
    try:
        with PostgreSQL(tls=tls, settings={"max_connections": "200", "log_connections": "off"}) as pg, \
                IamdbServer(account_id=ACCOUNT, region=REGION,
                            settings={"worker_threads": args.worker_threads}) as iamdb:
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
            bouncer_port = env.free_port()
            bouncer = start_pgbouncer(pg, base, bouncer_port, tls)

            targets = {"gateway": (gateway_port, "alice", token), "direct": (pg.port, "bob", BOB_PASSWORD),
                       "pgbouncer": (bouncer_port, "bob", BOB_PASSWORD)}
            results = {name: (None, None) for name in targets}
            for name, (port, user, password) in targets.items():
                if name not in args.targets.split(","):
                    continue
                pgbench(port, user, password, 2, 2, True)  # warm-up: pools, caches
                runs = args.runs.split(",")
                connect = pgbench(port, user, password, args.seconds, args.clients, True) if "connect" in runs else None
                # The relay's own cost per transaction (the gateway's or PgBouncer's process), which
                # other load on the machine moves much less than it moves the rates.
                relay = {"gateway": iamdb._process.pid, "pgbouncer": bouncer_pid(base)}.get(name)
                relay_start = (cpu_seconds(relay), context_switches(relay)) if relay else None
                select = pgbench(port, user, password, args.seconds, args.clients, False) if "select" in runs else None
                results[name] = (connect, select)
                line = f"{name:10} {fmt(connect):>10} new connections/s {fmt(select):>10} select-only tps"
                if relay_start and select:
                    transactions = select * args.seconds
                    used = cpu_seconds(relay) - relay_start[0]
                    switches = context_switches(relay) - relay_start[1]
                    line += (f"   {name} CPU {used / transactions * 1e6:.1f} us and"
                             f" {switches / transactions:.2f} context switches per transaction")
                print(line, flush=True)

            before = after = per_client = None
            if args.idle_clients > 0:
                pid = iamdb._process.pid
                time.sleep(1)
                before = rss_kib(pid)
                clients = [idle_client(gateway_port, "alice", token) for _ in range(args.idle_clients)]
                time.sleep(2)  # let the gateway settle (buffers released on idle connections)
                after = rss_kib(pid)
                per_client = (after - before) / len(clients)
                for c in clients:
                    c.close()

        g, d, b = results["gateway"], results["direct"], results["pgbouncer"]
        print()
        print(f"{'':28}{'gateway':>10}{'direct':>10}{'pgbouncer':>11}{'gw/direct':>11}{'gw/pgb':>9}   target")
        print(f"{'new connections/s (-C -S)':28}{fmt(g[0]):>10}{fmt(d[0]):>10}{fmt(b[0]):>11}{ratio(g[0], d[0]):>11}"
              f"{ratio(g[0], b[0]):>9}   >=10x direct, >=2x pgbouncer")
        print(f"{'select-only tps':28}{fmt(g[1]):>10}{fmt(d[1]):>10}{fmt(b[1]):>11}{ratio(g[1], d[1]):>11}"
              f"{ratio(g[1], b[1]):>9}   >=0.8x direct, >=1.5x pgbouncer")
        if per_client is not None:
            print(f"{f'memory per idle TLS client ({args.idle_clients})':28}{per_client:8.1f}KiB"
                  f"{'':43}<=64 KiB   (RSS {before} -> {after} KiB)")
    finally:
        if bouncer is not None:
            bouncer.terminate()
            bouncer.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
