/**
 * The address codec, example by example: string forms, the sockaddr bytes the
 * kernel gets (checked against the Linux layout written out by hand), and the
 * errors for addresses that are malformed or do not fit.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { describe, test } from "node:test";
import {
  decodeSockaddr,
  encodeSockaddr,
  formatAddress,
  parseAddress,
  toAddress,
  type Inet6Address,
  type SocketAddress,
} from "../../src/address.js";
import { AF } from "../../src/constants.js";
import { SocketError } from "../../src/errors.js";

/** lo's interface index, from sysfs (an oracle independent of if_nametoindex). */
const LO_INDEX = Number(readFileSync("/sys/class/net/lo/ifindex", "utf8").trim());
const ENAMETOOLONG = osConstants.errno.ENAMETOOLONG;

/** Asserts fn throws at once a TypeError (or `cls`) with `code`. */
function throwsCode(
  fn: () => unknown,
  code: string,
  cls: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor = TypeError,
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(
      e instanceof cls,
      `expected ${cls.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
    assert.equal((e as { code?: string }).code, code, (e as Error).message);
    return true;
  });
}

/** Asserts fn throws at once SocketError ENAMETOOLONG from `syscall`, mentioning the length. */
function throwsTooLong(fn: () => unknown, syscall: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SocketError, `expected SocketError, got ${String(e)}`);
    assert.equal(e.code, "ENAMETOOLONG");
    assert.equal(e.errno, -ENAMETOOLONG);
    assert.equal(e.syscall, syscall);
    assert.equal(typeof e.path, "string");
    assert.match(e.message, /ENAMETOOLONG/);
    return true;
  });
}

describe("parseAddress: the string forms", () => {
  const cases: [string, SocketAddress][] = [
    ["127.0.0.1:80", { family: "inet", address: "127.0.0.1", port: 80 }],
    ["0.0.0.0:0", { family: "inet", address: "0.0.0.0", port: 0 }],
    ["255.255.255.255:65535", { family: "inet", address: "255.255.255.255", port: 65535 }],
    ["[::1]:80", { family: "inet6", address: "::1", port: 80 }],
    ["[::]:0", { family: "inet6", address: "::", port: 0 }],
    ["[2001:db8::1]:443", { family: "inet6", address: "2001:db8::1", port: 443 }],
    ["[::ffff:10.0.0.1]:53", { family: "inet6", address: "::ffff:10.0.0.1", port: 53 }],
    ["[fe80::1%lo]:8080", { family: "inet6", address: "fe80::1", port: 8080, scopeId: "lo" }],
    ["[fe80::1%7]:8080", { family: "inet6", address: "fe80::1", port: 8080, scopeId: 7 }],
    ["/run/x.sock", { family: "unix", path: "/run/x.sock" }],
    ["./x.sock", { family: "unix", path: "./x.sock" }],
    ["../x.sock", { family: "unix", path: "../x.sock" }],
    ["@name", { family: "unix", path: "\0name" }],
    ["@", { family: "unix", path: "\0" }],
  ];
  for (const [text, want] of cases) {
    test(`${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseAddress(text), want);
    });
  }

  test("IPv6 text is normalised to inet_ntop's form", () => {
    assert.deepEqual(parseAddress("[FE80:0000:0000:0000:0000:0000:0000:0001]:1"), {
      family: "inet6",
      address: "fe80::1",
      port: 1,
    });
    assert.deepEqual(parseAddress("[0:0:0:0:0:ffff:7f00:1]:1"), {
      family: "inet6",
      address: "::ffff:127.0.0.1",
      port: 1,
    });
  });

  test('hint "unix" reads every string as a path, "@" still meaning abstract', () => {
    assert.deepEqual(parseAddress("x.sock", "unix"), { family: "unix", path: "x.sock" });
    assert.deepEqual(parseAddress("1.2.3.4:80", "unix"), { family: "unix", path: "1.2.3.4:80" });
    assert.deepEqual(parseAddress("@a b", "unix"), { family: "unix", path: "\0a b" });
  });

  test('hint "inet6" maps an IPv4 string to its v4-mapped IPv6 address', () => {
    assert.deepEqual(parseAddress("1.2.3.4:80", "inet6"), { family: "inet6", address: "::ffff:1.2.3.4", port: 80 });
  });

  test("an unnamed Unix address is the empty string", () => {
    assert.deepEqual(parseAddress(""), { family: "unix", path: "" });
  });
});

describe("parseAddress: bad strings are TypeError ERR_INVALID_ADDRESS, thrown at once", () => {
  const bad: [string, "inet" | "inet6" | undefined][] = [
    ["1.2.3.4", "inet"],
    ["1.2.3.4:", undefined],
    ["1.2.3.4:65536", undefined],
    ["1.2.3.4:99999", undefined],
    ["1.2.3.4:-1", undefined],
    ["1.2.3.4:80x", undefined],
    ["1.2.3.4: 80", undefined],
    ["1.2.3.4:0x50", undefined],
    ["256.1.1.1:80", undefined],
    ["1.2.3:80", undefined],
    ["1.2.3.4.5:80", undefined],
    ["01.2.3.4:80", undefined],
    [" 1.2.3.4:80", undefined],
    ["localhost:80", undefined],
    [":80", undefined],
    ["::1:80", undefined],
    ["[::1]", undefined],
    ["[::1]80", undefined],
    ["[::1]:", undefined],
    ["[::1:80", undefined],
    ["[::g]:80", undefined],
    ["[1::2::3]:80", undefined],
    ["[fe80::1%]:80", undefined],
    ["[1.2.3.4]:80", undefined],
    ["[]:80", undefined],
    ["x.sock", "inet"],
    ["x.sock", "inet6"],
  ];
  for (const [text, hint] of bad) {
    test(`${JSON.stringify(text)}${hint ? ` (hint ${hint})` : ""}`, () => {
      throwsCode(() => parseAddress(text, hint), "ERR_INVALID_ADDRESS");
    });
  }

  test("the message quotes the offending text", () => {
    assert.throws(() => parseAddress("1.2.3.4:99999"), /"1\.2\.3\.4:99999"/);
  });

  test("a non-string is ERR_INVALID_ARG_TYPE", () => {
    throwsCode(() => parseAddress(42 as unknown as string), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => parseAddress(null as unknown as string), "ERR_INVALID_ARG_TYPE");
  });
});

describe("formatAddress and its round trip with parseAddress", () => {
  const cases: [SocketAddress, string][] = [
    [{ family: "inet", address: "10.1.2.3", port: 8080 }, "10.1.2.3:8080"],
    [{ family: "inet6", address: "::1", port: 80 }, "[::1]:80"],
    [{ family: "inet6", address: "fe80::1", port: 80, scopeId: "lo" }, "[fe80::1%lo]:80"],
    [{ family: "inet6", address: "fe80::1", port: 80, scopeId: LO_INDEX }, `[fe80::1%${LO_INDEX}]:80`],
    [{ family: "unix", path: "/run/x.sock" }, "/run/x.sock"],
    [{ family: "unix", path: "\0name" }, "@name"],
    [{ family: "unix", path: "\0with\0nuls\0" }, "@with\0nuls\0"],
    [{ family: "unix", path: "" }, ""],
  ];
  for (const [addr, text] of cases) {
    test(`${JSON.stringify(text)}`, () => {
      assert.equal(formatAddress(addr), text);
      assert.deepEqual(parseAddress(text), addr);
      assert.equal(formatAddress(parseAddress(text)), text);
    });
  }

  test("a zero scope id is no scope", () => {
    assert.equal(formatAddress({ family: "inet6", address: "::1", port: 1, scopeId: 0 }), "[::1]:1");
  });
});

describe("encodeSockaddr: the bytes the kernel gets (Linux layout)", () => {
  test("inet: sa_family (host order), port (network order), address", () => {
    const { bytes, length } = encodeSockaddr({ family: "inet", address: "192.0.2.1", port: 443 });
    assert.equal(length, 16);
    const want = Buffer.alloc(16);
    want.writeUInt16LE(AF.INET, 0);
    want.writeUInt16BE(443, 2);
    Buffer.from([192, 0, 2, 1]).copy(want, 4);
    assert.deepEqual(bytes.subarray(0, length), want);
  });

  test("inet6: port, flowinfo (network order), address, scope id (by name)", () => {
    const { bytes, length } = encodeSockaddr({
      family: "inet6",
      address: "fe80::1:2",
      port: 8080,
      flowinfo: 0x000abcde,
      scopeId: "lo",
    });
    assert.equal(length, 28);
    assert.equal(bytes.readUInt16LE(0), AF.INET6);
    assert.equal(bytes.readUInt16BE(2), 8080);
    assert.deepEqual([...bytes.subarray(4, 8)], [0x00, 0x0a, 0xbc, 0xde]);
    assert.deepEqual([...bytes.subarray(8, 24)], [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]);
    assert.equal(bytes.readUInt32LE(24), LO_INDEX);
  });

  test("inet6: a zone in the address text is the scope", () => {
    const { bytes } = encodeSockaddr({ family: "inet6", address: "fe80::1%lo", port: 1 });
    assert.equal(bytes.readUInt32LE(24), LO_INDEX);
    const numeric = encodeSockaddr({ family: "inet6", address: "fe80::1%42", port: 1 });
    assert.equal(numeric.bytes.readUInt32LE(24), 42);
  });

  test("inet6: an unknown interface name is SocketError ENODEV naming it", () => {
    assert.throws(
      () => encodeSockaddr({ family: "inet6", address: "fe80::1", port: 1, scopeId: "nosuchif0" }),
      (e: unknown) => e instanceof SocketError && e.code === "ENODEV" && /nosuchif0/.test(e.message),
    );
  });

  test("inet6: a scope name with a NUL inside is ENODEV, never the interface named by its prefix", () => {
    assert.throws(
      () => encodeSockaddr({ family: "inet6", address: "fe80::1", port: 1, scopeId: "lo\0junk" }),
      (e: unknown) => e instanceof SocketError && e.code === "ENODEV",
    );
    assert.throws(
      () => encodeSockaddr(parseAddress("[fe80::1%lo\0x]:1")),
      (e: unknown) => e instanceof SocketError && e.code === "ENODEV",
    );
  });

  test("unix path: sun_path plus its NUL, and addrlen counts it", () => {
    const { bytes, length } = encodeSockaddr({ family: "unix", path: "/tmp/x" });
    assert.equal(bytes.readUInt16LE(0), AF.UNIX);
    assert.equal(length, 2 + 6 + 1);
    assert.equal(bytes.subarray(2, 8).toString(), "/tmp/x");
    assert.equal(bytes[8], 0);
  });

  test("unix abstract: exactly the name's bytes, no NUL added, NULs inside kept", () => {
    const { bytes, length } = encodeSockaddr({ family: "unix", path: "\0a\0b\0" });
    assert.equal(length, 2 + 5);
    assert.deepEqual([...bytes.subarray(2, length)], [0, 97, 0, 98, 0]);
  });

  test("unix unnamed: only sa_family", () => {
    assert.equal(encodeSockaddr({ family: "unix", path: "" }).length, 2);
  });

  test("a 108-byte path fills sun_path with no NUL and is accepted", () => {
    const path = `/${"p".repeat(107)}`;
    const { bytes, length } = encodeSockaddr({ family: "unix", path });
    assert.equal(length, 110);
    assert.equal(bytes.subarray(2, 110).toString(), path);
    assert.deepEqual(decodeSockaddr(bytes, length), { family: "unix", path });
  });

  test("a 109-byte path is SocketError ENAMETOOLONG, never truncated", () => {
    throwsTooLong(() => encodeSockaddr({ family: "unix", path: `/${"p".repeat(108)}` }, "bind"), "bind");
    throwsTooLong(() => encodeSockaddr({ family: "unix", path: `/${"p".repeat(108)}` }, "connect"), "connect");
  });

  test("the limit counts UTF-8 bytes, not characters", () => {
    const fits = `/${"é".repeat(53)}x`; // 1 + 106 + 1 = 108 bytes
    assert.equal(Buffer.byteLength(fits), 108);
    assert.deepEqual(decodeSockaddr(encodeSockaddr({ family: "unix", path: fits }).bytes, 110), {
      family: "unix",
      path: fits,
    });
    const over = `/${"é".repeat(54)}`; // 109 bytes in 55 characters
    throwsTooLong(() => encodeSockaddr({ family: "unix", path: over }, "bind"), "bind");
  });

  test("abstract: 107 name bytes fit, 108 do not", () => {
    const ok = `\0${"a".repeat(107)}`;
    const enc = encodeSockaddr({ family: "unix", path: ok });
    assert.equal(enc.length, 110);
    assert.deepEqual(decodeSockaddr(enc.bytes, enc.length), { family: "unix", path: ok });
    throwsTooLong(() => encodeSockaddr({ family: "unix", path: `\0${"a".repeat(108)}` }, "bind"), "bind");
    assert.deepEqual(parseAddress(`@${"a".repeat(107)}`), { family: "unix", path: ok });
  });

  test("a path name with a NUL inside is ERR_INVALID_ADDRESS (it would be cut short by the kernel)", () => {
    throwsCode(() => encodeSockaddr({ family: "unix", path: "/tmp/a\0b" }), "ERR_INVALID_ADDRESS");
  });

  test("a Buffer path carries bytes that are not UTF-8, both ways", () => {
    const raw = Buffer.from([0x2f, 0x74, 0xff, 0xfe, 0x80]);
    const { bytes, length } = encodeSockaddr({ family: "unix", path: raw });
    const back = decodeSockaddr(bytes, length);
    assert.equal(back.family, "unix");
    assert.ok(Buffer.isBuffer((back as { path: unknown }).path), "non-UTF-8 bytes come back as a Buffer");
    assert.deepEqual((back as { path: Buffer }).path, raw);
  });

  test("netlink: pid and groups", () => {
    const { bytes, length } = encodeSockaddr({ family: "netlink", pid: 0x01020304, groups: 0x80000001 });
    assert.equal(length, 12);
    assert.equal(bytes.readUInt16LE(0), AF.NETLINK);
    assert.equal(bytes.readUInt32LE(4), 0x01020304);
    assert.equal(bytes.readUInt32LE(8), 0x80000001);
  });

  test("packet: protocol (network order), ifindex, hatype, pkttype, halen and address", () => {
    const addr = Buffer.from([2, 0, 0, 0, 0, 1]);
    const { bytes, length } = encodeSockaddr({
      family: "packet",
      protocol: 0x0800,
      ifindex: 3,
      hatype: 1,
      pkttype: 4,
      addr,
    });
    assert.equal(length, 20);
    assert.equal(bytes.readUInt16LE(0), AF.PACKET);
    assert.equal(bytes.readUInt16BE(2), 0x0800);
    assert.equal(bytes.readInt32LE(4), 3);
    assert.equal(bytes.readUInt16LE(8), 1);
    assert.equal(bytes[10], 4);
    assert.equal(bytes[11], 6);
    assert.deepEqual(bytes.subarray(12, 18), addr);
    throwsCode(
      () => encodeSockaddr({ family: "packet", protocol: 0, ifindex: 1, hatype: 0, pkttype: 0, addr: Buffer.alloc(9) }),
      "ERR_OUT_OF_RANGE",
      RangeError,
    );
  });

  test("an unknown family travels as its raw bytes", () => {
    const raw = Buffer.from([99, 0, 1, 2, 3, 4]);
    const enc = encodeSockaddr({ family: 99, bytes: raw });
    assert.equal(enc.length, 6);
    assert.deepEqual(decodeSockaddr(enc.bytes, enc.length), { family: 99, bytes: raw });
  });
});

describe("encodeSockaddr: malformed objects are coded errors thrown at once", () => {
  const cases: [string, unknown, string, ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor][] = [
    ["null", null, "ERR_INVALID_ARG_TYPE", TypeError],
    ["a number", 80, "ERR_INVALID_ARG_TYPE", TypeError],
    ["an unknown family name", { family: "ipx", address: "1", port: 1 }, "ERR_INVALID_ADDRESS", TypeError],
    [
      "an IPv4 address that is not one",
      { family: "inet", address: "1.2.3", port: 1 },
      "ERR_INVALID_ADDRESS",
      TypeError,
    ],
    ["an IPv6 address given to inet", { family: "inet", address: "::1", port: 1 }, "ERR_INVALID_ADDRESS", TypeError],
    ["a non-string address", { family: "inet", address: 0x7f000001, port: 1 }, "ERR_INVALID_ADDRESS", TypeError],
    ["a bad IPv6 address", { family: "inet6", address: "::1::", port: 1 }, "ERR_INVALID_ADDRESS", TypeError],
    ["port 65536", { family: "inet", address: "1.2.3.4", port: 65536 }, "ERR_OUT_OF_RANGE", RangeError],
    ["port -1", { family: "inet6", address: "::1", port: -1 }, "ERR_OUT_OF_RANGE", RangeError],
    ["port 1.5", { family: "inet", address: "1.2.3.4", port: 1.5 }, "ERR_OUT_OF_RANGE", RangeError],
    ['port "80"', { family: "inet", address: "1.2.3.4", port: "80" }, "ERR_OUT_OF_RANGE", RangeError],
    ["no port", { family: "inet", address: "1.2.3.4" }, "ERR_OUT_OF_RANGE", RangeError],
    ["flowinfo -1", { family: "inet6", address: "::1", port: 1, flowinfo: -1 }, "ERR_OUT_OF_RANGE", RangeError],
    ["flowinfo 2^32", { family: "inet6", address: "::1", port: 1, flowinfo: 2 ** 32 }, "ERR_OUT_OF_RANGE", RangeError],
    ["scopeId -1", { family: "inet6", address: "::1", port: 1, scopeId: -1 }, "ERR_OUT_OF_RANGE", RangeError],
    ["a numeric path", { family: "unix", path: 5 }, "ERR_INVALID_ARG_TYPE", TypeError],
  ];
  for (const [what, addr, code, cls] of cases) {
    test(what, () => throwsCode(() => encodeSockaddr(addr as SocketAddress), code, cls));
  }
});

describe("decodeSockaddr", () => {
  test("inet6 keeps flowinfo and the scope index through encode/decode", () => {
    const a: Inet6Address = { family: "inet6", address: "fe80::abcd", port: 5353, flowinfo: 0xfffff, scopeId: "lo" };
    const { bytes, length } = encodeSockaddr(a);
    assert.deepEqual(decodeSockaddr(bytes, length), { ...a, scopeId: LO_INDEX });
  });

  test("abstract names with NUL bytes come back byte for byte", () => {
    for (const path of ["\0", "\0\0", "\0a\0", `\0${"\0".repeat(107)}`, "\0ünïcödé\0"]) {
      const { bytes, length } = encodeSockaddr({ family: "unix", path });
      assert.deepEqual(decodeSockaddr(bytes, length), { family: "unix", path });
    }
  });

  test("a path is cut at its first NUL (the kernel may report the terminator in addrlen)", () => {
    const b = Buffer.alloc(110);
    b.writeUInt16LE(AF.UNIX, 0);
    b.write("/tmp/s", 2);
    assert.deepEqual(decodeSockaddr(b, 110), { family: "unix", path: "/tmp/s" });
    assert.deepEqual(decodeSockaddr(b, 2 + 7), { family: "unix", path: "/tmp/s" });
  });

  test("an addrlen of 0 or only sa_family is the unnamed address", () => {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(AF.UNIX, 0);
    assert.deepEqual(decodeSockaddr(b, 2), { family: "unix", path: "" });
    assert.deepEqual(decodeSockaddr(b, 0), { family: "unix", path: "" });
  });

  test("a sockaddr too short for its family comes back raw, never as garbage", () => {
    const { bytes } = encodeSockaddr({ family: "inet6", address: "::1", port: 1 });
    const short = decodeSockaddr(bytes, 10);
    assert.deepEqual(short, { family: AF.INET6, bytes: bytes.subarray(0, 10) });
  });

  test("a length beyond the buffer is clamped, a negative one is empty", () => {
    const { bytes } = encodeSockaddr({ family: "inet", address: "1.2.3.4", port: 5 });
    assert.deepEqual(decodeSockaddr(bytes, 1000), { family: "inet", address: "1.2.3.4", port: 5 });
    assert.deepEqual(decodeSockaddr(bytes, -5), { family: "unix", path: "" });
  });
});

describe("toAddress: what a socket of a given family does with either form", () => {
  test("an IPv4 object given to an IPv6 socket becomes v4-mapped", () => {
    assert.deepEqual(toAddress({ family: "inet", address: "127.0.0.1", port: 9 }, AF.INET6, "connect"), {
      family: "inet6",
      address: "::ffff:127.0.0.1",
      port: 9,
    });
  });

  test("strings are read with the socket's family as the hint", () => {
    assert.deepEqual(toAddress("sock", AF.UNIX, "bind"), { family: "unix", path: "sock" });
    throwsCode(() => toAddress("sock", AF.INET, "bind"), "ERR_INVALID_ADDRESS");
  });

  test("neither a string nor an object is ERR_INVALID_ARG_TYPE", () => {
    throwsCode(() => toAddress(undefined as unknown as string, AF.INET, "bind"), "ERR_INVALID_ARG_TYPE");
    throwsCode(() => toAddress(8080 as unknown as string, AF.INET, "bind"), "ERR_INVALID_ARG_TYPE");
  });
});
