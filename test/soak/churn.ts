/**
 * Churn: for 40 s (SOAK_CHURN_SECONDS), open and close connections as fast as
 * the loop goes — TCP over loopback through createServer (1 KiB echoed, the
 * client resets with SO_LINGER 0 so no TIME-WAIT piles up), Unix seqpacket
 * pairs, UDP pairs — and sample RSS and the fd count every second. After a
 * 5 s warm-up, fds must come back exactly and RSS must stay flat (within
 * 32 MiB of the warm-up sample, after a GC).
 */
import { Socket, createServer, socketpair } from "../../src/index.js";
import { check, fds, figure, rssMiB, since, sleep } from "./common.js";

const SECONDS = Number(process.env.SOAK_CHURN_SECONDS ?? 40);
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
const server = await createServer({ host: "127.0.0.1", port: 0 });
const addr = server.address();
const serving = (async () => {
  for await (const c of server) {
    void (async () => {
      for (;;) {
        const b = await c.recv(4096);
        if (b.length === 0) break;
        await c.sendAll(b);
      }
    })()
      .catch(() => undefined)
      .finally(() => c.close());
  }
})();

const payload = Buffer.alloc(1024, 1);
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
let tcp = 0;
let unix = 0;
let udp = 0;
let stop = false;
async function tcpLoop(): Promise<void> {
  while (!stop) {
    const c = new Socket("inet", "stream");
    try {
      await c.connect(addr);
      await c.sendAll(payload);
      let got = 0;
      while (got < payload.length) got += (await c.recv(4096)).length;
      c.setsockopt("SOL_SOCKET", "SO_LINGER", { onoff: true, linger: 0 } as never);
      tcp++;
    } finally {
      c.close();
    }
  }
}
async function unixLoop(): Promise<void> {
  while (!stop) {
    const [a, b] = socketpair("unix", "seqpacket");
    await a.send(payload);
    await b.recv(2048);
    a.close();
    b.close();
    unix++;
    // Served at once, these calls never leave the microtask queue: yield to the loop.
    await turn();
  }
}
async function udpLoop(): Promise<void> {
  while (!stop) {
    const a = new Socket("inet", "dgram");
    const b = new Socket("inet", "dgram");
    b.bind("127.0.0.1:0");
    await a.sendto(payload, b.getsockname());
    await b.recvfrom(2048);
    a.close();
    b.close();
    udp++;
    await turn();
  }
}

const samples: { t: number; rss: number; fds: number }[] = [];
const t0 = performance.now();
const loops = [tcpLoop(), tcpLoop(), unixLoop(), udpLoop()];
let warm: { rss: number; fds: number } | undefined;
for (let s = 1; s <= SECONDS; s++) {
  await sleep(1000);
  if (s === 5) {
    gc();
    warm = { rss: rssMiB(), fds: fds() };
  }
  samples.push({ t: s, rss: rssMiB(), fds: fds() });
}
stop = true;
await Promise.all(loops);
server.close();
await serving;
await sleep(200);
gc();
const end = { rss: rssMiB(), fds: fds() };
const seconds = since(t0);
const maxRss = Math.max(...samples.map((x) => x.rss));
const fdRange = [Math.min(...samples.map((x) => x.fds)), Math.max(...samples.map((x) => x.fds))];
check(warm !== undefined && end.fds <= warm.fds, `fds back (${warm?.fds} after warm-up, ${end.fds} at the end)`);
check(warm !== undefined && end.rss - warm.rss < 32, `RSS flat (${warm?.rss} → ${end.rss} MiB)`);
figure(
  "churn",
  `${seconds} s: ${tcp.toLocaleString("en")} TCP connections (1 KiB echoed), ${unix.toLocaleString("en")} Unix seqpacket pairs, ${udp.toLocaleString("en")} UDP pairs opened and closed; RSS ${warm?.rss} MiB after warm-up → ${end.rss} MiB at the end (max ${maxRss}); fds ${warm?.fds} → ${end.fds} (sampled ${fdRange[0]}–${fdRange[1]} while churning)`,
  { seconds, tcp, unix, udp, warm, end, maxRss, fdRange, samples },
);
