/**
 * Property tests for the address codec. The oracle is libc: parseIPv4/IPv6 must
 * accept exactly what inet_pton(3) accepts and produce the same bytes, and
 * formatIPv4/IPv6 must print what inet_ntop(3) prints. The sockaddr decoder must
 * never throw, and every family must survive encode → decode (and, for Unix
 * abstract names, a trip through the kernel).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  decodeSockaddr,
  encodeSockaddr,
  formatAddress,
  formatIPv4,
  formatIPv6,
  parseAddress,
  parseIPv4,
  parseIPv6,
  type SocketAddress,
} from "../../src/address.js";
import { AF } from "../../src/constants.js";
import { native } from "../../src/raw/native.js";
import { Socket } from "../../src/socket.js";

const RUNS = 2000;

/** libc's inet_pton: the bytes, or null when it says "not an address". */
function pton(family: number, text: string): Uint8Array | null {
  const out = new Uint8Array(16);
  const r = native.inetPton(family, text, out);
  assert.ok(r >= 0, `inet_pton failed with ${r}`);
  return r === 1 ? out.subarray(0, family === AF.INET ? 4 : 16) : null;
}

/** libc's inet_ntop. */
function ntop(family: number, bytes: Uint8Array): string {
  const r = native.inetNtop(family, bytes);
  assert.equal(typeof r, "string", `inet_ntop failed with ${String(r)}`);
  return r as string;
}

const chars = (alphabet: string, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...alphabet.split("")), maxLength });

/** A decimal part of a dotted quad, often valid, sometimes not. */
const quadPart = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 0, max: 255 }).map(String) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }).map((n) => `0${n}`) },
  { weight: 1, arbitrary: fc.integer({ min: 256, max: 99999 }).map(String) },
  { weight: 1, arbitrary: chars("0123456789", 4) },
  { weight: 1, arbitrary: chars("0123456789x -+", 3) },
);
/** Strings that look like IPv4 addresses: structured ones and random ones. */
const ipv4ish = fc.oneof(
  { weight: 4, arbitrary: fc.array(quadPart, { minLength: 4, maxLength: 4 }).map((p) => p.join(".")) },
  { weight: 2, arbitrary: fc.array(quadPart, { minLength: 1, maxLength: 6 }).map((p) => p.join(".")) },
  { weight: 1, arbitrary: chars("0123456789.", 20) },
  { weight: 1, arbitrary: chars("0123456789.:x ", 20) },
);

/** A hex group of an IPv6 address, often valid, sometimes not. */
const hexGroup = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16)) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16).toUpperCase().padStart(4, "0")),
  },
  { weight: 2, arbitrary: fc.constant("0") },
  { weight: 1, arbitrary: fc.constant("") },
  { weight: 1, arbitrary: chars("0123456789abcdefABCDEFg", 5) },
  {
    weight: 1,
    arbitrary: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 3, maxLength: 5 }).map((p) => p.join(".")),
  },
);
/** Strings that look like IPv6 addresses: groups joined by ":" with "::" somewhere or nowhere. */
const ipv6ish = fc.oneof(
  { weight: 4, arbitrary: fc.array(hexGroup, { minLength: 1, maxLength: 9 }).map((g) => g.join(":")) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.array(hexGroup, { maxLength: 8 }), fc.array(hexGroup, { maxLength: 8 }))
      .map(([a, b]) => `${a.join(":")}::${b.join(":")}`),
  },
  { weight: 2, arbitrary: chars("0123456789abcdefABCDEF:.", 45) },
  { weight: 1, arbitrary: chars("0f:.%g ", 12) },
);

/** 16 bytes whose 16-bit words are biased to 0 (and 0xffff), to exercise "::" and v4 tails. */
const ipv6Bytes = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.constant(0xffff) },
      { weight: 1, arbitrary: fc.constant(1) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
    ),
    { minLength: 8, maxLength: 8 },
  )
  .map((words) => {
    const b = new Uint8Array(16);
    words.forEach((w, i) => {
      b[2 * i] = w >> 8;
      b[2 * i + 1] = w & 0xff;
    });
    return b;
  });
const ipv4Bytes = fc.uint8Array({ minLength: 4, maxLength: 4 });

/**
 * Checks a parser against libc's inet_pton on random IP-ish strings, and that
 * the run was not vacuous: both valid and invalid strings were compared.
 */
function agreesWithPton(
  family: number,
  strings: fc.Arbitrary<string>,
  parse: (text: string) => Uint8Array | null,
): void {
  const seen: [number, number] = [0, 0];
  fc.assert(
    fc.property(strings, (text) => {
      const want = pton(family, text);
      const got = parse(text);
      assert.deepEqual(
        got === null ? null : [...got],
        want === null ? null : [...want],
        `text ${JSON.stringify(text)}`,
      );
      seen[want === null ? 0 : 1]++;
    }),
    { numRuns: RUNS * 5 },
  );
  assert.ok(
    seen[0] > RUNS / 4 && seen[1] > RUNS / 4,
    `valid/invalid mix too thin: ${seen[1]} valid, ${seen[0]} invalid`,
  );
}

describe("parseIPv4 agrees with inet_pton(AF_INET)", () => {
  test("on random IP-ish strings", () => agreesWithPton(AF.INET, ipv4ish, parseIPv4));

  test("on every address inet_ntop prints", () => {
    fc.assert(
      fc.property(ipv4Bytes, (bytes) => {
        const text = ntop(AF.INET, bytes);
        assert.deepEqual([...parseIPv4(text)!], [...bytes]);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("parseIPv6 agrees with inet_pton(AF_INET6)", () => {
  test("on random IP-ish strings", () => agreesWithPton(AF.INET6, ipv6ish, parseIPv6));

  test("on every address inet_ntop prints, and on its uncompressed upper-case form", () => {
    fc.assert(
      fc.property(ipv6Bytes, (bytes) => {
        const text = ntop(AF.INET6, bytes);
        assert.deepEqual([...parseIPv6(text)!], [...bytes], text);
        const long = Array.from({ length: 8 }, (_, i) =>
          ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16).toUpperCase().padStart(4, "0"),
        ).join(":");
        assert.deepEqual([...parseIPv6(long)!], [...bytes], long);
        assert.deepEqual([...pton(AF.INET6, long)!], [...bytes], long);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("formatIPv4/formatIPv6 print what inet_ntop prints", () => {
  test("IPv4 on random bytes", () => {
    fc.assert(
      fc.property(ipv4Bytes, (bytes) => {
        assert.equal(formatIPv4(bytes), ntop(AF.INET, bytes));
      }),
      { numRuns: RUNS },
    );
  });

  test("IPv6 on random bytes biased to zero words", () => {
    fc.assert(
      fc.property(ipv6Bytes, (bytes) => {
        assert.equal(formatIPv6(bytes), ntop(AF.INET6, bytes));
      }),
      { numRuns: RUNS * 5 },
    );
  });

  test("IPv6 at an offset inside a larger buffer", () => {
    fc.assert(
      fc.property(ipv6Bytes, fc.nat(20), (bytes, off) => {
        const big = new Uint8Array(off + 16 + 3).fill(0xaa);
        big.set(bytes, off);
        assert.equal(formatIPv6(big, off), ntop(AF.INET6, bytes));
      }),
      { numRuns: RUNS },
    );
  });

  test("the v4-mapped, v4-compatible and edge forms", () => {
    for (const text of [
      "::",
      "::1",
      "::ffff:0.0.0.0",
      "::ffff:1.2.3.4",
      "::1.2.3.4",
      "::0.0.0.1",
      "::ffff:0:1.2.3.4",
      "1::",
      "0:0:1::",
      "1:0:0:1::",
      "::1:0:0:1",
    ]) {
      const bytes = pton(AF.INET6, text)!;
      assert.ok(bytes, text);
      assert.equal(formatIPv6(bytes), ntop(AF.INET6, bytes), text);
    }
  });
});

const port = fc.integer({ min: 0, max: 65535 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** Unix path names: any text without NUL, 1..108 UTF-8 bytes. */
const unixPath = fc
  .string({ unit: "grapheme", minLength: 1, maxLength: 60 })
  .filter((s) => !s.includes("\0") && Buffer.byteLength(s) <= 108 && !s.startsWith("@"));
/** Abstract names: a NUL then 0..107 arbitrary bytes (NULs included). */
const abstractBytes = fc.uint8Array({ maxLength: 107 }).map((b) => Buffer.concat([Buffer.from([0]), Buffer.from(b)]));

/** Every address object the codec knows, with canonical text so that decode(encode(a)) equals a. */
const anyAddress: fc.Arbitrary<SocketAddress> = fc.oneof(
  fc.record({ family: fc.constant("inet" as const), address: ipv4Bytes.map((b) => formatIPv4(b)), port }),
  fc.record({
    family: fc.constant("inet6" as const),
    address: ipv6Bytes.map((b) => formatIPv6(b)),
    port,
    flowinfo: u32,
    scopeId: u32,
  }),
  fc.record({ family: fc.constant("unix" as const), path: unixPath }),
  fc.record({
    family: fc.constant("unix" as const),
    path: fc
      .string({ maxLength: 40 })
      .map((s) => `\0${s}`)
      .filter((s) => Buffer.byteLength(s) <= 108),
  }),
  fc.constant({ family: "unix" as const, path: "" }),
  fc.record({ family: fc.constant("netlink" as const), pid: u32, groups: u32 }),
  fc.record({
    family: fc.constant("packet" as const),
    protocol: port,
    ifindex: fc.integer({ min: 0, max: 0x7fffffff }),
    hatype: port,
    pkttype: fc.integer({ min: 0, max: 255 }),
    addr: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
  }),
);

describe("the sockaddr codec", () => {
  test("decodeSockaddr never throws on random bytes and lengths, and returns a well-formed address", () => {
    const known = [AF.INET, AF.INET6, AF.UNIX, AF.NETLINK, AF.PACKET];
    const bytesWithFamily = fc
      .tuple(
        fc.uint8Array({ maxLength: 160 }),
        fc.oneof(fc.constantFrom(...known), fc.integer({ min: 0, max: 0xffff })),
      )
      .map(([b, fam]) => {
        const buf = Buffer.from(b);
        if (buf.length >= 2) buf.writeUInt16LE(fam, 0);
        return buf;
      });
    fc.assert(
      fc.property(bytesWithFamily, fc.integer({ min: -4, max: 200 }), (buf, length) => {
        const a = decodeSockaddr(buf, length);
        switch (a.family) {
          case "inet":
            assert.ok(parseIPv4(a.address));
            assert.ok(a.port >= 0 && a.port <= 65535);
            break;
          case "inet6":
            assert.ok(parseIPv6(a.address), a.address);
            assert.ok(a.port >= 0 && a.port <= 65535);
            break;
          case "unix":
            assert.ok(typeof a.path === "string" || Buffer.isBuffer(a.path));
            break;
          case "netlink":
          case "packet":
            break;
          default:
            assert.equal(typeof a.family, "number");
            assert.ok(Buffer.isBuffer(a.bytes));
            assert.ok(a.bytes.length <= Math.max(0, Math.min(length, buf.length)));
        }
        // And whatever comes back can be printed.
        assert.equal(typeof formatAddress(a), "string");
      }),
      { numRuns: RUNS * 5 },
    );
  });

  test("encode → decode returns the same address, for every family", () => {
    fc.assert(
      fc.property(anyAddress, (a) => {
        const { bytes, length } = encodeSockaddr(a);
        assert.ok(length <= bytes.length);
        assert.deepEqual(decodeSockaddr(bytes, length), { ...a });
      }),
      { numRuns: RUNS * 2 },
    );
  });

  test("abstract names of arbitrary bytes (NULs included) survive encode → decode", () => {
    fc.assert(
      fc.property(abstractBytes, (name) => {
        const { bytes, length } = encodeSockaddr({ family: "unix", path: name });
        assert.equal(length, 2 + name.length);
        const back = decodeSockaddr(bytes, length);
        assert.equal(back.family, "unix");
        const path = (back as { path: string | Buffer }).path;
        assert.deepEqual(typeof path === "string" ? Buffer.from(path, "utf8") : path, name);
      }),
      { numRuns: RUNS },
    );
  });

  test("an unknown family's bytes survive encode → decode", () => {
    const knownSet = new Set<number>([AF.INET, AF.INET6, AF.UNIX, AF.NETLINK, AF.PACKET]);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }).filter((f) => !knownSet.has(f)),
        fc.uint8Array({ maxLength: 60 }),
        (family, rest) => {
          const raw = Buffer.alloc(2 + rest.length);
          raw.writeUInt16LE(family, 0);
          Buffer.from(rest).copy(raw, 2);
          const { bytes, length } = encodeSockaddr({ family, bytes: raw });
          assert.deepEqual(decodeSockaddr(bytes, length), { family, bytes: raw });
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("the kernel hands back the abstract name it was given (bind → getsockname)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 107 }), (rest) => {
        // A unique prefix keeps runs from colliding with each other or with other tests.
        const tag = Buffer.from(`sockit-prop-${process.pid}-`);
        const name = Buffer.concat([Buffer.from([0]), tag, Buffer.from(rest)]).subarray(0, 108);
        const s = new Socket("unix", "dgram");
        try {
          s.bind({ family: "unix", path: name });
          const back = s.getsockname();
          assert.equal(back.family, "unix");
          const path = (back as { path: string | Buffer }).path;
          assert.deepEqual(typeof path === "string" ? Buffer.from(path, "utf8") : path, name);
        } finally {
          s.close();
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("string forms round trip", () => {
  test("parseAddress(formatAddress(a)) is a, for inet, inet6 (with scope) and Unix addresses", () => {
    const scope = fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 0xffffffff }), fc.constant("lo"));
    const addr = fc.oneof(
      fc.record({ family: fc.constant("inet" as const), address: ipv4Bytes.map((b) => formatIPv4(b)), port }),
      fc.tuple(ipv6Bytes, port, scope).map(([b, p, s]) => {
        const a: SocketAddress = { family: "inet6", address: formatIPv6(b), port: p };
        if (s !== undefined) a.scopeId = s;
        return a;
      }),
      unixPath
        .map((p) => ({ family: "unix" as const, path: p.startsWith("/") ? p : `/${p}` }))
        .filter((a) => Buffer.byteLength(a.path) <= 108),
      fc.string({ maxLength: 40 }).map((s) => ({ family: "unix" as const, path: `\0${s}` })),
    );
    fc.assert(
      fc.property(addr, (a) => {
        const text = formatAddress(a);
        assert.deepEqual(parseAddress(text), { ...a }, text);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  test('with hint "unix", any path name round trips (except a leading "@", which means abstract)', () => {
    fc.assert(
      fc.property(unixPath, (p) => {
        assert.deepEqual(parseAddress(formatAddress({ family: "unix", path: p }), "unix"), { family: "unix", path: p });
      }),
      { numRuns: RUNS },
    );
  });
});
