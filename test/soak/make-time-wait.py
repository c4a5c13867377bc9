#!/usr/bin/env python3
"""Leaves N idle TIME-WAIT sockets on loopback (default 20000), as a busy host has.

Each round connects to a local listener, accepts, and closes the client side
first, so the client's end sits in TIME-WAIT for 60 s. Used to check that the
test suite does not depend on how busy the host is:

    python3 test/soak/make-time-wait.py 20000 && npm test
"""
import socket
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(1024)
addr = listener.getsockname()
for _ in range(n):
    c = socket.create_connection(addr)
    a, _ = listener.accept()
    c.close()  # the active close: the client end holds TIME-WAIT
    a.close()
listener.close()
print(f"made {n} TIME-WAIT sockets to {addr[0]}:{addr[1]}")
