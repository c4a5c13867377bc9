/**
 * Option codecs and tables without sockets: encode → decode round trips, the
 * struct layouts from STRUCTS, rejection of bad values with stable codes, and
 * the shape of the option tables (sorted, documented, resolvable).
 */
import assert from "node:assert/strict";
import { endianness } from "node:os";
import { describe, test } from "node:test";
import fc from "fast-check";
import { IP, IPV6, SO, SOL, STRUCTS, TCP, TCP_STATE, UDP } from "../../src/constants.js";
import {
  OPTION_LEVELS,
  bool,
  bytes,
  enumInt,
  getOption,
  getOptionBytes,
  ifindex,
  ifname,
  int,
  ipMreqn,
  ipv6Mreq,
  kernelName,
  linger,
  multicastIf,
  optionSpec,
  resolveOption,
  setOption,
  tcpInfo,
  timeval,
  u64,
  ucred,
  uint,
  type Codec,
  type Linger,
  type TcpInfo,
} from "../../src/options/index.js";

const LE = endianness() === "LE";
/** An fd no process has open: any syscall on it would fail with EBADF. */
const NOT_AN_FD = 0x7ffffff0;

function roundTrip<G, S>(codec: Codec<G, S>, value: S): G {
  const buf = codec.encode(value, "test");
  const padded = Buffer.alloc(Math.max(codec.size, buf.length));
  buf.copy(padded);
  return codec.decode(padded, buf.length);
}

function throwsCode(fn: () => unknown, code: string, ctor: ErrorConstructor = TypeError): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ctor, `expected ${ctor.name}, got ${String(err)}`);
    assert.equal((err as { code?: string }).code, code, String(err));
    return true;
  });
}

function struct(name: string): Record<string, number> & { size: number } {
  const s = STRUCTS[name];
  assert.ok(s, `STRUCTS.${name}`);
  return s;
}

describe("scalar codecs", () => {
  test("int round-trips the int32 range and rejects the rest", () => {
    for (const v of [-0x80000000, -1, 0, 1, 42, 0x7fffffff]) assert.equal(roundTrip(int, v), v);
    throwsCode(() => int.encode(0x80000000), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => int.encode(1.5), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => int.encode(NaN), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => int.encode("1" as never), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => int.encode(true as never), "ERR_INVALID_ARG_TYPE");
  });

  test("int decodes the 1-byte form the kernel uses for small buffers, and 0 bytes as 0", () => {
    assert.equal(int.decode(Buffer.from([7, 0, 0, 0]), 1), 7);
    assert.equal(int.decode(Buffer.alloc(4), 0), 0);
  });

  test("uint round-trips 0..2^32-1", () => {
    for (const v of [0, 1, 0x80000000, 0xffffffff]) assert.equal(roundTrip(uint, v), v);
    throwsCode(() => uint.encode(-1), "ERR_OUT_OF_RANGE", RangeError);
  });

  test("bool reads back true/false and accepts booleans or 0/1 only", () => {
    assert.equal(roundTrip(bool, true), true);
    assert.equal(roundTrip(bool, false), false);
    assert.equal(roundTrip(bool, 1), true);
    assert.equal(roundTrip(bool, 0), false);
    assert.equal(bool.decode(Buffer.from([2, 0, 0, 0]), 4), true, "any non-zero int is true");
    throwsCode(() => bool.encode(2 as never), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => bool.encode("yes" as never), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => bool.encode(null as never), "ERR_INVALID_ARG_TYPE");
  });

  test("u64 decodes to bigint over the whole range", () => {
    for (const v of [0n, 1n, (1n << 53n) + 1n, (1n << 64n) - 1n]) assert.equal(roundTrip(u64, v), v);
    assert.equal(roundTrip(u64, 12), 12n);
    throwsCode(() => u64.encode(1n << 64n), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => u64.encode(-1n), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => u64.encode("1" as never), "ERR_INVALID_ARG_TYPE");
  });

  test("ifindex takes an index, a decimal string or an interface name", () => {
    assert.equal(roundTrip(ifindex, 3), 3);
    assert.equal(roundTrip(ifindex, "7"), 7);
    assert.ok(roundTrip(ifindex, "lo") > 0, "lo has an index");
    throwsCode(() => ifindex.encode(-1), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => ifindex.encode({} as never), "ERR_INVALID_ARG_TYPE");
    assert.throws(() => ifindex.encode("no-such-if0"), { code: "ENODEV", syscall: "if_nametoindex" });
  });

  test("enumInt takes the C names or numbers", () => {
    const pmtu = enumInt("pmtudisc", { IP_PMTUDISC_DO: IP.PMTUDISC_DO!, IP_PMTUDISC_DONT: IP.PMTUDISC_DONT! });
    assert.equal(roundTrip(pmtu, "IP_PMTUDISC_DO"), IP.PMTUDISC_DO);
    assert.equal(roundTrip(pmtu, 3), 3);
    throwsCode(() => pmtu.encode("IP_PMTUDISC_MAYBE"), "ERR_INVALID_ARG_VALUE");
    throwsCode(() => pmtu.encode("toString"), "ERR_INVALID_ARG_VALUE");
  });
});

describe("string codecs", () => {
  test("a NUL-terminated string reads back without its NUL", () => {
    const enc = ifname.encode("lo");
    assert.deepEqual([...enc], [0x6c, 0x6f, 0]);
    assert.equal(roundTrip(ifname, "lo"), "lo");
    assert.equal(roundTrip(kernelName, "cubic"), "cubic");
    assert.equal(ifname.decode(Buffer.alloc(16), 0), "", "an unbound SO_BINDTODEVICE returns 0 bytes");
    // TCP_CONGESTION copies the whole name buffer, NUL padding included.
    assert.equal(kernelName.decode(Buffer.from("reno\0\0\0\0\0\0\0\0\0\0\0\0"), 16), "reno");
  });

  test("an interface name longer than IFNAMSIZ - 1 is refused (the kernel would truncate it)", () => {
    assert.equal(roundTrip(ifname, "a".repeat(15)), "a".repeat(15));
    throwsCode(() => ifname.encode("a".repeat(16)), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => ifname.encode("l\0o"), "ERR_INVALID_ARG_VALUE");
    throwsCode(() => ifname.encode(1 as never), "ERR_INVALID_ARG_TYPE");
  });
});

describe("struct codecs", () => {
  test("linger lays out l_onoff and l_linger at their offsets", () => {
    const L = struct("linger");
    const buf = linger.encode({ onoff: true, linger: 5 });
    assert.equal(buf.length, L.size);
    assert.equal(LE ? buf.readInt32LE(L.l_onoff!) : buf.readInt32BE(L.l_onoff!), 1);
    assert.equal(LE ? buf.readInt32LE(L.l_linger!) : buf.readInt32BE(L.l_linger!), 5);
    assert.deepEqual(roundTrip(linger, { onoff: true, linger: 5 }), { onoff: true, linger: 5 });
    assert.deepEqual(roundTrip(linger, { onoff: false }), { onoff: false, linger: 0 });
    assert.deepEqual(roundTrip(linger, { onoff: 1, linger: 0 }), { onoff: true, linger: 0 });
    throwsCode(() => linger.encode(5 as never), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => linger.encode({ onoff: "yes" } as never), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => linger.encode({ onoff: true, linger: -1 }), "ERR_OUT_OF_RANGE", RangeError);
  });

  test("timeval is milliseconds in and out, or { sec, usec } in", () => {
    const T = struct("timeval");
    for (const ms of [0, 1, 1.5, 999.999, 1500, 86_400_000]) assert.equal(roundTrip(timeval, ms), ms);
    assert.equal(roundTrip(timeval, { sec: 2, usec: 500_000 }), 2500);
    assert.equal(roundTrip(timeval, { sec: 3 }), 3000);
    const buf = timeval.encode(1500);
    assert.equal(buf.length, T.size);
    const secWidth = T.tv_usec! - T.tv_sec!;
    const sec =
      secWidth === 8
        ? Number(LE ? buf.readBigInt64LE(T.tv_sec!) : buf.readBigInt64BE(T.tv_sec!))
        : buf.readInt32LE(T.tv_sec!);
    assert.equal(sec, 1);
    // A tiny positive timeout must not become 0, which means "block forever".
    assert.equal(roundTrip(timeval, 0.0001), 0.001);
    throwsCode(() => timeval.encode(-1), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => timeval.encode(Infinity), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => timeval.encode({ sec: 1, usec: 1_000_000 }), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => timeval.encode("1s" as never), "ERR_INVALID_ARG_TYPE");
  });

  test("ucred round-trips { pid, uid, gid }", () => {
    const v = { pid: 1234, uid: 0xfffffffe, gid: 5 };
    assert.deepEqual(roundTrip(ucred, v), v);
    assert.equal(ucred.size, struct("ucred").size);
    throwsCode(() => ucred.encode({ pid: 1, uid: -1, gid: 0 }), "ERR_OUT_OF_RANGE", RangeError);
  });

  test("ip_mreqn puts the group, address and ifindex at their offsets (addresses in network order)", () => {
    const M = struct("ip_mreqn");
    const buf = ipMreqn.encode({ multiaddr: "224.1.2.3", address: "10.0.0.1", ifindex: 7 });
    assert.equal(buf.length, M.size);
    assert.deepEqual([...buf.subarray(M.imr_multiaddr!, M.imr_multiaddr! + 4)], [224, 1, 2, 3]);
    assert.deepEqual([...buf.subarray(M.imr_address!, M.imr_address! + 4)], [10, 0, 0, 1]);
    assert.deepEqual(roundTrip(ipMreqn, { multiaddr: "224.1.2.3", address: "10.0.0.1", ifindex: 7 }), {
      multiaddr: "224.1.2.3",
      address: "10.0.0.1",
      ifindex: 7,
    });
    assert.deepEqual(roundTrip(ipMreqn, { multiaddr: "224.0.0.1" }), {
      multiaddr: "224.0.0.1",
      address: "0.0.0.0",
      ifindex: 0,
    });
    throwsCode(() => ipMreqn.encode({ multiaddr: "224.1.2" }), "ERR_INVALID_ADDRESS");
    throwsCode(() => ipMreqn.encode({ multiaddr: "224.1.2.3", address: "::1" }), "ERR_INVALID_ADDRESS");
    throwsCode(() => ipMreqn.encode({} as never), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => ipMreqn.encode("224.1.2.3" as never), "ERR_INVALID_ARG_TYPE");
  });

  test("ipv6_mreq takes the interface from ifindex or from a zone", () => {
    const M = struct("ipv6_mreq");
    const buf = ipv6Mreq.encode({ multiaddr: "ff02::1:2", ifindex: 3 });
    assert.equal(buf.length, M.size);
    assert.equal(buf[M.ipv6mr_multiaddr!], 0xff);
    assert.deepEqual(roundTrip(ipv6Mreq, { multiaddr: "ff02::1:2", ifindex: 3 }), {
      multiaddr: "ff02::1:2",
      ifindex: 3,
    });
    assert.deepEqual(roundTrip(ipv6Mreq, { multiaddr: "ff02::fb%9" }), { multiaddr: "ff02::fb", ifindex: 9 });
    assert.deepEqual(roundTrip(ipv6Mreq, { multiaddr: "ff02::fb" }), { multiaddr: "ff02::fb", ifindex: 0 });
    throwsCode(() => ipv6Mreq.encode({ multiaddr: "224.0.0.1" }), "ERR_INVALID_ADDRESS");
    throwsCode(() => ipv6Mreq.encode({ multiaddr: "ff02::1", ifindex: -2 }), "ERR_OUT_OF_RANGE", RangeError);
  });

  test("IP_MULTICAST_IF writes an in_addr for a string and an ip_mreqn for an object", () => {
    assert.deepEqual([...multicastIf.encode("127.0.0.1")], [127, 0, 0, 1]);
    assert.equal(roundTrip(multicastIf, "192.168.1.2"), "192.168.1.2");
    const M = struct("ip_mreqn");
    const obj = multicastIf.encode({ ifindex: 4 });
    assert.equal(obj.length, M.size);
    assert.equal(LE ? obj.readInt32LE(M.imr_ifindex!) : obj.readInt32BE(M.imr_ifindex!), 4);
    throwsCode(() => multicastIf.encode("eth0"), "ERR_INVALID_ADDRESS");
  });

  test("raw bytes pass through, numbers and booleans become a C int", () => {
    const b = Buffer.from([1, 2, 3]);
    assert.deepEqual(bytes.encode(b), b);
    assert.deepEqual([...bytes.encode(new Uint16Array([0x0102]))], LE ? [2, 1] : [1, 2]);
    assert.deepEqual(bytes.encode(5), int.encode(5));
    assert.deepEqual(bytes.encode(true), int.encode(1));
    assert.deepEqual(bytes.decode(Buffer.from([9, 8, 7, 6]), 2), Buffer.from([9, 8]));
    throwsCode(() => bytes.encode("x" as never), "ERR_INVALID_ARG_TYPE");
  });
});

describe("tcp_info", () => {
  const T = struct("tcp_info");
  const sample: Partial<TcpInfo> = {
    stateNumber: TCP_STATE.ESTABLISHED,
    caState: 0,
    options: 7,
    sndWscale: 7,
    rcvWscale: 9,
    fastopenClientFail: 2,
    deliveryRateAppLimited: true,
    rto: 204_000,
    rtt: 31,
    rttvar: 15,
    sndMss: 32768,
    sndCwnd: 10,
    totalRetrans: 0,
    pacingRate: 123_456_789,
    maxPacingRate: (1n << 64n) - 1n,
    bytesAcked: 2 ** 40,
    sndWnd: 65483,
  };

  test("decodes each field at its STRUCTS offset, state by name and number", () => {
    const info = roundTrip(tcpInfo, sample);
    assert.equal(info.state, "ESTABLISHED");
    assert.equal(info.stateNumber, TCP_STATE.ESTABLISHED);
    assert.equal(info.rtt, 31);
    assert.equal(info.rto, 204_000);
    assert.equal(info.sndMss, 32768);
    assert.equal(info.pacingRate, 123_456_789);
    assert.equal(info.bytesAcked, 2 ** 40, "a u64 below 2^53 is a number");
    assert.equal(info.maxPacingRate, (1n << 64n) - 1n, "a u64 above 2^53 is a bigint");
    assert.equal(info.sndWnd, 65483);
    const raw = tcpInfo.encode(sample);
    assert.equal(raw.length, T.size);
    assert.equal(raw[T.tcpi_state!], TCP_STATE.ESTABLISHED);
    assert.equal(LE ? raw.readUInt32LE(T.tcpi_rtt!) : raw.readUInt32BE(T.tcpi_rtt!), 31);
  });

  test("the window scales are the two nibbles after tcpi_options (low nibble = snd on little-endian)", () => {
    const buf = Buffer.alloc(T.size);
    buf[T.tcpi_options! + 1] = LE ? 0x97 : 0x79; // snd 7, rcv 9
    buf[T.tcpi_options! + 2] = LE ? 0b101 : 0b1100_0000; // app_limited 1, fastopen_client_fail 2
    const info = tcpInfo.decode(buf, T.size);
    assert.equal(info.sndWscale, 7);
    assert.equal(info.rcvWscale, 9);
    assert.equal(info.deliveryRateAppLimited, true);
    assert.equal(info.fastopenClientFail, 2);
    const back = roundTrip(tcpInfo, sample);
    assert.equal(back.sndWscale, 7);
    assert.equal(back.rcvWscale, 9);
    assert.equal(back.fastopenClientFail, 2);
  });

  test("decodes only the fields within the length the kernel returned", () => {
    const buf = tcpInfo.encode(sample);
    const short = tcpInfo.decode(buf, T.tcpi_pacing_rate!);
    assert.equal(short.totalRetrans, 0);
    assert.equal(short.rtt, 31);
    assert.ok(!("pacingRate" in short), "pacingRate lies beyond the returned length");
    assert.ok(!("sndWnd" in short));
    const tiny = tcpInfo.decode(buf, 1);
    assert.deepEqual(Object.keys(tiny).sort(), ["state", "stateNumber"]);
    assert.deepEqual(tcpInfo.decode(buf, 0), {});
  });

  test("an unknown state number is reported as the number", () => {
    const buf = Buffer.alloc(T.size);
    buf[T.tcpi_state!] = 200;
    assert.equal(tcpInfo.decode(buf, T.size).state, "200");
  });
});

describe("decoders never throw (property)", () => {
  const codecs: Codec<unknown, never>[] = [
    int,
    uint,
    bool,
    u64,
    ifindex,
    ifname,
    kernelName,
    bytes,
    linger,
    timeval,
    ucred,
    ipMreqn,
    ipv6Mreq,
    multicastIf,
    tcpInfo,
  ] as never;
  test("any bytes of any length up to the codec size decode", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: codecs.length - 1 }), fc.uint8Array({ maxLength: 512 }), (i, data) => {
        const codec = codecs[i]!;
        const buf = Buffer.alloc(Math.max(codec.size, data.length));
        Buffer.from(data).copy(buf);
        codec.decode(buf, Math.min(data.length, codec.size));
      }),
    );
  });

  test("int and timeval round-trip (property)", () => {
    fc.assert(fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (v) => roundTrip(int, v) === v));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), (micros) => roundTrip(timeval, micros / 1000) === micros / 1000),
    );
  });
});

describe("option tables", () => {
  test("each level file lists its options sorted by C name, all with the level's prefix", () => {
    for (const level of OPTION_LEVELS) {
      const names = Object.keys(level.options);
      assert.deepEqual(names, [...names].sort(), `${level.name} is sorted`);
      for (const n of names) assert.ok(n.startsWith(level.prefix), `${n} starts with ${level.prefix}`);
    }
  });

  test("every entry has a one-line doc and a man7.org link", () => {
    for (const level of OPTION_LEVELS) {
      for (const [n, spec] of Object.entries(level.options)) {
        assert.ok(spec.doc.length > 10 && !spec.doc.includes("\n"), `${n} doc`);
        assert.match(
          spec.see,
          /^https:\/\/man7\.org\/linux\/man-pages\/man7\/(socket|ip|ipv6|tcp|udp|netlink|packet)\.7\.html$/,
          `${n} see`,
        );
      }
    }
  });

  test("the options the project promises all resolve here", () => {
    const promised: Record<string, string[]> = {
      SOL_SOCKET:
        "REUSEADDR REUSEPORT KEEPALIVE LINGER RCVBUF SNDBUF RCVLOWAT SNDLOWAT RCVTIMEO SNDTIMEO BROADCAST BINDTODEVICE TYPE DOMAIN PROTOCOL ERROR ACCEPTCONN PEERCRED PASSCRED MARK PRIORITY OOBINLINE DONTROUTE TIMESTAMP TIMESTAMPNS COOKIE"
          .split(" ")
          .map((n) => `SO_${n}`),
      IPPROTO_TCP:
        "NODELAY KEEPIDLE KEEPINTVL KEEPCNT USER_TIMEOUT CONGESTION FASTOPEN INFO MAXSEG CORK QUICKACK NOTSENT_LOWAT DEFER_ACCEPT SYNCNT"
          .split(" ")
          .map((n) => `TCP_${n}`),
      IPPROTO_IP:
        "TTL TOS MULTICAST_TTL MULTICAST_LOOP MULTICAST_IF ADD_MEMBERSHIP DROP_MEMBERSHIP FREEBIND TRANSPARENT RECVERR PKTINFO RECVTTL RECVTOS MTU_DISCOVER BIND_ADDRESS_NO_PORT"
          .split(" ")
          .map((n) => `IP_${n}`),
      IPPROTO_IPV6:
        "V6ONLY UNICAST_HOPS MULTICAST_HOPS MULTICAST_LOOP MULTICAST_IF JOIN_GROUP LEAVE_GROUP RECVPKTINFO RECVHOPLIMIT RECVTCLASS TCLASS RECVERR FREEBIND TRANSPARENT"
          .split(" ")
          .map((n) => `IPV6_${n}`),
    };
    for (const [level, names] of Object.entries(promised)) {
      for (const n of names) {
        const r = resolveOption(level, n);
        assert.ok(r.spec, `${level}/${n} has a table entry`);
        assert.equal(r.optionName, n);
      }
    }
  });

  test("read-only and write-only options are marked", () => {
    for (const n of ["SO_TYPE", "SO_ERROR", "SO_PEERCRED", "SO_ACCEPTCONN", "SO_DOMAIN", "SO_PROTOCOL", "SO_COOKIE"]) {
      assert.equal(resolveOption("SOL_SOCKET", n).access, "r", n);
    }
    assert.equal(resolveOption("IPPROTO_TCP", "TCP_INFO").access, "r");
    assert.equal(resolveOption("IPPROTO_IP", "IP_ADD_MEMBERSHIP").access, "w");
    assert.equal(resolveOption("IPPROTO_IPV6", "IPV6_JOIN_GROUP").access, "w");
  });
});

describe("resolveOption", () => {
  test("resolves names and aliases to the headers' numbers", () => {
    assert.deepEqual(
      (({ level, name, levelName, optionName }) => ({ level, name, levelName, optionName }))(
        resolveOption("SOL_SOCKET", "SO_REUSEADDR"),
      ),
      { level: SOL.SOCKET, name: SO.REUSEADDR, levelName: "SOL_SOCKET", optionName: "SO_REUSEADDR" },
    );
    assert.equal(resolveOption("SOL_TCP", "TCP_NODELAY").levelName, "IPPROTO_TCP");
    assert.equal(resolveOption("IPPROTO_TCP", "TCP_NODELAY").name, TCP.NODELAY);
    assert.equal(resolveOption("SOL_IP", "IP_TTL").name, IP.TTL);
    assert.equal(resolveOption("SOL_IPV6", "IPV6_V6ONLY").name, IPV6.V6ONLY);
    assert.equal(resolveOption("IPPROTO_UDP", 1).levelName, "IPPROTO_UDP");
  });

  test("numbers resolve to the table entry when there is one", () => {
    const r = resolveOption(SOL.SOCKET, SO.LINGER);
    assert.equal(r.optionName, "SO_LINGER");
    assert.equal(r.codec, linger);
    assert.equal(resolveOption(SOL.TCP, TCP.INFO).codec, tcpInfo);
  });

  test("unknown numbers and other levels get the raw Buffer codec", () => {
    const r = resolveOption(SOL.SOCKET, 9999);
    assert.equal(r.codec, bytes);
    assert.equal(r.optionName, "9999");
    assert.equal(r.spec, undefined);
    const p = resolveOption("SOL_PACKET", 1);
    assert.equal(p.level, SOL.PACKET);
    assert.equal(p.levelName, "SOL_PACKET");
    assert.equal(resolveOption(12345, 6).levelName, "12345");
  });

  test("names the headers define but no table lists resolve as raw bytes", () => {
    const r = resolveOption("SOL_SOCKET", "SO_MEMINFO");
    assert.equal(r.name, SO.MEMINFO);
    assert.equal(r.codec, bytes);
    assert.equal(optionSpec("SOL_SOCKET", "SO_MEMINFO"), undefined);
    // IP_PMTUDISC_* are values, not options.
    throwsCode(() => resolveOption("IPPROTO_IP", "IP_PMTUDISC_DO"), "ERR_UNKNOWN_CONSTANT");
  });

  test("a table option the headers lack is ERR_NOT_SUPPORTED, not an unknown name", () => {
    if (UDP.CORK === undefined) {
      throwsCode(() => resolveOption("IPPROTO_UDP", "UDP_CORK"), "ERR_NOT_SUPPORTED", Error);
    } else {
      assert.equal(resolveOption("IPPROTO_UDP", "UDP_CORK").name, UDP.CORK);
    }
  });

  test("unknown names are refused, saying which level and name", () => {
    assert.throws(
      () => resolveOption("SOL_SOCKET", "SO_NOPE"),
      (e: Error & { code?: string }) => {
        assert.ok(e instanceof TypeError);
        assert.equal(e.code, "ERR_UNKNOWN_CONSTANT");
        assert.match(e.message, /SO_NOPE/);
        assert.match(e.message, /SOL_SOCKET/);
        return true;
      },
    );
    assert.throws(() => resolveOption("SOL_SOCKET", "TCP_NODELAY"), /IPPROTO_TCP/);
    assert.throws(
      () => resolveOption("SOL_NOPE", "SO_REUSEADDR"),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "ERR_UNKNOWN_CONSTANT");
        assert.match(e.message, /SOL_NOPE/);
        return true;
      },
    );
    throwsCode(() => resolveOption("SOL_PACKET", "PACKET_NOPE"), "ERR_UNKNOWN_CONSTANT");
    throwsCode(() => resolveOption(null as never, 1), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => resolveOption("SOL_SOCKET", {} as never), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => resolveOption("SOL_SOCKET", 1.5), "ERR_INVALID_ARG_TYPE");
  });
});

describe("getOption/setOption refuse bad input before any syscall", () => {
  // On NOT_AN_FD any syscall fails with EBADF; getting a coded TypeError or
  // RangeError instead shows the check came first.
  test("a value of the wrong type or range", () => {
    throwsCode(() => setOption(NOT_AN_FD, "SOL_SOCKET", "SO_REUSEADDR", "yes" as never), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => setOption(NOT_AN_FD, "SOL_SOCKET", "SO_REUSEADDR", 2 as never), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => setOption(NOT_AN_FD, "SOL_SOCKET", "SO_LINGER", 5 as never), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => setOption(NOT_AN_FD, "SOL_SOCKET", "SO_RCVTIMEO", -5), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(
      () => setOption(NOT_AN_FD, "SOL_SOCKET", "SO_BINDTODEVICE", "x".repeat(40)),
      "ERR_OUT_OF_RANGE",
      RangeError,
    );
    throwsCode(() => setOption(NOT_AN_FD, "IPPROTO_IP", "IP_TTL", 2 ** 40), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(
      () => setOption(NOT_AN_FD, "IPPROTO_IP", "IP_ADD_MEMBERSHIP", { multiaddr: "nope" }),
      "ERR_INVALID_ADDRESS",
    );
    throwsCode(() => setOption(NOT_AN_FD, "SOL_SOCKET", 9999, "x" as never), "ERR_INVALID_ARG_TYPE");
  });

  test("setting a read-only option or getting a write-only one", () => {
    for (const n of ["SO_TYPE", "SO_ERROR", "SO_PEERCRED", "SO_ACCEPTCONN", "SO_DOMAIN", "SO_PROTOCOL"] as const) {
      assert.throws(
        () => setOption(NOT_AN_FD, "SOL_SOCKET", n, 1 as never),
        (e: Error & { code?: string }) => {
          assert.ok(e instanceof TypeError);
          assert.equal(e.code, "ERR_INVALID_ARG_VALUE");
          assert.match(e.message, new RegExp(`${n} is read-only`));
          return true;
        },
      );
    }
    throwsCode(() => setOption(NOT_AN_FD, "IPPROTO_TCP", "TCP_INFO", {} as never), "ERR_INVALID_ARG_VALUE");
    throwsCode(() => getOption(NOT_AN_FD, "IPPROTO_IP", "IP_ADD_MEMBERSHIP"), "ERR_INVALID_ARG_VALUE");
  });

  test("a bad fd, size, level or name", () => {
    throwsCode(() => getOption(-1, "SOL_SOCKET", "SO_TYPE"), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => setOption("3" as never, "SOL_SOCKET", "SO_REUSEADDR", true), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => getOption(NOT_AN_FD, "SOL_SOCKET", "SO_TYPE", { size: -1 }), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => getOptionBytes(NOT_AN_FD, "SOL_SOCKET", "SO_TYPE", 2 ** 30), "ERR_OUT_OF_RANGE", RangeError);
    throwsCode(() => getOption(NOT_AN_FD, "SOL_NOPE", "SO_TYPE"), "ERR_UNKNOWN_CONSTANT");
    throwsCode(() => setOption(NOT_AN_FD, "SOL_SOCKET", "SO_NOPE", 1), "ERR_UNKNOWN_CONSTANT");
  });

  test("a valid call does reach the kernel (EBADF names the call, level and option)", () => {
    assert.throws(() => setOption(NOT_AN_FD, "SOL_SOCKET", "SO_REUSEADDR", true), {
      name: "SocketError",
      code: "EBADF",
      syscall: "setsockopt",
      level: "SOL_SOCKET",
      option: "SO_REUSEADDR",
    });
  });
});

test("types: getOption and setOption are typed by the tables", () => {
  // Compiled by `tsc --noEmit`, never called: the @ts-expect-error lines must be errors.
  const typed = (fd: number): void => {
    const l: Linger = getOption(fd, "SOL_SOCKET", "SO_LINGER");
    const n: boolean = getOption(fd, "SOL_TCP", "TCP_NODELAY");
    const c: bigint = getOption(fd, "SOL_SOCKET", "SO_COOKIE");
    const t: string = getOption(fd, "IPPROTO_TCP", "TCP_INFO").state;
    const u: unknown = getOption(fd, "SOL_SOCKET", 99);
    setOption(fd, "SOL_SOCKET", "SO_LINGER", { onoff: true, linger: 1 });
    setOption(fd, "SOL_SOCKET", "SO_LINGER", Buffer.alloc(8));
    setOption(fd, "SOL_SOCKET", "SO_RCVTIMEO", { sec: 1 });
    setOption(fd, "IPPROTO_IP", "IP_ADD_MEMBERSHIP", { multiaddr: "224.0.0.1", ifindex: "lo" });
    setOption(fd, "SOL_PACKET", 1, Buffer.alloc(4));
    // @ts-expect-error a number is not a linger
    setOption(fd, "SOL_SOCKET", "SO_LINGER", 5);
    // @ts-expect-error SO_TYPE is read-only
    setOption(fd, "SOL_SOCKET", "SO_TYPE", 1);
    // @ts-expect-error TCP_NODELAY takes a boolean or 0/1
    setOption(fd, "IPPROTO_TCP", "TCP_NODELAY", "yes");
    void [l, n, c, t, u];
  };
  assert.equal(typeof typed, "function");
});
