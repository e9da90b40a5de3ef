"""A throwaway certificate authority and server certificate for tests, made with the openssl
CLI: EC P-256 keys, valid for one day, the server certificate naming localhost, 127.0.0.1
and ::1 unless told otherwise. `issue_server_cert` has an existing CA sign another server
certificate (one naming a different host, say)."""
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import env


@dataclass(frozen=True)
class ServerTls:
    """Paths of a CA certificate and of a server certificate and key it signed."""
    ca_cert: Path
    cert: Path
    key: Path

    def copy_to(self, directory, owner=None):
        """Copies the three files into `directory` (key 0600), optionally chowned to `owner`
        (a user name), for servers that insist on owning their key."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        copied = ServerTls(directory / "ca.crt", directory / "server.crt", directory / "server.key")
        for source, target in ((self.ca_cert, copied.ca_cert), (self.cert, copied.cert),
                               (self.key, copied.key)):
            shutil.copyfile(source, target)
            os.chmod(target, 0o600 if target == copied.key else 0o644)
            if owner:
                shutil.chown(target, owner, owner)
        return copied


def _openssl(*args, cwd):
    env.run(["openssl", *args], cwd=cwd)


CURVE = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


def make_server_tls(directory, common_name="localhost",
                    alt_names=("DNS:localhost", "IP:127.0.0.1", "IP:::1")):
    """Creates ca.crt/ca.key and server.crt/server.key in `directory`; returns a ServerTls."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", *CURVE, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
             "-subj", "/CN=iamdb test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    os.chmod(directory / "ca.key", 0o600)
    return issue_server_cert(directory, directory, common_name, alt_names)


def issue_server_cert(ca_directory, directory, common_name, alt_names):
    """Has the CA made by make_server_tls in `ca_directory` (its ca.crt and ca.key) sign a new
    server certificate and key, server.crt/server.key in `directory` (with a copy of ca.crt);
    returns a ServerTls."""
    ca_directory, directory = Path(ca_directory).resolve(), Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if directory.resolve() != ca_directory:
        shutil.copyfile(ca_directory / "ca.crt", directory / "ca.crt")
    _openssl("req", "-new", *CURVE, "-keyout", "server.key", "-out", "server.csr",
             "-subj", f"/CN={common_name}", cwd=directory)
    (directory / "server.ext").write_text(
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        f"subjectAltName={','.join(alt_names)}\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", str(ca_directory / "ca.crt"), "-CAkey",
             str(ca_directory / "ca.key"), "-CAcreateserial", "-out", "server.crt", "-days", "1",
             "-extfile", "server.ext", cwd=directory)
    os.chmod(directory / "server.key", 0o600)
    return ServerTls(directory / "ca.crt", directory / "server.crt", directory / "server.key")


def verify_chain(server_tls):
    """Raises if the server certificate does not verify against the CA (a self-check)."""
    result = subprocess.run(["openssl", "verify", "-CAfile", str(server_tls.ca_cert),
                             str(server_tls.cert)], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"test certificate does not verify: {result.stdout}{result.stderr}")
