/**
 * sendmsg/recvmsg scatter/gather lists at the raw layer, around the sizes the
 * native side treats differently: up to 8 iovecs on the stack, more on the
 * heap, IOV_MAX (LIMITS.IOV_MAX, 1024 on Linux) the most the kernel takes —
 * one more is a RangeError from src/raw, and the addon's own check backs it
 * up when src/raw is bypassed. A bad element, in a stack-sized or a
 * heap-sized list, is a TypeError and sends nothing. npm run test:asan runs
 * this file (an overrun of either array would abort it).
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { AF, LIMITS, MSG, SOCK } from "../../src/constants.js";
import * as raw from "../../src/raw/index.js";
import { native } from "../../src/raw/native.js";

const IOV_MAX = LIMITS.IOV_MAX;

const [a, b] = raw.socketpair(AF.UNIX, SOCK.DGRAM, 0);
after(() => {
  raw.close(a);
  raw.close(b);
});

/** n buffers of 1..3 bytes each, every byte numbered. */
function pieces(n: number): Buffer[] {
  let k = 0;
  return Array.from({ length: n }, (_, i) => Buffer.from(Array.from({ length: 1 + (i % 3) }, () => k++ & 0xff)));
}

describe("sendmsg/recvmsg iovec lists", () => {
  for (const n of [1, 2, 8, 9, 64, IOV_MAX]) {
    test(`${n} buffer${n === 1 ? "" : "s"}: gathered in order, scattered back the same`, () => {
      const out = pieces(n);
      const total = out.reduce((s, p) => s + p.length, 0);
      assert.equal(raw.sendmsg(a, out, null, 0, null, 0), total);
      const into = out.map((p) => Buffer.alloc(p.length));
      const res = new Int32Array(3);
      assert.equal(raw.recvmsg(b, into, null, null, res, 0), total);
      assert.deepEqual(into, out);
      assert.equal(res[2]! & MSG.TRUNC!, 0);
    });
  }

  test("IOV_MAX + 1 buffers: RangeError from src/raw, before the syscall", () => {
    const list = pieces(IOV_MAX + 1);
    assert.throws(() => raw.sendmsg(a, list, null, 0, null, 0), { name: "RangeError", code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => raw.recvmsg(b, list, null, null, new Int32Array(3), 0), {
      name: "RangeError",
      code: "ERR_OUT_OF_RANGE",
    });
  });

  test("IOV_MAX + 1 buffers straight to the addon: its own RangeError", () => {
    const list = pieces(IOV_MAX + 1);
    assert.throws(() => native.sendmsg(a, list, null, 0, null, 0), {
      name: "RangeError",
      code: "ERR_SOCKIT_NATIVE_RANGE",
    });
    assert.throws(() => native.recvmsg(b, list, null, null, new Int32Array(3), 0), {
      name: "RangeError",
      code: "ERR_SOCKIT_NATIVE_RANGE",
    });
  });

  test("a bad element, in a stack-sized and in a heap-sized list: TypeError, nothing sent", () => {
    for (const n of [4, 40]) {
      const list: unknown[] = pieces(n);
      list[n - 2] = 42;
      assert.throws(() => native.sendmsg(a, list as Buffer[], null, 0, null, 0), {
        name: "TypeError",
        code: "ERR_SOCKIT_NATIVE_ARGS",
      });
    }
    assert.throws(() => native.sendmsg(a, "not an array" as unknown as Buffer[], null, 0, null, 0), {
      name: "TypeError",
      code: "ERR_SOCKIT_NATIVE_ARGS",
    });
    // Nothing was queued by the failed calls.
    assert.equal(raw.recvmsg(b, [Buffer.alloc(16)], null, null, new Int32Array(3), 0), raw.AGAIN);
  });
});
