# Relays loopback TCP connections to a PostgreSQL server and records every read, one transcript
# file per connection, in the format of the captures next to it.
# Usage: python3 record_proxy.py LISTEN_PORT SERVER_PORT OUTPUT_DIR
import itertools
import os
import selectors
import socket
import sys

listen_port, server_port, out_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.makedirs(out_dir, exist_ok=True)
selector = selectors.DefaultSelector()
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", listen_port))
listener.listen(16)
selector.register(listener, selectors.EVENT_READ, None)
numbers = itertools.count(1)
while True:
    for key, _ in selector.select():
        if key.data is None:
            client, _ = listener.accept()
            server = socket.create_connection(("127.0.0.1", server_port))
            log = open(os.path.join(out_dir, "conn%03d.txt" % next(numbers)), "w", buffering=1)
            selector.register(client, selectors.EVENT_READ, (client, server, "C", log))
            selector.register(server, selectors.EVENT_READ, (server, client, "S", log))
            continue
        source, sink, tag, log = key.data
        try:
            data = source.recv(65536)
        except OSError:
            data = b""
        if not data:
            for s in (source, sink):
                try:
                    selector.unregister(s)
                except (KeyError, ValueError):
                    pass
                s.close()
            log.close()
            continue
        log.write("%s %s\n" % (tag, data.hex()))
        sink.sendall(data)
