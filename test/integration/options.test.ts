/**
 * Socket options on real sockets: a table-driven round trip per settable
 * option (the default differs from the value set, and reading back gives the
 * value set — or what Linux makes of it, as socket2's `test!` macro encodes
 * the doubled SO_RCVBUF), the read-only options, multicast membership on lo,
 * and the errors.
 *
 * Privileged rows (CAP_NET_ADMIN / CAP_NET_RAW) skip with the reason when not
 * running as root.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { decodeSockaddr, encodeSockaddr } from "../../src/address.js";
import { SocketError } from "../../src/errors.js";
import { AF, IP, IPPROTO, POLL, SOCK, STRUCTS, TCP_STATE, UDP } from "../../src/constants.js";
import { getOption, getOptionBytes, resolveOption, setOption } from "../../src/options/index.js";
import * as raw from "../../src/raw/index.js";
import { INPROGRESS } from "../../src/raw/index.js";
import { native } from "../../src/raw/native.js";
import { newFds, openFds } from "../helpers.js";

const isRoot = process.getuid?.() === 0;
const PRIVILEGED = isRoot ? false : "needs CAP_NET_ADMIN/CAP_NET_RAW (run as root)";

/** The fds open before any test here ran (a leak check at the end compares against them). */
const fdsBefore = openFds();
const opened = new Set<number>();

function track(fd: number): number {
  opened.add(fd);
  return fd;
}
function closeFd(fd: number): void {
  if (opened.delete(fd)) raw.close(fd);
}

type Kind = "tcp4" | "udp4" | "tcp6" | "udp6" | "unix-stream" | "unix-dgram";

function open(kind: Kind): number {
  switch (kind) {
    case "tcp4":
      return track(raw.socket(AF.INET, SOCK.STREAM, 0));
    case "udp4":
      return track(raw.socket(AF.INET, SOCK.DGRAM, 0));
    case "tcp6":
      return track(raw.socket(AF.INET6, SOCK.STREAM, 0));
    case "udp6":
      return track(raw.socket(AF.INET6, SOCK.DGRAM, 0));
    case "unix-stream":
      return track(raw.socket(AF.UNIX, SOCK.STREAM, 0));
    case "unix-dgram":
      return track(raw.socket(AF.UNIX, SOCK.DGRAM, 0));
  }
}

function waitFor(fd: number, events: number): void {
  const fds = new Int32Array([fd, events, 0]);
  assert.equal(raw.poll(fds, 1, 2000), 1, `fd ${fd} ready`);
}

/** A connected loopback TCP pair [client, server-side] plus the listener. */
function tcpPair(): { client: number; server: number; listener: number } {
  const listener = open("tcp4");
  const sa = encodeSockaddr({ family: "inet", address: "127.0.0.1", port: 0 });
  raw.bind(listener, sa.bytes, sa.length);
  raw.listen(listener, 8);
  const name = Buffer.alloc(STRUCTS.sockaddr_storage!.size);
  const bound = decodeSockaddr(name, raw.getsockname(listener, name));
  const client = open("tcp4");
  const to = encodeSockaddr(bound);
  const r = raw.connect(client, to.bytes, to.length);
  if (r === INPROGRESS) waitFor(client, POLL.OUT);
  assert.equal(getOption(client, "SOL_SOCKET", "SO_ERROR"), 0);
  waitFor(listener, POLL.IN);
  const server = track(raw.accept4(listener, null, null));
  assert.ok(server >= 0);
  return { client, server, listener };
}

// ---------------------------------------------------------------------------
// Round trips.

interface Row {
  level: string;
  name: string;
  socket: Kind;
  /** The value set. */
  value: unknown;
  /** What reading back gives, when Linux changes the value (default: value). */
  expect?: unknown;
  skip?: string | false;
}

let defaultCongestion = "";
try {
  defaultCongestion = readFileSync("/proc/sys/net/ipv4/tcp_congestion_control", "utf8").trim();
} catch {
  // /proc/sys not mounted: the row below then just sets "reno".
}
const loIndex = native.ifNameToIndex("lo");

const rows: Row[] = [
  // SOL_SOCKET — socket(7)
  { level: "SOL_SOCKET", name: "SO_BINDTODEVICE", socket: "tcp4", value: "lo", skip: PRIVILEGED },
  { level: "SOL_SOCKET", name: "SO_BINDTOIFINDEX", socket: "udp4", value: loIndex, skip: PRIVILEGED },
  { level: "SOL_SOCKET", name: "SO_BROADCAST", socket: "udp4", value: true },
  { level: "SOL_SOCKET", name: "SO_BUSY_POLL", socket: "udp4", value: 50, skip: PRIVILEGED },
  { level: "SOL_SOCKET", name: "SO_DEBUG", socket: "tcp4", value: true, skip: PRIVILEGED },
  { level: "SOL_SOCKET", name: "SO_DONTROUTE", socket: "udp4", value: true },
  { level: "SOL_SOCKET", name: "SO_INCOMING_CPU", socket: "udp4", value: 0 },
  { level: "SOL_SOCKET", name: "SO_KEEPALIVE", socket: "tcp4", value: true },
  { level: "SOL_SOCKET", name: "SO_LINGER", socket: "tcp4", value: { onoff: true, linger: 7 } },
  { level: "SOL_SOCKET", name: "SO_MARK", socket: "tcp4", value: 42, skip: PRIVILEGED },
  { level: "SOL_SOCKET", name: "SO_OOBINLINE", socket: "tcp4", value: true },
  { level: "SOL_SOCKET", name: "SO_PASSCRED", socket: "unix-stream", value: true },
  { level: "SOL_SOCKET", name: "SO_PEEK_OFF", socket: "unix-dgram", value: 0 },
  { level: "SOL_SOCKET", name: "SO_PRIORITY", socket: "tcp4", value: 3 },
  // Linux doubles the buffer sizes to leave room for its bookkeeping (socket(7)).
  { level: "SOL_SOCKET", name: "SO_RCVBUF", socket: "tcp4", value: 50_000, expect: 100_000 },
  { level: "SOL_SOCKET", name: "SO_RCVLOWAT", socket: "tcp4", value: 16 },
  { level: "SOL_SOCKET", name: "SO_RCVTIMEO", socket: "tcp4", value: 1500 },
  { level: "SOL_SOCKET", name: "SO_REUSEADDR", socket: "tcp4", value: true },
  { level: "SOL_SOCKET", name: "SO_REUSEPORT", socket: "tcp4", value: true },
  { level: "SOL_SOCKET", name: "SO_RXQ_OVFL", socket: "udp4", value: true },
  { level: "SOL_SOCKET", name: "SO_SNDBUF", socket: "tcp4", value: 50_000, expect: 100_000 },
  { level: "SOL_SOCKET", name: "SO_SNDTIMEO", socket: "tcp4", value: { sec: 2, usec: 0 }, expect: 2000 },
  { level: "SOL_SOCKET", name: "SO_TIMESTAMP", socket: "udp4", value: true },
  { level: "SOL_SOCKET", name: "SO_TIMESTAMPNS", socket: "udp4", value: true },
  { level: "SOL_SOCKET", name: "SO_ZEROCOPY", socket: "tcp4", value: true },

  // IPPROTO_TCP — tcp(7)
  {
    level: "IPPROTO_TCP",
    name: "TCP_CONGESTION",
    socket: "tcp4",
    value: defaultCongestion === "reno" ? "cubic" : "reno",
  },
  { level: "IPPROTO_TCP", name: "TCP_CORK", socket: "tcp4", value: true },
  { level: "IPPROTO_TCP", name: "TCP_DEFER_ACCEPT", socket: "tcp4", value: 1 },
  { level: "IPPROTO_TCP", name: "TCP_FASTOPEN", socket: "tcp4", value: 5 },
  { level: "IPPROTO_TCP", name: "TCP_FASTOPEN_CONNECT", socket: "tcp4", value: true },
  { level: "IPPROTO_TCP", name: "TCP_INQ", socket: "tcp4", value: true },
  { level: "IPPROTO_TCP", name: "TCP_KEEPCNT", socket: "tcp4", value: 3 },
  { level: "IPPROTO_TCP", name: "TCP_KEEPIDLE", socket: "tcp4", value: 60 },
  { level: "IPPROTO_TCP", name: "TCP_KEEPINTVL", socket: "tcp4", value: 10 },
  { level: "IPPROTO_TCP", name: "TCP_LINGER2", socket: "tcp4", value: 30 },
  { level: "IPPROTO_TCP", name: "TCP_MAXSEG", socket: "tcp4", value: 1000 },
  { level: "IPPROTO_TCP", name: "TCP_NODELAY", socket: "tcp4", value: true },
  { level: "IPPROTO_TCP", name: "TCP_NOTSENT_LOWAT", socket: "tcp4", value: 16384 },
  // Quick-ack mode is the default; false enters delayed-ACK ("pingpong") mode.
  { level: "IPPROTO_TCP", name: "TCP_QUICKACK", socket: "tcp4", value: false },
  { level: "IPPROTO_TCP", name: "TCP_SYNCNT", socket: "tcp4", value: 3 },
  { level: "IPPROTO_TCP", name: "TCP_THIN_LINEAR_TIMEOUTS", socket: "tcp4", value: true },
  { level: "IPPROTO_TCP", name: "TCP_TX_DELAY", socket: "tcp4", value: 100, skip: PRIVILEGED },
  { level: "IPPROTO_TCP", name: "TCP_USER_TIMEOUT", socket: "tcp4", value: 5000 },
  { level: "IPPROTO_TCP", name: "TCP_WINDOW_CLAMP", socket: "tcp4", value: 10_000 },

  // IPPROTO_IP — ip(7)
  { level: "IPPROTO_IP", name: "IP_BIND_ADDRESS_NO_PORT", socket: "tcp4", value: true },
  { level: "IPPROTO_IP", name: "IP_FREEBIND", socket: "tcp4", value: true },
  { level: "IPPROTO_IP", name: "IP_MINTTL", socket: "tcp4", value: 10 },
  { level: "IPPROTO_IP", name: "IP_MTU_DISCOVER", socket: "udp4", value: "IP_PMTUDISC_DO", expect: IP.PMTUDISC_DO },
  { level: "IPPROTO_IP", name: "IP_MULTICAST_ALL", socket: "udp4", value: false },
  { level: "IPPROTO_IP", name: "IP_MULTICAST_IF", socket: "udp4", value: "127.0.0.1" },
  { level: "IPPROTO_IP", name: "IP_MULTICAST_LOOP", socket: "udp4", value: false },
  { level: "IPPROTO_IP", name: "IP_MULTICAST_TTL", socket: "udp4", value: 5 },
  { level: "IPPROTO_IP", name: "IP_PKTINFO", socket: "udp4", value: true },
  { level: "IPPROTO_IP", name: "IP_RECVERR", socket: "udp4", value: true },
  { level: "IPPROTO_IP", name: "IP_RECVFRAGSIZE", socket: "udp4", value: true },
  { level: "IPPROTO_IP", name: "IP_RECVORIGDSTADDR", socket: "udp4", value: true },
  { level: "IPPROTO_IP", name: "IP_RECVTOS", socket: "udp4", value: true },
  { level: "IPPROTO_IP", name: "IP_RECVTTL", socket: "udp4", value: true },
  { level: "IPPROTO_IP", name: "IP_TOS", socket: "udp4", value: 0x10 },
  { level: "IPPROTO_IP", name: "IP_TRANSPARENT", socket: "tcp4", value: true, skip: PRIVILEGED },
  { level: "IPPROTO_IP", name: "IP_TTL", socket: "udp4", value: 32 },

  // IPPROTO_IPV6 — ipv6(7)
  { level: "IPPROTO_IPV6", name: "IPV6_AUTOFLOWLABEL", socket: "udp6", value: false },
  { level: "IPPROTO_IPV6", name: "IPV6_DONTFRAG", socket: "udp6", value: true },
  { level: "IPPROTO_IPV6", name: "IPV6_FREEBIND", socket: "tcp6", value: true },
  { level: "IPPROTO_IPV6", name: "IPV6_MINHOPCOUNT", socket: "tcp6", value: 10 },
  { level: "IPPROTO_IPV6", name: "IPV6_MTU_DISCOVER", socket: "udp6", value: 2 },
  { level: "IPPROTO_IPV6", name: "IPV6_MULTICAST_ALL", socket: "udp6", value: false },
  { level: "IPPROTO_IPV6", name: "IPV6_MULTICAST_HOPS", socket: "udp6", value: 5 },
  { level: "IPPROTO_IPV6", name: "IPV6_MULTICAST_IF", socket: "udp6", value: "lo", expect: loIndex },
  { level: "IPPROTO_IPV6", name: "IPV6_MULTICAST_LOOP", socket: "udp6", value: false },
  { level: "IPPROTO_IPV6", name: "IPV6_RECVERR", socket: "udp6", value: true },
  { level: "IPPROTO_IPV6", name: "IPV6_RECVHOPLIMIT", socket: "udp6", value: true },
  { level: "IPPROTO_IPV6", name: "IPV6_RECVORIGDSTADDR", socket: "udp6", value: true },
  { level: "IPPROTO_IPV6", name: "IPV6_RECVPATHMTU", socket: "udp6", value: true },
  { level: "IPPROTO_IPV6", name: "IPV6_RECVPKTINFO", socket: "udp6", value: true },
  { level: "IPPROTO_IPV6", name: "IPV6_RECVTCLASS", socket: "udp6", value: true },
  { level: "IPPROTO_IPV6", name: "IPV6_TCLASS", socket: "udp6", value: 0x20 },
  { level: "IPPROTO_IPV6", name: "IPV6_TRANSPARENT", socket: "tcp6", value: true, skip: PRIVILEGED },
  { level: "IPPROTO_IPV6", name: "IPV6_UNICAST_HOPS", socket: "udp6", value: 32 },
  { level: "IPPROTO_IPV6", name: "IPV6_V6ONLY", socket: "tcp6", value: true },

  // IPPROTO_UDP — udp(7); the addon exports the UDP_* numbers only when its headers define them.
  ...(["UDP_CORK", "UDP_GRO"] as const).map((name): Row => ({
    level: "IPPROTO_UDP",
    name,
    socket: "udp4",
    value: true,
    skip:
      UDP[name.slice(4)] === undefined ? `${name} is not in the addon's constants (native/constants_linux.c)` : false,
  })),
  {
    level: "IPPROTO_UDP",
    name: "UDP_SEGMENT",
    socket: "udp4",
    value: 1200,
    skip: UDP.SEGMENT === undefined ? "UDP_SEGMENT is not in the addon's constants (native/constants_linux.c)" : false,
  },
];

describe("round trip: the default differs, reading back gives the value set", () => {
  for (const row of rows) {
    test(`${row.level} ${row.name} = ${JSON.stringify(row.value)}`, { skip: row.skip ?? false }, () => {
      const fd = open(row.socket);
      try {
        const expected = row.expect ?? row.value;
        const initial = getOption(fd, row.level, row.name);
        assert.notDeepStrictEqual(initial, expected, `the default of ${row.name} already equals the value under test`);
        setOption(fd, row.level, row.name, row.value);
        assert.deepStrictEqual(getOption(fd, row.level, row.name), expected);
      } finally {
        closeFd(fd);
      }
    });
  }
});

test("the round-trip table covers every promised settable option", () => {
  const promised = [
    "SO_REUSEADDR SO_REUSEPORT SO_KEEPALIVE SO_LINGER SO_RCVBUF SO_SNDBUF SO_RCVLOWAT SO_RCVTIMEO SO_SNDTIMEO",
    "SO_BROADCAST SO_BINDTODEVICE SO_PASSCRED SO_MARK SO_PRIORITY SO_OOBINLINE SO_DONTROUTE SO_TIMESTAMP SO_TIMESTAMPNS",
    "TCP_NODELAY TCP_KEEPIDLE TCP_KEEPINTVL TCP_KEEPCNT TCP_USER_TIMEOUT TCP_CONGESTION TCP_FASTOPEN TCP_MAXSEG",
    "TCP_CORK TCP_QUICKACK TCP_NOTSENT_LOWAT TCP_DEFER_ACCEPT TCP_SYNCNT IP_TTL IP_TOS IP_MULTICAST_TTL",
    "IP_MULTICAST_LOOP IP_MULTICAST_IF IP_FREEBIND IP_TRANSPARENT IP_RECVERR IP_PKTINFO IP_RECVTTL IP_RECVTOS",
    "IP_MTU_DISCOVER IP_BIND_ADDRESS_NO_PORT IPV6_V6ONLY IPV6_UNICAST_HOPS IPV6_MULTICAST_HOPS IPV6_MULTICAST_LOOP",
    "IPV6_MULTICAST_IF IPV6_RECVPKTINFO IPV6_RECVHOPLIMIT IPV6_RECVTCLASS IPV6_TCLASS IPV6_RECVERR IPV6_FREEBIND",
    "IPV6_TRANSPARENT",
  ]
    .join(" ")
    .split(" ");
  const covered = new Set(rows.map((r) => r.name));
  assert.deepEqual(
    promised.filter((n) => !covered.has(n)),
    [],
  );
});

describe("read-only options return what a user expects", () => {
  test("SO_TYPE, SO_DOMAIN, SO_PROTOCOL of TCP, UDP and Unix sockets", () => {
    const cases: [Kind, number, number, number][] = [
      ["tcp4", SOCK.STREAM, AF.INET, IPPROTO.TCP],
      ["udp6", SOCK.DGRAM, AF.INET6, IPPROTO.UDP],
      ["unix-stream", SOCK.STREAM, AF.UNIX, 0],
    ];
    for (const [kind, type, domain, protocol] of cases) {
      const fd = open(kind);
      assert.equal(getOption(fd, "SOL_SOCKET", "SO_TYPE"), type, `${kind} SO_TYPE`);
      assert.equal(getOption(fd, "SOL_SOCKET", "SO_DOMAIN"), domain, `${kind} SO_DOMAIN`);
      assert.equal(getOption(fd, "SOL_SOCKET", "SO_PROTOCOL"), protocol, `${kind} SO_PROTOCOL`);
      assert.equal(getOption(fd, "SOL_SOCKET", "SO_ERROR"), 0, `${kind} SO_ERROR`);
      closeFd(fd);
    }
  });

  test("SO_ACCEPTCONN is false, then true after listen(2)", () => {
    const fd = open("tcp4");
    assert.equal(getOption(fd, "SOL_SOCKET", "SO_ACCEPTCONN"), false);
    const sa = encodeSockaddr({ family: "inet", address: "127.0.0.1", port: 0 });
    raw.bind(fd, sa.bytes, sa.length);
    raw.listen(fd, 1);
    assert.equal(getOption(fd, "SOL_SOCKET", "SO_ACCEPTCONN"), true);
    assert.equal(getOption(fd, "IPPROTO_TCP", "TCP_INFO").state, "LISTEN");
    closeFd(fd);
  });

  test("SO_PEERCRED of a Unix socketpair is this process", () => {
    const [a, b] = raw.socketpair(AF.UNIX, SOCK.STREAM, 0).map(track) as [number, number];
    assert.deepEqual(getOption(a, "SOL_SOCKET", "SO_PEERCRED"), {
      pid: process.pid,
      uid: process.getuid!(),
      gid: process.getgid!(),
    });
    closeFd(a);
    closeFd(b);
  });

  test("SO_COOKIE is a bigint, distinct per socket and stable", () => {
    const a = open("udp4");
    const b = open("udp4");
    const ca = getOption(a, "SOL_SOCKET", "SO_COOKIE");
    assert.equal(typeof ca, "bigint");
    assert.ok(ca > 0n);
    assert.equal(getOption(a, "SOL_SOCKET", "SO_COOKIE"), ca);
    assert.notEqual(getOption(b, "SOL_SOCKET", "SO_COOKIE"), ca);
    closeFd(a);
    closeFd(b);
  });

  test("TCP_INFO of a connected loopback pair says ESTABLISHED", () => {
    const { client, server, listener } = tcpPair();
    for (const fd of [client, server]) {
      const info = getOption(fd, "IPPROTO_TCP", "TCP_INFO");
      assert.equal(info.state, "ESTABLISHED");
      assert.equal(info.stateNumber, TCP_STATE.ESTABLISHED);
      assert.equal(typeof info.rtt, "number");
      assert.ok(info.sndMss > 0);
      assert.ok(info.sndWscale <= 14 && info.rcvWscale <= 14, "window scales are 4-bit and at most 14 (RFC 7323)");
      assert.equal(typeof info.minRtt, "number");
      assert.equal(typeof info.maxPacingRate === "bigint" || typeof info.maxPacingRate === "number", true);
    }
    // Loopback's MTU is what a connected socket reports as its path MTU.
    assert.ok(getOption(client, "IPPROTO_IP", "IP_MTU") > 0);
    // TCP_MAXSEG on a connected socket is the MSS in use.
    assert.equal(getOption(client, "IPPROTO_TCP", "TCP_MAXSEG"), getOption(client, "IPPROTO_TCP", "TCP_INFO").sndMss);
    closeFd(client);
    closeFd(server);
    closeFd(listener);
  });

  test("setting one is refused before the syscall", () => {
    const fd = open("tcp4");
    assert.throws(() => setOption(fd, "SOL_SOCKET", "SO_TYPE" as string, SOCK.DGRAM), {
      name: "TypeError",
      code: "ERR_INVALID_ARG_VALUE",
      message: /SO_TYPE is read-only/,
    });
    closeFd(fd);
  });
});

describe("multicast membership on lo", () => {
  test("IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP on 224.0.0.x", () => {
    const fd = open("udp4");
    const group = { multiaddr: "224.0.0.123", ifindex: "lo" };
    setOption(fd, "IPPROTO_IP", "IP_ADD_MEMBERSHIP", group);
    // A second join of the same group on the same interface is refused: the first took effect.
    assert.throws(() => setOption(fd, "IPPROTO_IP", "IP_ADD_MEMBERSHIP", group), {
      name: "SocketError",
      code: "EADDRINUSE",
      syscall: "setsockopt",
      level: "IPPROTO_IP",
      option: "IP_ADD_MEMBERSHIP",
    });
    setOption(fd, "IPPROTO_IP", "IP_DROP_MEMBERSHIP", group);
    assert.throws(() => setOption(fd, "IPPROTO_IP", "IP_DROP_MEMBERSHIP", group), { code: "EADDRNOTAVAIL" });
    // By local address instead of index.
    setOption(fd, "IPPROTO_IP", "IP_ADD_MEMBERSHIP", { multiaddr: "224.0.0.124", address: "127.0.0.1" });
    setOption(fd, "IPPROTO_IP", "IP_DROP_MEMBERSHIP", { multiaddr: "224.0.0.124", address: "127.0.0.1" });
    closeFd(fd);
  });

  test("IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP on ff02::x, visible in /proc/net/igmp6", () => {
    const fd = open("udp6");
    const group = { multiaddr: "ff02::1:4242", ifindex: "lo" };
    const listed = (): boolean => readFileSync("/proc/net/igmp6", "utf8").includes("ff020000000000000000000000014242");
    setOption(fd, "IPPROTO_IPV6", "IPV6_JOIN_GROUP", group);
    assert.ok(listed(), "the group is joined on lo");
    assert.throws(() => setOption(fd, "IPPROTO_IPV6", "IPV6_JOIN_GROUP", group), { code: "EADDRINUSE" });
    setOption(fd, "IPPROTO_IPV6", "IPV6_LEAVE_GROUP", { multiaddr: "ff02::1:4242%lo" });
    assert.ok(!listed(), "the group is left");
    closeFd(fd);
  });

  test("IP_MULTICAST_IF by interface index (struct ip_mreqn)", () => {
    const fd = open("udp4");
    setOption(fd, "IPPROTO_IP", "IP_MULTICAST_IF", { ifindex: "lo" });
    setOption(fd, "IPPROTO_IP", "IP_MULTICAST_IF", "0.0.0.0");
    assert.equal(getOption(fd, "IPPROTO_IP", "IP_MULTICAST_IF"), "0.0.0.0");
    closeFd(fd);
  });
});

describe("raw access", () => {
  test("numbers for level and name decode through the table", () => {
    const fd = open("tcp4");
    const r = resolveOption("SOL_SOCKET", "SO_KEEPALIVE");
    setOption(fd, r.level, r.name, 1);
    assert.equal(getOption(fd, r.level, r.name), true);
    closeFd(fd);
  });

  test("a Buffer or TypedArray value is passed through as is", () => {
    const fd = open("tcp4");
    setOption(fd, "SOL_SOCKET", "SO_REUSEADDR", new Int32Array([1])); // a C int in host order
    assert.equal(getOption(fd, "SOL_SOCKET", "SO_REUSEADDR"), true);
    setOption(fd, "SOL_SOCKET", "SO_REUSEADDR", Buffer.alloc(4));
    assert.equal(getOption(fd, "SOL_SOCKET", "SO_REUSEADDR"), false);
    closeFd(fd);
  });

  test("an option without a table entry reads as the bytes the kernel wrote", () => {
    const fd = open("tcp4");
    // SO_MEMINFO: an array of u32 counters, in no table.
    const meminfo = getOption(fd, "SOL_SOCKET", "SO_MEMINFO");
    assert.ok(Buffer.isBuffer(meminfo));
    assert.ok(meminfo.length > 0 && meminfo.length % 4 === 0, `SO_MEMINFO returned ${meminfo.length} bytes`);
    assert.equal(getOptionBytes(fd, "SOL_SOCKET", "SO_LINGER").length, STRUCTS.linger!.size);
    closeFd(fd);
  });

  test("a smaller buffer gets the kernel's 1-byte form of IP_MULTICAST_TTL", () => {
    const fd = open("udp4");
    setOption(fd, "IPPROTO_IP", "IP_MULTICAST_TTL", 9);
    assert.equal(getOptionBytes(fd, "IPPROTO_IP", "IP_MULTICAST_TTL", 1).length, 1);
    assert.equal(getOption(fd, "IPPROTO_IP", "IP_MULTICAST_TTL", { size: 1 }), 9);
    closeFd(fd);
  });
});

describe("errors", () => {
  test("an unknown name is refused with ERR_UNKNOWN_CONSTANT", () => {
    const fd = open("tcp4");
    assert.throws(() => getOption(fd, "SOL_SOCKET", "SO_NOT_AN_OPTION"), {
      name: "TypeError",
      code: "ERR_UNKNOWN_CONSTANT",
    });
    assert.throws(() => setOption(fd, "IPPROTO_TCP", "SO_REUSEADDR", true), {
      code: "ERR_UNKNOWN_CONSTANT",
      message: /SOL_SOCKET/,
    });
    closeFd(fd);
  });

  test("a value of the wrong type leaves the option unchanged", () => {
    const fd = open("tcp4");
    assert.throws(() => setOption(fd, "IPPROTO_TCP", "TCP_NODELAY", "yes" as never), {
      name: "TypeError",
      code: "ERR_INVALID_ARG_TYPE",
    });
    assert.throws(() => setOption(fd, "SOL_SOCKET", "SO_LINGER", { onoff: true, linger: -1 }), {
      name: "RangeError",
      code: "ERR_OUT_OF_RANGE",
    });
    assert.equal(getOption(fd, "IPPROTO_TCP", "TCP_NODELAY"), false);
    assert.deepEqual(getOption(fd, "SOL_SOCKET", "SO_LINGER"), { onoff: false, linger: 0 });
    closeFd(fd);
  });

  test("setsockopt and getsockopt on a closed fd fail with EBADF naming the call", () => {
    const fd = open("tcp4");
    closeFd(fd);
    for (const [call, syscall] of [
      [() => setOption(fd, "SOL_SOCKET", "SO_REUSEADDR", true), "setsockopt"],
      [() => getOption(fd, "IPPROTO_TCP", "TCP_NODELAY"), "getsockopt"],
    ] as const) {
      assert.throws(call, (e: unknown) => {
        assert.ok(e instanceof SocketError, String(e));
        assert.equal(e.code, "EBADF");
        assert.equal(e.syscall, syscall);
        assert.ok(e.errno < 0);
        assert.match(e.message, new RegExp(`^${syscall} EBADF`));
        return true;
      });
    }
  });

  test("the kernel's refusals come back as SocketError with level and option", () => {
    const udp = open("udp4");
    // A TCP option on a UDP socket.
    assert.throws(() => setOption(udp, "IPPROTO_TCP", "TCP_NODELAY", true), {
      name: "SocketError",
      code: "ENOPROTOOPT",
      syscall: "setsockopt",
      level: "IPPROTO_TCP",
      option: "TCP_NODELAY",
    });
    // SO_SNDLOWAT is fixed at 1 on Linux; setting it fails (socket(7)).
    assert.equal(getOption(udp, "SOL_SOCKET", "SO_SNDLOWAT"), 1);
    assert.throws(() => setOption(udp, "SOL_SOCKET", "SO_SNDLOWAT", 10), { code: "ENOPROTOOPT" });
    // An unknown congestion control algorithm.
    const tcp = open("tcp4");
    assert.throws(() => setOption(tcp, "IPPROTO_TCP", "TCP_CONGESTION", "no-such-cc"), {
      code: "ENOENT",
      syscall: "setsockopt",
    });
    closeFd(udp);
    closeFd(tcp);
  });
});

after(() => {
  for (const fd of [...opened]) closeFd(fd);
});

test("every socket opened here is closed again", () => {
  for (const fd of [...opened]) closeFd(fd);
  // Sockets only: the runner's own fds (its pipes) may come and go meanwhile.
  const left = newFds(fdsBefore).filter((l) => l.includes(" -> socket:"));
  assert.deepEqual(left, [], "sockets left open");
});
