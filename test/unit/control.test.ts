/**
 * The control-message codec by example: the CMSG_* helpers against the C
 * macros (tables exported by native/msg_linux.c), the list codec on
 * hand-built buffers (well formed, truncated, malformed), and each typed view.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CMSG_ALIGN,
  CMSG_LEN,
  CMSG_SPACE,
  ControlMessageError,
  MSG_FACTS,
  carriesFds,
  controlLevel,
  controlSpace,
  controlType,
  decodeControl,
  decodeCredentials,
  decodeExtendedError,
  decodeInt,
  decodePidfd,
  decodePktinfo,
  decodeRights,
  decodeSecurity,
  decodeTimespec,
  decodeTimeval,
  decodeViews,
  encodeControl,
  encodeCredentials,
  encodeInt,
  encodePktinfo,
  encodeRights,
  parseControl,
} from "../../src/control.js";
import { AF, IP, IPPROTO, IPV6, SCM, SOL, STRUCTS } from "../../src/constants.js";

const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const H = STRUCTS.cmsghdr!;
const HDR = CMSG_LEN(0);

/** A raw header: cmsg_len, level, type in host order. */
function header(len: number, level: number, type: number): Buffer {
  const b = Buffer.alloc(H.size);
  const w = MSG_FACTS.CMSG_LEN_FIELD_SIZE;
  if (w === 8) {
    if (LE) b.writeBigUInt64LE(BigInt(len), H.cmsg_len!);
    else b.writeBigUInt64BE(BigInt(len), H.cmsg_len!);
  } else if (LE) b.writeUInt32LE(len, H.cmsg_len!);
  else b.writeUInt32BE(len, H.cmsg_len!);
  if (LE) {
    b.writeInt32LE(level, H.cmsg_level!);
    b.writeInt32LE(type, H.cmsg_type!);
  } else {
    b.writeInt32BE(level, H.cmsg_level!);
    b.writeInt32BE(type, H.cmsg_type!);
  }
  return b;
}

function i32(v: number): Buffer {
  const b = Buffer.alloc(4);
  if (LE) b.writeInt32LE(v);
  else b.writeInt32BE(v);
  return b;
}

describe("CMSG_* helpers", () => {
  test("match the C macros for 0..64 bytes of data", () => {
    for (let n = 0; n <= 64; n++) {
      assert.equal(CMSG_SPACE(n), MSG_FACTS.CMSG_SPACE_TABLE[n], `CMSG_SPACE(${n})`);
      assert.equal(CMSG_LEN(n), MSG_FACTS.CMSG_LEN_TABLE[n], `CMSG_LEN(${n})`);
    }
  });

  test("CMSG_ALIGN rounds up to sizeof(size_t)", () => {
    const a = MSG_FACTS.CMSG_ALIGN_UNIT;
    assert.equal(CMSG_ALIGN(0), 0);
    assert.equal(CMSG_ALIGN(1), a);
    assert.equal(CMSG_ALIGN(a), a);
    assert.equal(CMSG_ALIGN(a + 1), 2 * a);
    assert.equal(CMSG_ALIGN(2 ** 40 + 1), 2 ** 40 + a);
  });

  test("reject negative and non-integer lengths", () => {
    for (const bad of [-1, 1.5, NaN, Infinity, "4" as unknown as number]) {
      assert.throws(() => CMSG_SPACE(bad), { code: "ERR_OUT_OF_RANGE" });
      assert.throws(() => CMSG_LEN(bad), { code: "ERR_OUT_OF_RANGE" });
      assert.throws(() => CMSG_ALIGN(bad), { code: "ERR_OUT_OF_RANGE" });
    }
  });
});

describe("encodeControl / decodeControl", () => {
  test("lays out headers, data and padding as the C macros do", () => {
    const buf = encodeControl([
      { level: SOL.SOCKET, type: SCM.RIGHTS, data: Buffer.concat([i32(3), i32(4)]) },
      { level: "IPPROTO_IP", type: "IP_TTL", data: i32(64) },
      { level: 1234, type: -5, data: Buffer.from([9]) },
    ]);
    assert.equal(buf.length, CMSG_SPACE(8) + CMSG_SPACE(4) + CMSG_SPACE(1));
    assert.deepEqual(buf.subarray(0, H.size), header(CMSG_LEN(8), SOL.SOCKET, SCM.RIGHTS));
    const second = CMSG_SPACE(8);
    assert.deepEqual(buf.subarray(second, second + H.size), header(CMSG_LEN(4), IPPROTO.IP, IP.TTL!));
    // padding after the 1-byte message is zero
    const third = second + CMSG_SPACE(4);
    assert.equal(buf[third + HDR], 9);
    assert.ok(buf.subarray(third + HDR + 1).every((x) => x === 0));
    const back = decodeControl(buf);
    assert.deepEqual(
      back.map((m) => [m.level, m.type, [...m.data]]),
      [
        [SOL.SOCKET, SCM.RIGHTS, [...Buffer.concat([i32(3), i32(4)])]],
        [IPPROTO.IP, IP.TTL, [...i32(64)]],
        [1234, -5, [9]],
      ],
    );
    assert.ok(back.every((m) => m.truncated === undefined));
  });

  test("controlSpace is the encoded length", () => {
    const msgs = [
      { level: 1, type: 1, data: Buffer.alloc(5) },
      { level: 0, type: 2, data: Buffer.alloc(0) },
    ];
    assert.equal(controlSpace(msgs), encodeControl(msgs).length);
  });

  test("an empty list encodes to nothing and decodes from nothing", () => {
    assert.equal(encodeControl([]).length, 0);
    assert.deepEqual(decodeControl(Buffer.alloc(0)), []);
    assert.deepEqual(decodeControl(Buffer.alloc(64), 0), []);
  });

  test("decoded data is a copy, independent of the buffer", () => {
    const buf = encodeControl([{ level: 1, type: 1, data: Buffer.from("abcd") }]);
    const [m] = decodeControl(buf);
    buf.fill(0);
    assert.equal(m!.data.toString(), "abcd");
  });

  test("reads only the first `length` bytes", () => {
    const buf = Buffer.concat([
      encodeControl([{ level: 1, type: 2, data: Buffer.alloc(4) }]),
      header(CMSG_LEN(0), 7, 7),
    ]);
    assert.equal(decodeControl(buf, CMSG_SPACE(4)).length, 1);
    assert.equal(decodeControl(buf).length, 2);
  });

  test("data cut by the end of the buffer (MSG_CTRUNC) comes back truncated", () => {
    const full = encodeControl([{ level: 1, type: 1, data: Buffer.concat([i32(5), i32(6), i32(7)]) }]);
    // the kernel's put_cmsg keeps the full cmsg_len but only part of the data fits
    const cut = full.subarray(0, HDR + 6);
    const [m] = decodeControl(cut);
    assert.equal(m!.truncated, true);
    assert.equal(m!.data.length, 6);
    assert.deepEqual(decodeRights(m!.data), [5]);
  });

  test("trailing bytes too short for a header are padding", () => {
    const buf = Buffer.concat([encodeControl([{ level: 1, type: 1, data: i32(1) }]), Buffer.alloc(H.size - 1, 0xff)]);
    assert.equal(decodeControl(buf).length, 1);
  });

  test("a cmsg_len shorter than a header is malformed", () => {
    const buf = Buffer.concat([encodeControl([{ level: 1, type: 1, data: i32(1) }]), header(HDR - 1, 1, 1)]);
    assert.throws(
      () => decodeControl(buf),
      (e: unknown) => {
        assert.ok(e instanceof ControlMessageError);
        assert.equal(e.code, "ERR_INVALID_CONTROL_MESSAGE");
        assert.equal(e.offset, CMSG_SPACE(4));
        return true;
      },
    );
    const p = parseControl(buf);
    assert.equal(p.messages.length, 1);
    assert.equal(p.malformed?.offset, CMSG_SPACE(4));
  });

  test("a huge cmsg_len is cut to the buffer, not trusted", () => {
    const buf = Buffer.concat([header(0xffffffff, 1, 1), Buffer.from("xyz")]);
    const [m] = decodeControl(buf);
    assert.equal(m!.truncated, true);
    assert.equal(m!.data.toString(), "xyz");
  });

  test("level and type names resolve; unknown names throw", () => {
    assert.equal(controlLevel("SOL_SOCKET"), SOL.SOCKET);
    assert.equal(controlLevel("IPPROTO_IPV6"), IPPROTO.IPV6);
    assert.equal(controlType(SOL.SOCKET, "SCM_CREDENTIALS"), SCM.CREDENTIALS);
    assert.equal(controlType(IPPROTO.IPV6, "IPV6_PKTINFO"), IPV6.PKTINFO);
    assert.throws(() => controlLevel("SOL_NOPE"), { code: "ERR_UNKNOWN_CONSTANT" });
    assert.throws(() => controlType(SOL.SOCKET, "IP_TTL"), { code: "ERR_UNKNOWN_CONSTANT" });
    assert.throws(() => controlType(SOL.SOCKET, "SCM_MAX_FD"), { code: "ERR_UNKNOWN_CONSTANT" });
    assert.throws(() => controlLevel(1.5), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => encodeControl([{ level: 1, type: 1, data: "x" as unknown as Buffer }]), {
      code: "ERR_INVALID_ARG_TYPE",
    });
    assert.throws(() => encodeControl({} as never), { code: "ERR_INVALID_ARG_TYPE" });
  });
});

describe("typed views", () => {
  test("SCM_RIGHTS", () => {
    const m = encodeRights([0, 1, 2147483647]);
    assert.equal(m.level, SOL.SOCKET);
    assert.equal(m.type, SCM.RIGHTS);
    assert.deepEqual(decodeRights(m.data), [0, 1, 2147483647]);
    assert.throws(() => encodeRights(new Array(SCM.MAX_FD + 1).fill(0)), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => encodeRights([-1]), { code: "ERR_INVALID_ARG_TYPE" });
    assert.deepEqual(decodeRights(Buffer.alloc(3)), []);
  });

  test("SCM_CREDENTIALS", () => {
    const c = { pid: process.pid, uid: 4294967294, gid: 7 };
    const m = encodeCredentials(c);
    assert.equal(m.data.length, STRUCTS.ucred!.size);
    assert.deepEqual(decodeCredentials(m.data), c);
    assert.throws(() => decodeCredentials(Buffer.alloc(4)), ControlMessageError);
    assert.throws(() => encodeCredentials({ pid: 1, uid: -1, gid: 0 }), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => encodeCredentials({ pid: 1, uid: 0 } as never), { code: "ERR_INVALID_ARG_TYPE" });
  });

  test("IP_PKTINFO", () => {
    const m = encodePktinfo({ address: "10.1.2.3", ifindex: 1 }, "inet");
    assert.equal(m.level, IPPROTO.IP);
    assert.equal(m.type, IP.PKTINFO);
    const d = decodePktinfo(IPPROTO.IP, m.data);
    assert.deepEqual(d, { family: "inet", address: "0.0.0.0", ifindex: 1, specDst: "10.1.2.3" });
    // a received pktinfo passed back selects its specDst as the source
    const back = encodePktinfo(
      { family: "inet", address: "255.255.255.255", specDst: "10.0.0.1", ifindex: 2 } as never,
      "inet",
    );
    assert.equal(decodePktinfo(IPPROTO.IP, back.data).specDst, "10.0.0.1");
    assert.throws(() => encodePktinfo({ address: "::1" }, "inet"), { code: "ERR_INVALID_ADDRESS" });
    assert.throws(() => decodePktinfo(IPPROTO.IP, Buffer.alloc(4)), ControlMessageError);
  });

  test("IPV6_PKTINFO, and IPv4 sources on an IPv6 socket become v4-mapped", () => {
    const m = encodePktinfo({ address: "fe80::1", ifindex: 3 }, "inet6");
    assert.equal(m.level, IPPROTO.IPV6);
    assert.equal(m.type, IPV6.PKTINFO);
    assert.deepEqual(decodePktinfo(IPPROTO.IPV6, m.data), { family: "inet6", address: "fe80::1", ifindex: 3 });
    const mapped = encodePktinfo({ specDst: "127.0.0.1" }, "inet6");
    assert.equal(decodePktinfo(IPPROTO.IPV6, mapped.data).address, "::ffff:127.0.0.1");
    assert.equal(decodePktinfo(IPPROTO.IPV6, encodePktinfo({}, "inet6").data).address, "::");
    assert.throws(() => encodePktinfo({ address: "nope" }, "inet6"), { code: "ERR_INVALID_ADDRESS" });
  });

  test("int messages: 4-byte ints and the kernel's 1-byte IP_TOS", () => {
    assert.equal(decodeInt(encodeInt(0, IP.TTL!, 64).data), 64);
    assert.equal(decodeInt(Buffer.from([0xb8])), 0xb8);
    assert.throws(() => decodeInt(Buffer.alloc(2)), ControlMessageError);
    assert.throws(() => encodeInt(0, 1, 2 ** 31), { code: "ERR_OUT_OF_RANGE" });
  });

  test("timestamps", () => {
    const ts = STRUCTS.timespec!;
    const b = Buffer.alloc(ts.size * 3);
    const dv = new DataView(b.buffer);
    const w = ts.tv_nsec! - ts.tv_sec!;
    const put = (i: number, sec: number, nsec: number): void => {
      if (w === 8) dv.setBigInt64(i * ts.size + ts.tv_sec!, BigInt(sec), LE);
      else dv.setInt32(i * ts.size + ts.tv_sec!, sec, LE);
      if (ts.size - ts.tv_nsec! === 8) dv.setBigInt64(i * ts.size + ts.tv_nsec!, BigInt(nsec), LE);
      else dv.setInt32(i * ts.size + ts.tv_nsec!, nsec, LE);
    };
    put(0, 1700000000, 123456789);
    put(2, 5, 6);
    assert.deepEqual(decodeTimespec(b), { sec: 1700000000, nsec: 123456789 });
    assert.deepEqual(decodeTimespec(b, 2), { sec: 5, nsec: 6 });
    assert.throws(() => decodeTimespec(b, 3), ControlMessageError);
    const tv = STRUCTS.timeval!;
    const t = Buffer.alloc(tv.size);
    const tdv = new DataView(t.buffer);
    if (tv.tv_usec! - tv.tv_sec! === 8) tdv.setBigInt64(tv.tv_sec!, 10n, LE);
    else tdv.setInt32(tv.tv_sec!, 10, LE);
    if (tv.size - tv.tv_usec! === 8) tdv.setBigInt64(tv.tv_usec!, 250n, LE);
    else tdv.setInt32(tv.tv_usec!, 250, LE);
    assert.deepEqual(decodeTimeval(t), { sec: 10, nsec: 250000 });
    const views = decodeViews([{ level: SOL.SOCKET, type: SCM.TIMESTAMPING, data: b }]);
    assert.deepEqual(views.timestamping, [
      { sec: 1700000000, nsec: 123456789 },
      { sec: 0, nsec: 0 },
      { sec: 5, nsec: 6 },
    ]);
  });

  test("sock_extended_err with and without an offender", () => {
    const ee = STRUCTS.sock_extended_err!;
    const sin = STRUCTS.sockaddr_in!;
    const b = Buffer.alloc(MSG_FACTS.SO_EE_OFFENDER + sin.size);
    const dv = new DataView(b.buffer);
    dv.setUint32(ee.ee_errno!, 111, LE); // ECONNREFUSED on Linux
    b[ee.ee_origin!] = MSG_FACTS.SO_EE_ORIGIN_ICMP as number;
    b[ee.ee_type!] = 3;
    b[ee.ee_code!] = 3;
    dv.setUint32(ee.ee_info!, 1500, LE);
    const off = MSG_FACTS.SO_EE_OFFENDER;
    dv.setUint16(off + sin.sin_family!, AF.INET, LE);
    b.set([192, 0, 2, 1], off + sin.sin_addr!);
    const e = decodeExtendedError(b);
    assert.equal(e.errno, 111);
    assert.equal(e.code, "ECONNREFUSED");
    assert.equal(e.origin, "icmp");
    assert.equal(e.type, 3);
    assert.equal(e.icmpCode, 3);
    assert.equal(e.info, 1500);
    assert.deepEqual(e.offender, { family: "inet", address: "192.0.2.1", port: 0 });
    // AF_UNSPEC offender: none
    dv.setUint16(off + sin.sin_family!, AF.UNSPEC, LE);
    b[ee.ee_origin!] = MSG_FACTS.SO_EE_ORIGIN_LOCAL as number;
    const l = decodeExtendedError(b);
    assert.equal(l.offender, null);
    assert.equal(l.origin, "local");
    assert.equal(decodeExtendedError(b.subarray(0, ee.size)).offender, null);
    assert.throws(() => decodeExtendedError(Buffer.alloc(ee.size - 1)), ControlMessageError);
    const v = decodeViews([{ level: IPPROTO.IP, type: IP.RECVERR!, data: b }]);
    assert.equal(v.error?.code, "ECONNREFUSED");
  });

  test("decodeViews collects the known ones and skips short data", () => {
    const v = decodeViews([
      encodeCredentials({ pid: 1, uid: 2, gid: 3 }),
      encodeInt(IPPROTO.IP, IP.TTL!, 9),
      { level: IPPROTO.IP, type: IP.TOS!, data: Buffer.from([4]) },
      encodeInt(IPPROTO.IPV6, IPV6.HOPLIMIT!, 10),
      encodeInt(IPPROTO.IPV6, IPV6.TCLASS!, 11),
      encodePktinfo({ address: "::1", ifindex: 1 }, "inet6"),
      { level: IPPROTO.IP, type: IP.PKTINFO!, data: Buffer.alloc(2) }, // too short: skipped
      { level: 99, type: 99, data: Buffer.alloc(1) },
    ]);
    assert.deepEqual(v, {
      credentials: { pid: 1, uid: 2, gid: 3 },
      ttl: 9,
      tos: 4,
      hopLimit: 10,
      tclass: 11,
      pktinfo: { family: "inet6", address: "::1", ifindex: 1 },
    });
  });

  test("SCM_SECURITY: the label before the NUL; SCM_PIDFD: an int, and an fd to own", () => {
    assert.equal(decodeSecurity(Buffer.from("unconfined\0")), "unconfined");
    assert.equal(decodeSecurity(Buffer.from("system_u:system_r:sshd_t:s0")), "system_u:system_r:sshd_t:s0");
    assert.equal(decodeSecurity(Buffer.alloc(0)), "");
    assert.equal(decodePidfd(encodeInt(SOL.SOCKET, 0, 42).data), 42);
    assert.throws(() => decodePidfd(Buffer.alloc(2)), ControlMessageError);
    // SCM_RIGHTS always carries fds; SCM_PIDFD does where the headers define it; nothing else does
    assert.equal(carriesFds({ level: SOL.SOCKET, type: SCM.RIGHTS }), true);
    assert.equal(carriesFds({ level: SOL.SOCKET, type: SCM.CREDENTIALS }), false);
    assert.equal(carriesFds({ level: IPPROTO.IP, type: SCM.RIGHTS }), false);
    if (SCM.PIDFD !== undefined) assert.equal(carriesFds({ level: SOL.SOCKET, type: SCM.PIDFD }), true);
    if (SCM.SECURITY !== undefined) {
      const v = decodeViews([{ level: SOL.SOCKET, type: SCM.SECURITY, data: Buffer.from("label\0") }]);
      assert.equal(v.security, "label");
    }
  });
});
