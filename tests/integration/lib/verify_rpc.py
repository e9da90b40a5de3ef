"""A client of iamdb's verify RPC (docs/verify-rpc.md) for tests: one request line, one answer."""
import json
import socket


def verify(socket_path, instance, user, token, client_addr="10.0.0.7", tls=True, timeout=10):
    """Sends one request on a fresh connection and returns the parsed answer."""
    request = {"v": 1, "instance": instance, "user": user, "token": token, "client_addr": client_addr, "tls": tls}
    return exchange(socket_path, (json.dumps(request) + "\n").encode(), timeout)


def exchange(socket_path, data, timeout=10):
    """Sends raw bytes and returns the first answer line, parsed (None if the server closed)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(socket_path)
        s.sendall(data)
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    return json.loads(answer) if answer else None
