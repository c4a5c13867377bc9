"""Python asyncio side of the sockit benchmark, for context.

Same line protocol as every worker (see bench/workers/common.mjs):

    python3 asyncio_worker.py server|client W1..W5 TRANSPORT PARAMS_JSON

Written the idiomatic fast way: Protocol callbacks, not the streams API, on
the default event loop (no uvloop). asyncio sets TCP_NODELAY on TCP
transports itself. It has TCP (IPv4 and IPv6), UDP, Unix stream and Unix
datagram endpoints; no SOCK_SEQPACKET. ICMP echo (transport "icmp") has no
endpoint either: it uses a non-blocking raw socket with loop.sock_sendto()
and loop.sock_recv() (Python 3.11+).
"""

import asyncio
import json
import os
import struct
import resource
import socket
import sys
import time

MSG = 64
CHUNK = 64 * 1024
msg = b"p" * MSG
chunk = b"w" * CHUNK


def reply(v):
    sys.stdout.write((v if isinstance(v, str) else json.dumps(v)) + "\n")
    sys.stdout.flush()


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGESIZE")


def host_port(text):
    """ "127.0.0.1:5000" or "[::1]:5000" -> (host, port)"""
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def join_host_port(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


LOOPBACK = {"tcp": "127.0.0.1", "tcp6": "::1"}


class Counters:
    def __init__(self):
        self.accepted = 0
        self.reset()

    def reset(self):
        self.msgs = self.bytes = 0
        self.first = self.last = 0.0

    def count(self, n):
        t = time.perf_counter()
        if self.msgs == 0:
            self.first = t
        self.last = t
        self.msgs += 1
        self.bytes += n


# ---------- server side ------------------------------------------------------


class StreamServer(asyncio.Protocol):
    def __init__(self, workload, counters, keep):
        self.w, self.c, self.keep = workload, counters, keep

    def connection_made(self, transport):
        self.t = transport
        self.c.accepted += 1
        if self.w == "W4":
            transport.close()
        elif self.w == "W5":
            self.keep.append(transport)

    def data_received(self, data):
        if self.w == "W1":
            self.t.write(data)
        else:
            self.c.count(len(data))


class DgramServer(asyncio.DatagramProtocol):
    def __init__(self, workload, counters):
        self.w, self.c = workload, counters

    def connection_made(self, transport):
        self.t = transport

    def datagram_received(self, data, addr):
        if self.w == "W1":
            self.t.sendto(data, addr)
        else:
            self.c.count(len(data))


async def serve(workload, transport, params, stdin):
    loop = asyncio.get_running_loop()
    c = Counters()
    keep = []
    backlog = params.get("backlog", 4096)
    if transport in LOOPBACK:
        host = LOOPBACK[transport]
        srv = await loop.create_server(
            lambda: StreamServer(workload, c, keep), host, 0, backlog=backlog
        )
        address = join_host_port(host, srv.sockets[0].getsockname()[1])
    elif transport == "unix-stream":
        await loop.create_unix_server(
            lambda: StreamServer(workload, c, keep), params["path"], backlog=backlog
        )
        address = params["path"]
    elif transport == "udp":
        t, _ = await loop.create_datagram_endpoint(
            lambda: DgramServer(workload, c), local_addr=("127.0.0.1", 0)
        )
        address = "127.0.0.1:%d" % t.get_extra_info("sockname")[1]
    elif transport == "unix-dgram":
        await loop.create_datagram_endpoint(
            lambda: DgramServer(workload, c), local_addr=params["path"], family=socket.AF_UNIX
        )
        address = params["path"]
    elif transport == "icmp":
        address = "127.0.0.1"  # the kernel answers echo requests
    else:
        raise RuntimeError("asyncio has no %s" % transport)
    base = rss()
    reply("READY " + address)
    while True:
        line = await stdin.readline()
        if not line:
            return
        line = line.decode().strip()
        if line == "RESET":
            c.reset()
            reply("OK")
        elif line == "STAT":
            if workload == "W5":
                await asyncio.sleep(0.05)  # let the last connections land, as the JS workers do
            reply(
                {
                    "msgs": c.msgs,
                    "bytes": c.bytes,
                    "span": c.last - c.first,
                    "accepted": c.accepted,
                    "rss": rss(),
                    "base": base,
                }
            )
        else:
            reply("ERROR unknown command " + line)


# ---------- client side ------------------------------------------------------


class PingPong:
    """W1 driven from the protocol callbacks: no task switch per round trip."""

    def __init__(self):
        self.send = None
        self.done = None

    def start(self, secs):
        loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        self.ops = self.got = 0
        self.t0 = time.perf_counter()
        self.end = self.t0 + secs
        self.send(msg)
        return self.done

    def received(self, n):
        self.got += n
        if self.got < MSG or self.done is None:
            return
        self.got -= MSG
        self.ops += 1
        t = time.perf_counter()
        if t < self.end:
            self.send(msg)
        else:
            done, self.done = self.done, None
            done.set_result({"ops": self.ops, "secs": t - self.t0})


class StreamClient(asyncio.Protocol):
    def __init__(self, pp=None, closed=None):
        self.pp, self.closed = pp, closed
        self.paused = None

    def connection_made(self, transport):
        self.t = transport

    def data_received(self, data):
        if self.pp:
            self.pp.received(len(data))

    def pause_writing(self):
        self.paused = asyncio.get_running_loop().create_future()

    def resume_writing(self):
        if self.paused:
            self.paused.set_result(None)
            self.paused = None

    def connection_lost(self, exc):
        if self.closed and not self.closed.done():
            self.closed.set_result(exc is None)


class DgramClient(asyncio.DatagramProtocol):
    def __init__(self, pp):
        self.pp = pp
        self.paused = None

    def datagram_received(self, data, addr):
        self.pp.received(len(data))

    def error_received(self, exc):
        pass

    def pause_writing(self):
        self.paused = asyncio.get_running_loop().create_future()

    def resume_writing(self):
        if self.paused:
            self.paused.set_result(None)
            self.paused = None


async def open_stream(transport, address, factory):
    loop = asyncio.get_running_loop()
    if transport in LOOPBACK:
        host, port = host_port(address)
        return await loop.create_connection(factory, host, port)
    return await loop.create_unix_connection(factory, address)


class Ping:
    """W1 over icmp: sock_sendto() one 64-byte echo request (8-byte header,
    56 bytes of payload), sock_recv() until its reply comes, repeat. The raw
    socket also reads our own request and anyone else's ICMP: skip all but
    the echo reply with our identifier and sequence (after the IPv4 header).
    A fresh raw socket per run: one left open while the other implementations
    measure would fill with their ICMP and drop our first reply."""

    def __init__(self, host):
        self.to = (host, 0)
        self.id = os.getpid() & 0xFFFF
        self.seq = 0
        self.payload = b"p" * (MSG - 8)
        self.open().close()  # fails now if raw sockets are not allowed

    def open(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.setblocking(False)
        return s

    def request(self):
        head = struct.pack("!BBHHH", 8, 0, 0, self.id, self.seq) + self.payload
        total = sum(struct.unpack("!32H", head))
        while total > 0xFFFF:
            total = (total & 0xFFFF) + (total >> 16)
        return struct.pack("!BBHHH", 8, 0, ~total & 0xFFFF, self.id, self.seq) + self.payload

    async def run(self, secs):
        loop = asyncio.get_running_loop()
        s = self.open()
        ops = 0
        t0 = time.perf_counter()
        end = t0 + secs
        now = t0
        while now < end:
            self.seq = (self.seq + 1) & 0xFFFF
            await loop.sock_sendto(s, self.request(), self.to)
            want = (0, self.id, self.seq)
            while True:
                b = await loop.sock_recv(s, 2048)
                ihl = (b[0] & 0x0F) * 4
                if len(b) >= ihl + 8 and (b[ihl], *struct.unpack_from("!HH", b, ihl + 4)) == want:
                    break
            ops += 1
            now = time.perf_counter()
        s.close()
        return {"ops": ops, "secs": now - t0}


async def flood(t, proto, buf, secs, dgram):
    """W2/W3 sender: write until the transport asks us to pause."""
    sent = 0
    t0 = time.perf_counter()
    end = t0 + secs
    now = t0
    while now < end:
        for _ in range(64):
            if dgram:
                t.sendto(buf)
            else:
                t.write(buf)
            sent += 1
            if proto.paused:
                await proto.paused
                break
        else:
            # A datagram transport never pauses on loopback UDP (the kernel
            # drops instead); let the loop breathe now and then.
            if dgram:
                await asyncio.sleep(0)
        now = time.perf_counter()
    return {"sent": sent, "bytes": sent * len(buf), "secs": now - t0}


async def connect_rate(transport, address, secs, window):
    """W4: `window` connections in flight, each ends when the server closes it."""
    loop = asyncio.get_running_loop()
    ops = failed = 0
    t0 = time.perf_counter()
    end = t0 + secs

    async def lane():
        nonlocal ops, failed
        while time.perf_counter() < end:
            closed = loop.create_future()
            try:
                await open_stream(transport, address, lambda: StreamClient(closed=closed))
                await closed
                ops += 1
            except OSError:
                failed += 1

    await asyncio.gather(*(lane() for _ in range(window)))
    return {"ops": ops, "failed": failed, "secs": time.perf_counter() - t0}


async def hold_many(transport, address, n, keep):
    sem = asyncio.Semaphore(64)

    async def one():
        async with sem:
            t, _ = await open_stream(transport, address, StreamClient)
            keep.append(t)

    await asyncio.gather(*(one() for _ in range(n)))
    return {"ops": len(keep), "secs": 0}


async def drive(workload, transport, params, stdin):
    loop = asyncio.get_running_loop()
    line = (await stdin.readline()).decode().strip()
    if not line.startswith("ADDR "):
        return
    address = line[5:]
    base = rss()
    keep = []
    pp = PingPong()
    t = proto = None
    dgram = transport in ("udp", "unix-dgram")
    ping = None
    if transport == "icmp":
        ping = Ping(address)
    elif dgram:
        if transport == "udp":
            t, proto = await loop.create_datagram_endpoint(
                lambda: DgramClient(pp), remote_addr=host_port(address)
            )
        else:
            t, proto = await loop.create_datagram_endpoint(
                lambda: DgramClient(pp),
                local_addr=params["cpath"],
                remote_addr=address,
                family=socket.AF_UNIX,
            )
        pp.send = t.sendto
    elif workload in ("W1", "W2", "W3"):
        t, proto = await open_stream(transport, address, lambda: StreamClient(pp))
        pp.send = t.write
    reply("OK")
    while True:
        line = await stdin.readline()
        if not line:
            return
        line = line.decode().strip()
        if not line.startswith("RUN "):
            reply("ERROR unknown command " + line)
            continue
        secs = float(line[4:])
        if ping:
            result = await ping.run(secs)
        elif workload == "W1":
            result = await pp.start(secs)
        elif workload == "W2":
            result = await flood(t, proto, msg, secs, dgram)
        elif workload == "W3":
            result = await flood(t, proto, chunk, secs, False)
        elif workload == "W4":
            result = await connect_rate(transport, address, secs, params.get("window", 16))
        else:
            result = await hold_many(transport, address, params.get("n", 1000), keep)
            await asyncio.sleep(0.1)
            result.update(rss=rss(), base=base)
        reply(result)


async def main():
    role, workload, transport, params = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    if role == "server":
        await serve(workload, transport, params, stdin)
    else:
        await drive(workload, transport, params, stdin)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Exception as e:  # report, never hang the orchestrator
        reply("ERROR %s: %s" % (type(e).__name__, e))
        sys.exit(2)
    os._exit(0)
