/**
 * Property tests for the netlink codec: random and truncated bytes never make
 * any decoder throw anything but NetlinkMessageError (and never hang — each
 * loop advances by at least one aligned header), and encode → decode is the
 * identity for attributes and messages.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { RTM } from "../../src/constants.js";
import {
  AttributeDecoder,
  AttributeEncoder,
  NetlinkMessageError,
  decodeAddress,
  decodeGenlFamily,
  decodeInetSocket,
  decodeLink,
  decodeNeighbour,
  decodeNetlinkSocket,
  decodePacketSocket,
  decodeRoute,
  decodeRouteEvent,
  decodeUnixSocket,
  encodeMessage,
  parseAck,
  parseAttributes,
  parseDone,
  parseMessages,
  parseUevent,
  type NetlinkMessage,
} from "../../src/netlink/index.js";

const RUNS = 2000;
const bytes = fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a));

/** Runs fn; passes when it returns or throws NetlinkMessageError, fails on anything else. */
function onlyOwnErrors(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof NetlinkMessageError) return true;
    throw e;
  }
}

/** Decodes every attribute with every getter, recursing into anything that could be nested. */
function walk(d: AttributeDecoder, depth = 0): void {
  while (d.next()) {
    d.uint8();
    d.uint16();
    d.uint32();
    d.int32();
    d.uint64();
    d.string();
    if (depth < 4) d.nested((n) => walk(n, depth + 1));
  }
  d.finish();
}

const decoders: [string, (m: NetlinkMessage) => unknown][] = [
  ["link", decodeLink],
  ["address", decodeAddress],
  ["route", decodeRoute],
  ["neighbour", decodeNeighbour],
  ["event", decodeRouteEvent],
  ["inet", (m) => decodeInetSocket(m, "tcp", 6)],
  ["unix", decodeUnixSocket],
  ["packet", decodePacketSocket],
  ["netlink", decodeNetlinkSocket],
  ["genl", decodeGenlFamily],
  ["ack", parseAck],
  ["done", parseDone],
];

describe("netlink codec on random input", () => {
  test("parseMessages and parseAttributes throw only NetlinkMessageError", () => {
    fc.assert(
      fc.property(bytes, (b) => onlyOwnErrors(() => parseMessages(b)) && onlyOwnErrors(() => parseAttributes(b))),
      { numRuns: RUNS },
    );
  });

  test("the attribute decoder with every getter and nesting throws only NetlinkMessageError", () => {
    fc.assert(
      fc.property(
        bytes,
        fc.constantFrom("host", "little", "big") as fc.Arbitrary<"host" | "little" | "big">,
        (b, endian) => onlyOwnErrors(() => walk(new AttributeDecoder(b, { endian }))),
      ),
      { numRuns: RUNS },
    );
  });

  test("every message decoder throws only NetlinkMessageError", () => {
    fc.assert(
      fc.property(
        bytes,
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffff }),
        (data, type, flags) => {
          const m: NetlinkMessage = { type, flags, seq: 1, pid: 2, data };
          for (const [, decode] of decoders) onlyOwnErrors(() => decode(m));
          onlyOwnErrors(() => parseUevent(data));
          return true;
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("attribute-shaped random input (valid headers, random values) decodes or fails cleanly", () => {
    const attr = fc.record({ type: fc.integer({ min: 0, max: 0x3fff }), value: fc.uint8Array({ maxLength: 24 }) });
    fc.assert(
      fc.property(fc.array(attr, { maxLength: 12 }), fc.nat(40), (attrs, cut) => {
        const e = new AttributeEncoder();
        for (const a of attrs) e.bytes(a.type, a.value);
        const buf = e.encode();
        const all = parseAttributes(buf);
        assert.equal(all.length, attrs.length);
        // A cut anywhere: a prefix decodes, or the codec's own error.
        const at = Math.max(0, buf.length - cut);
        onlyOwnErrors(() => parseAttributes(buf.subarray(0, at)));
        for (const [, decode] of decoders) {
          onlyOwnErrors(() => decode({ type: RTM.NEWLINK, flags: 0, seq: 0, pid: 0, data: buf.subarray(0, at) }));
        }
        return true;
      }),
      { numRuns: RUNS },
    );
  });
});

describe("netlink codec round trips", () => {
  test("attributes: encode → decode is the identity (types, values, nesting)", () => {
    const attr = fc.record({ type: fc.integer({ min: 0, max: 0x3fff }), value: fc.uint8Array({ maxLength: 40 }) });
    fc.assert(
      fc.property(fc.array(attr, { maxLength: 10 }), fc.array(attr, { maxLength: 5 }), (outer, inner) => {
        const e = new AttributeEncoder();
        for (const a of outer) e.bytes(a.type, a.value);
        e.nested(7, (n) => {
          for (const a of inner) n.bytes(a.type, a.value);
        });
        const got = parseAttributes(e.encode());
        assert.deepEqual(
          got.slice(0, -1).map((a) => [a.type, [...a.data]]),
          outer.map((a) => [a.type, [...a.value]]),
        );
        const last = got[got.length - 1]!;
        assert.equal(last.nested, true);
        assert.deepEqual(
          parseAttributes(last.data).map((a) => [a.type, [...a.data]]),
          inner.map((a) => [a.type, [...a.value]]),
        );
      }),
      { numRuns: RUNS },
    );
  });

  test("messages: encode → parse is the identity; every truncation fails cleanly", () => {
    const msg = fc.record({
      type: fc.integer({ min: 0, max: 0xffff }),
      flags: fc.integer({ min: 0, max: 0xffff }),
      seq: fc.integer({ min: 0, max: 0xffffffff }),
      pid: fc.integer({ min: 0, max: 0xffffffff }),
      data: fc.uint8Array({ maxLength: 64 }),
    });
    fc.assert(
      fc.property(fc.array(msg, { minLength: 1, maxLength: 6 }), fc.nat(), (msgs, cutSeed) => {
        const buf = Buffer.concat(msgs.map((m) => encodeMessage(m)));
        const got = parseMessages(buf);
        assert.deepEqual(
          got.map((m) => [m.type, m.flags, m.seq, m.pid, [...m.data]]),
          msgs.map((m) => [m.type, m.flags, m.seq, m.pid, [...m.data]]),
        );
        const cut = cutSeed % buf.length;
        onlyOwnErrors(() => parseMessages(buf.subarray(0, cut)));
      }),
      { numRuns: RUNS },
    );
  });
});
