#!/usr/bin/env python3
"""The two ends of W6 (relay bulk throughput): a source and a sink, each its
own process, identical for every relay measured.

  relay_ends.py sink tcp|unix-stream ADDR
      ADDR: "127.0.0.1:0" or a Unix path. Listens, prints "READY <address>",
      accepts one connection, recv_into()s a 256 KiB buffer until EOF, then
      prints {"bytes", "span"} (span: seconds between first and last receive).
  relay_ends.py source tcp|unix-stream ADDR SECS
      Connects (retrying while the relay is not listening yet, up to 20 s),
      prints "CONNECTED", sendall()s 1 MiB buffers for SECS seconds, shuts
      down its write side, reads until the relay closes, prints {"sent", "secs"}.
"""
import json
import socket
import sys
import time


def parse(transport, addr):
    if transport == "tcp":
        host, port = addr.rsplit(":", 1)
        return socket.AF_INET, (host, int(port))
    return socket.AF_UNIX, addr


def sink(transport, addr):
    family, sa = parse(transport, addr)
    ls = socket.socket(family, socket.SOCK_STREAM)
    if family == socket.AF_INET:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(sa)
    ls.listen(8)
    name = ls.getsockname()
    print("READY " + (f"{name[0]}:{name[1]}" if family == socket.AF_INET else name), flush=True)
    conn, _ = ls.accept()
    buf = bytearray(256 * 1024)
    view = memoryview(buf)
    total = 0
    first = last = None
    while True:
        n = conn.recv_into(view)
        if n == 0:
            break
        last = time.perf_counter()
        if first is None:
            first = last
        total += n
    conn.close()
    span = (last - first) if first is not None else 0.0
    print(json.dumps({"bytes": total, "span": span}), flush=True)


def source(transport, addr, secs):
    family, sa = parse(transport, addr)
    deadline = time.monotonic() + 20
    while True:
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.connect(sa)
            break
        except (ConnectionRefusedError, FileNotFoundError):
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)
    print("CONNECTED", flush=True)
    data = b"\x5a" * (1024 * 1024)
    sent = 0
    t0 = time.perf_counter()
    end = t0 + secs
    while time.perf_counter() < end:
        s.sendall(data)
        sent += len(data)
    elapsed = time.perf_counter() - t0
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()
    print(json.dumps({"sent": sent, "secs": elapsed}), flush=True)


def main():
    try:
        role, transport, addr = sys.argv[1:4]
        if role == "sink":
            sink(transport, addr)
        else:
            source(transport, addr, float(sys.argv[4]))
    except Exception as e:  # reported to the orchestrator, never a traceback only
        print(f"ERROR {type(e).__name__}: {e}", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
