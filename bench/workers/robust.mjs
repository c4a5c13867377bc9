// Robustness scenario (issue 7, item 5): sockit over a Unix datagram socket
// whose receive queue holds only net.unix.max_dgram_qlen (10) datagrams,
// driven through the patterns that break the npm peers:
//   * node-unix-socket double-frees when a send is issued from inside a
//     send-completion callback while its queue is non-empty;
//   * unix-dgram drops the datagram on EAGAIN and asks the caller to resend.
// The sender fires un-awaited bursts and re-entrant chains (each send issued
// from the previous send's completion) while the receiver stalls now and
// then, so the queue is full and sends hit EAGAIN again and again. Every
// datagram carries a sequence number and a checksummed payload; the receiver
// counts every one.
//
//   node robust.mjs receiver PATH N      prints READY, then one JSON line
//   node robust.mjs sender PATH N        prints one JSON line
import { pathToFileURL } from "node:url";
import { MSG, SOCKIT_ENTRY, reply, sleep } from "./common.mjs";

let Socket;
try {
  ({ Socket } = await import(pathToFileURL(SOCKIT_ENTRY).href));
} catch (e) {
  reply(`ERROR sockit: not built (${String(e?.message ?? e).split("\n")[0]})`);
  process.exit(3);
}

const [role, path, countArg] = process.argv.slice(2);
const N = Number(countArg);
const IDLE_MS = 3000;

/** Datagram `seq`: its number, then bytes derived from it. */
function datagram(seq) {
  const b = Buffer.allocUnsafe(MSG);
  b.writeUInt32LE(seq, 0);
  for (let i = 4; i < MSG; i++) b[i] = (seq * 31 + i) & 0xff;
  return b;
}

function intact(b) {
  if (b.length !== MSG) return false;
  const seq = b.readUInt32LE(0);
  for (let i = 4; i < MSG; i++) if (b[i] !== ((seq * 31 + i) & 0xff)) return false;
  return true;
}

async function receiver() {
  const s = new Socket("unix", "dgram");
  s.bind({ family: "unix", path });
  reply("READY " + path);
  const seen = new Uint8Array(N);
  let received = 0;
  let duplicated = 0;
  let corrupt = 0;
  let reordered = 0;
  let last = -1;
  let stalls = 0;
  while (received < N) {
    let timer;
    const idle = new Promise((resolve) => (timer = setTimeout(resolve, IDLE_MS, null)));
    const pending = s.recv(2048);
    pending.catch(() => {}); // rejected by close() if we give up waiting
    const b = await Promise.race([pending, idle]);
    clearTimeout(timer);
    if (b === null) break; // nothing for IDLE_MS: the rest is lost
    if (!intact(b)) {
      corrupt++;
      continue;
    }
    const seq = b.readUInt32LE(0);
    if (seq >= N || seen[seq]) {
      duplicated++;
      continue;
    }
    seen[seq] = 1;
    received++;
    if (seq < last) reordered++;
    last = seq;
    // Stall now and then: the 10-deep queue fills and the sender must wait.
    if (received % 500 === 0) {
      stalls++;
      await sleep(3);
    }
  }
  s.close();
  reply({ received, lost: N - received, duplicated, corrupt, reordered, stalls });
}

async function sender() {
  const s = new Socket("unix", "dgram");
  await s.connect({ family: "unix", path });
  let next = 0;
  let sent = 0;
  const errors = {};
  const send = () => {
    const seq = next++;
    return s.send(datagram(seq)).then(
      () => void sent++,
      (e) => void (errors[e?.code ?? String(e)] = (errors[e?.code ?? String(e)] ?? 0) + 1),
    );
  };
  const t0 = performance.now();
  const third = Math.floor(N / 3);

  // 1. A burst of un-awaited sends: far more than the queue holds.
  await Promise.all(Array.from({ length: Math.min(2000, third) }, send));

  // 2. Re-entrant chains: each send is issued from inside the completion of
  //    the one before, while the other chains keep the queue non-empty.
  const chainEnd = next + third;
  const chain = () =>
    new Promise((resolve) => {
      const step = () => (next < chainEnd ? send().then(step) : resolve());
      step();
    });
  await Promise.all(Array.from({ length: 8 }, chain));

  // 3. Bursts fired from inside completions: every completion of a burst's
  //    first send fires the next burst while the previous one is queued.
  await new Promise((resolve) => {
    const pending = [];
    const burst = () => {
      if (next >= N) return Promise.all(pending).then(resolve);
      const batch = Array.from({ length: Math.min(50, N - next) }, send);
      pending.push(...batch);
      batch[0].then(burst);
    };
    burst();
  });
  s.close();
  reply({ sent, attempted: next, errors, secs: (performance.now() - t0) / 1000 });
}

try {
  if (role === "receiver") await receiver();
  else await sender();
} catch (e) {
  reply(`ERROR ${String(e?.stack ?? e).replace(/\n/g, " | ")}`);
  process.exit(2);
}
process.exit(0);
