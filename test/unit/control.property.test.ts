/**
 * Property tests for the control-message codec: random bytes never make the
 * decoder throw anything but ControlMessageError (or hang), the lenient parser
 * never throws, every decoded message lies inside the buffer, encode → decode
 * is the identity, and a cut encoding decodes to a prefix of the list.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  CMSG_LEN,
  CMSG_SPACE,
  ControlMessageError,
  decodeControl,
  decodeCredentials,
  decodePktinfo,
  decodeRights,
  decodeViews,
  encodeControl,
  encodeCredentials,
  encodePktinfo,
  encodeRights,
  parseControl,
} from "../../src/control.js";
import { IP, IPPROTO, IPV6, SCM, SOL, UDP } from "../../src/constants.js";

const RUNS = 3000;
const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
// fast-check builds records without a prototype; spread them into plain objects for deepEqual.
const message = fc
  .record({ level: int32, type: int32, data: fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a)) })
  .map((r) => ({ ...r }));

/** Bytes that look like control data often: encoded lists with some bytes flipped, plus pure noise. */
const noisy = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
  fc
    .tuple(
      fc.array(message, { maxLength: 6 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    )
    .map(([msgs, flips]) => {
      const b = encodeControl(msgs);
      for (const [at, v] of flips) if (b.length > 0) b[at % b.length] = v;
      return b;
    }),
);

describe("control codec properties", () => {
  test("random bytes: parseControl never throws, decodeControl throws only ControlMessageError", () => {
    fc.assert(
      fc.property(noisy, fc.oneof(fc.constant(undefined), fc.integer({ min: -10, max: 700 })), (buf, length) => {
        const p = parseControl(buf, length);
        let total = 0;
        for (const m of p.messages) {
          assert.ok(Buffer.isBuffer(m.data));
          assert.ok(Number.isInteger(m.level) && Number.isInteger(m.type));
          total += CMSG_LEN(m.data.length);
        }
        // every message lies inside the bytes it was given
        assert.ok(total <= Math.max(0, Math.min(length ?? buf.length, buf.length)));
        try {
          const list = decodeControl(buf, length);
          assert.equal(p.malformed, null);
          assert.equal(list.length, p.messages.length);
        } catch (e) {
          assert.ok(e instanceof ControlMessageError, `unexpected ${String(e)}`);
          assert.notEqual(p.malformed, null);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test("random messages: decodeViews never throws", () => {
    const known = fc.constantFrom(
      [SOL.SOCKET, SCM.CREDENTIALS],
      [SOL.SOCKET, SCM.TIMESTAMP],
      [SOL.SOCKET, SCM.TIMESTAMPNS],
      [SOL.SOCKET, SCM.TIMESTAMPING],
      [SOL.SOCKET, SCM.RIGHTS],
      [IPPROTO.IP, IP.PKTINFO],
      [IPPROTO.IP, IP.TTL],
      [IPPROTO.IP, IP.TOS],
      [IPPROTO.IP, IP.RECVERR],
      [IPPROTO.IP, IP.ORIGDSTADDR],
      [IPPROTO.IPV6, IPV6.PKTINFO],
      [IPPROTO.IPV6, IPV6.HOPLIMIT],
      [IPPROTO.IPV6, IPV6.TCLASS],
      [IPPROTO.IPV6, IPV6.RECVERR],
      [IPPROTO.UDP, UDP.GRO],
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(known, fc.uint8Array({ maxLength: 200 })), { maxLength: 8 }), (list) => {
        decodeViews(list.map(([[level, type], data]) => ({ level: level!, type: type!, data: Buffer.from(data) })));
      }),
      { numRuns: RUNS },
    );
  });

  test("encode → decode is the identity", () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 10 }), (msgs) => {
        const buf = encodeControl(msgs);
        assert.equal(
          buf.length,
          msgs.reduce((n, m) => n + CMSG_SPACE(m.data.length), 0),
        );
        const back = decodeControl(buf);
        assert.deepEqual(
          back.map((m) => ({ level: m.level, type: m.type, data: m.data })),
          msgs,
        );
        assert.ok(back.every((m) => m.truncated === undefined));
      }),
      { numRuns: RUNS },
    );
  });

  test("a cut encoding decodes to a prefix, the last one flagged truncated", () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 6 }), fc.nat(), (msgs, cutAt) => {
        const buf = encodeControl(msgs);
        const cut = cutAt % (buf.length + 1);
        const back = decodeControl(buf, cut);
        assert.ok(back.length <= msgs.length);
        back.forEach((m, i) => {
          const orig = msgs[i]!;
          assert.equal(m.level, orig.level);
          assert.equal(m.type, orig.type);
          if (m.truncated) {
            assert.equal(i, back.length - 1);
            assert.ok(m.data.length < orig.data.length);
            assert.deepEqual(m.data, orig.data.subarray(0, m.data.length));
          } else assert.deepEqual(m.data, orig.data);
        });
      }),
      { numRuns: RUNS },
    );
  });

  test("typed views round-trip", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0x7fffffff }), { maxLength: SCM.MAX_FD }),
        fc
          .record({
            pid: int32,
            uid: fc.integer({ min: 0, max: 0xffffffff }),
            gid: fc.integer({ min: 0, max: 0xffffffff }),
          })
          .map((r) => ({ ...r })),
        fc.ipV4(),
        fc.integer({ min: 0, max: 0x7fffffff }),
        (fds, cred, ip, ifindex) => {
          assert.deepEqual(decodeRights(encodeRights(fds).data), fds);
          assert.deepEqual(decodeCredentials(encodeCredentials(cred).data), cred);
          const p4 = decodePktinfo(IPPROTO.IP, encodePktinfo({ address: ip, ifindex }, "inet").data);
          assert.equal(p4.specDst, ip);
          assert.equal(p4.ifindex, ifindex);
          const p6 = decodePktinfo(IPPROTO.IPV6, encodePktinfo({ address: ip, ifindex }, "inet6").data);
          assert.equal(p6.address, `::ffff:${ip}`);
          assert.equal(p6.ifindex, ifindex);
          // and through the list codec
          const [r] = decodeControl(encodeControl([encodeRights(fds)]));
          assert.deepEqual(decodeRights(r!.data), fds);
        },
      ),
      { numRuns: 500 },
    );
  });
});
