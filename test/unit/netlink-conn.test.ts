/**
 * NetlinkConnection against a fake kernel, in the style of mdlayher's nltest:
 * the test answers each request datagram with the datagrams a kernel would
 * send (multipart dumps across datagrams, acks, errors with extended acks,
 * replies with a stale sequence or a foreign port id, NLM_F_DUMP_INTR), and
 * checks what the connection makes of them.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NLM_F, NLMSG, NLMSGERR_ATTR, STRUCTS } from "../../src/constants.js";
import {
  AttributeEncoder,
  NetlinkConnection,
  NetlinkError,
  NetlinkMessageError,
  NLMSG_HDRLEN,
  encodeMessage,
  parseMessages,
  type NetlinkMessage,
  type NetlinkTransport,
} from "../../src/netlink/index.js";

const PID = 4242;
type Kernel = (req: NetlinkMessage) => Buffer[];

/** A transport whose "kernel" is a function from request to reply datagrams. */
function fake(kernel: Kernel): NetlinkTransport & { sent: NetlinkMessage[]; closed: boolean } {
  const queue: Buffer[] = [];
  const waiters: ((b: Buffer) => void)[] = [];
  const t = {
    pid: PID,
    sent: [] as NetlinkMessage[],
    closed: false,
    async send(data: Buffer) {
      for (const m of parseMessages(data)) {
        t.sent.push(m);
        for (const d of kernel(m)) {
          const w = waiters.shift();
          if (w) w(d);
          else queue.push(d);
        }
      }
    },
    receive(options: { timeout?: number }) {
      const b = queue.shift();
      if (b) return Promise.resolve(b);
      return new Promise<Buffer>((resolve, reject) => {
        waiters.push(resolve);
        if (options.timeout !== undefined) {
          setTimeout(() => reject(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })), options.timeout);
        }
      });
    },
    close() {
      t.closed = true;
    },
  };
  return t;
}

function reply(
  req: NetlinkMessage,
  type: number,
  data: Buffer = Buffer.alloc(4),
  flags = 0,
  over: Partial<NetlinkMessage> = {},
): Buffer {
  return encodeMessage({ type, flags, seq: over.seq ?? req.seq, pid: over.pid ?? req.pid, data });
}

function errorMsg(req: NetlinkMessage, errno: number, text?: string, offset?: number): Buffer {
  const E = STRUCTS.nlmsgerr!;
  const body = Buffer.alloc(E.size);
  body.writeInt32LE(errno, E.error!);
  encodeMessage({ type: req.type, flags: req.flags, seq: req.seq, pid: req.pid }).copy(body, E.msg!, 0, NLMSG_HDRLEN);
  const tlv = new AttributeEncoder();
  if (text !== undefined) tlv.string(NLMSGERR_ATTR.MSG, text);
  if (offset !== undefined) tlv.uint32(NLMSGERR_ATTR.OFFS, offset);
  const flags = NLM_F.CAPPED | (text !== undefined || offset !== undefined ? NLM_F.ACK_TLVS : 0);
  return reply(req, NLMSG.ERROR, Buffer.concat([body, tlv.encode()]), flags);
}

describe("NetlinkConnection with a fake kernel", () => {
  test("a dump spread over several datagrams ends at NLMSG_DONE", async () => {
    const t = fake((req) => [
      Buffer.concat([
        reply(req, 100, Buffer.from("a\0\0\0"), NLM_F.MULTI),
        reply(req, 100, Buffer.from("b\0\0\0"), NLM_F.MULTI),
      ]),
      reply(req, 100, Buffer.from("c\0\0\0"), NLM_F.MULTI),
      reply(req, NLMSG.DONE, Buffer.alloc(4), NLM_F.MULTI),
    ]);
    const c = new NetlinkConnection(t);
    const msgs = await c.dump(99, Buffer.alloc(4));
    assert.deepEqual(
      msgs.map((m) => m.data.toString("latin1", 0, 1)),
      ["a", "b", "c"],
    );
    assert.equal(t.sent[0]!.flags, NLM_F.REQUEST | NLM_F.DUMP);
    assert.equal(t.sent[0]!.pid, PID);
    c.close();
    assert.ok(t.closed);
  });

  test("a request ends at the ack and returns the replies before it", async () => {
    const t = fake((req) => [reply(req, 101, Buffer.from("link")), errorMsg(req, 0)]);
    const c = new NetlinkConnection(t);
    const msgs = await c.request(100, Buffer.alloc(0), { flags: NLM_F.CREATE });
    assert.equal(msgs.length, 1);
    assert.equal(t.sent[0]!.flags, NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE);
  });

  test("NLMSG_ERROR becomes NetlinkError with the extended ack", async () => {
    const t = fake((req) => [errorMsg(req, -17, "Route exists", 32)]);
    const c = new NetlinkConnection(t);
    await assert.rejects(c.request(24, Buffer.alloc(0), { op: "RTM_NEWROUTE" }), (e: NetlinkError) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.op, "RTM_NEWROUTE");
      assert.equal(e.code, "EEXIST");
      assert.equal(e.errno, -17);
      assert.equal(e.kernelMessage, "Route exists");
      assert.equal(e.offset, 32);
      assert.equal(e.sequence, t.sent[0]!.seq);
      return true;
    });
  });

  test("an error inside a dump, and a failed NLMSG_DONE, reject", async () => {
    const t1 = fake((req) => [reply(req, 100, Buffer.alloc(4), NLM_F.MULTI), errorMsg(req, -22)]);
    await assert.rejects(new NetlinkConnection(t1).dump(99, Buffer.alloc(0)), { code: "EINVAL" });
    const done = Buffer.alloc(4);
    done.writeInt32LE(-16);
    const t2 = fake((req) => [reply(req, NLMSG.DONE, done, NLM_F.MULTI)]);
    await assert.rejects(new NetlinkConnection(t2).dump(99, Buffer.alloc(0)), { code: "EBUSY" });
  });

  test("replies to an older sequence are skipped; a foreign port id is an error", async () => {
    const t = fake((req) => [reply(req, 100, Buffer.alloc(4), 0, { seq: req.seq - 1 }), errorMsg(req, 0)]);
    const c = new NetlinkConnection(t);
    assert.deepEqual(await c.request(100, Buffer.alloc(0)), []);
    const t2 = fake((req) => [reply(req, 100, Buffer.alloc(4), 0, { pid: PID + 1 }), errorMsg(req, 0)]);
    await assert.rejects(new NetlinkConnection(t2).request(100, Buffer.alloc(0)), NetlinkMessageError);
  });

  test("sequence numbers increase and requests run one at a time in call order", async () => {
    const t = fake((req) => [reply(req, 100, Buffer.from([req.seq & 0xff, 0, 0, 0])), errorMsg(req, 0)]);
    const c = new NetlinkConnection(t);
    const [a, b, d] = await Promise.all([
      c.request(1, Buffer.alloc(0)),
      c.request(2, Buffer.alloc(0)),
      c.request(3, Buffer.alloc(0)),
    ]);
    const seqs = t.sent.map((m) => m.seq);
    assert.deepEqual(seqs, [seqs[0]!, seqs[0]! + 1, seqs[0]! + 2]);
    assert.deepEqual(
      [a, b, d].map((r) => r[0]!.data[0]),
      seqs.map((s) => s & 0xff),
    );
    assert.deepEqual(
      t.sent.map((m) => m.type),
      [1, 2, 3],
    );
  });

  test("NLM_F_DUMP_INTR retries the dump, then gives up with EINTR", async () => {
    let calls = 0;
    const t = fake((req) => {
      calls++;
      const intr = calls < 2 ? NLM_F.DUMP_INTR : 0;
      return [
        reply(req, 100, Buffer.alloc(4), NLM_F.MULTI | intr),
        reply(req, NLMSG.DONE, Buffer.alloc(4), NLM_F.MULTI | intr),
      ];
    });
    const msgs = await new NetlinkConnection(t).dump(99, Buffer.alloc(0));
    assert.equal(msgs.length, 1);
    assert.equal(calls, 2);
    const always = fake((req) => [reply(req, NLMSG.DONE, Buffer.alloc(4), NLM_F.MULTI | NLM_F.DUMP_INTR)]);
    await assert.rejects(new NetlinkConnection(always).dump(99, Buffer.alloc(0)), { code: "EINTR" });
  });

  test("malformed replies, overruns and timeouts reject cleanly", async () => {
    const t = fake(() => [Buffer.from([1, 2, 3])]);
    await assert.rejects(new NetlinkConnection(t).request(1, Buffer.alloc(0)), NetlinkMessageError);
    const o = fake((req) => [reply(req, NLMSG.OVERRUN)]);
    await assert.rejects(new NetlinkConnection(o).request(1, Buffer.alloc(0)), NetlinkMessageError);
    const silent = fake(() => []);
    await assert.rejects(new NetlinkConnection(silent).request(1, Buffer.alloc(0), { timeout: 20 }), {
      code: "ETIMEDOUT",
    });
  });

  test("bad arguments throw at once", () => {
    const c = new NetlinkConnection(fake(() => []));
    assert.throws(() => c.request(70000, Buffer.alloc(0)), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => c.request(1, "x" as never), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => c.dump(1, Buffer.alloc(0), { flags: -1 }), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => new NetlinkConnection({} as never), { code: "ERR_INVALID_ARG_TYPE" });
  });
});
