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
# Several listeners: with one, the kernel reuses a TIME-WAIT client port for the same
# 4-tuple (tcp_tw_reuse on loopback) and about 14,000 of 20,000 stay.
listeners = []
for _ in range(4):
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1024)
    listeners.append(ls)
for i in range(n):
    ls = listeners[i % len(listeners)]
    c = socket.create_connection(ls.getsockname())
    a, _ = ls.accept()
    c.close()  # the active close: the client end holds TIME-WAIT
    a.close()
for ls in listeners:
    ls.close()
print(f"made {n} TIME-WAIT sockets on 127.0.0.1 (they last 60 s)")
