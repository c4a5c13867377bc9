/**
 * 1,000,000 datagrams under backpressure: a Unix datagram pair (reliable: a
 * full receive queue makes the sender wait, nothing is dropped) with a slower
 * batched reader. The sender awaits each send(), so EAGAIN → wait → retry runs
 * hundreds of thousands of times. Every datagram must arrive, in order.
 * Figures: time, rate, sends that had to wait.
 */
import { socketpair } from "../../src/index.js";
import { check, figure, rssMiB, since } from "./common.js";

const N = 1_000_000;
const [tx, rx] = socketpair("unix", "dgram");
const rssBefore = rssMiB();
const t0 = performance.now();
let waited = 0;
const sender = (async () => {
  const buf = Buffer.alloc(64);
  for (let i = 0; i < N; i++) {
    buf.writeUInt32LE(i, 0);
    const p = tx.send(buf);
    // A send served at once returns a settled promise; one that waits does not settle this turn.
    let settled = false;
    void p.then(() => (settled = true));
    await Promise.resolve();
    if (!settled) waited++;
    await p;
  }
})();
let next = 0;
let outOfOrder = 0;
let batches = 0;
while (next < N) {
  const got = await rx.recvBatch({ count: 256, size: 64 });
  batches++;
  for (const d of got) {
    if (d.data.readUInt32LE(0) !== next) outOfOrder++;
    next++;
  }
  // A slower reader: give the sender's queue time to fill now and then.
  if (batches % 64 === 0) await new Promise((r) => setImmediate(r));
}
await sender;
const seconds = since(t0);
tx.close();
rx.close();
check(next === N, `${N} received (${next})`);
check(outOfOrder === 0, `in order (${outOfOrder} out of order)`);
check(waited > 0, "the sender met backpressure");
figure(
  "dgram1m",
  `${next.toLocaleString("en")} of ${N.toLocaleString("en")} 64-byte datagrams received in order over a Unix dgram pair in ${seconds} s (${Math.round(N / seconds / 1000)}k/s); ${waited.toLocaleString("en")} sends waited for room (backpressure), 0 lost; RSS ${rssBefore} → ${rssMiB()} MiB`,
  { datagrams: N, received: next, outOfOrder, waited, seconds },
);
