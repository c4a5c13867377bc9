/**
 * 10,000 concurrent connections: a createServer accept loop (this process,
 * soft fd limit raised to the hard limit) against 10,000 clients held open at
 * once by a plain Node child. Each client sends "ping" and must read "pong";
 * all stay open until every one has its answer. The clients then reset their
 * connections (no TIME-WAIT left behind). Figures: time, peak fds, RSS.
 */
import { spawn } from "node:child_process";
import { type Socket, createServer } from "../../src/index.js";
import { check, fds, figure, hardFdLimit, rssMiB, setFdLimit, since } from "./common.js";

const N = 10_000;
const hard = hardFdLimit();
if (hard < N + 200) {
  console.log(`conn10k: skipped (the hard fd limit is ${hard}; ${N + 200} needed)`);
  process.exit(0);
}
setFdLimit(hard);
const fdsBefore = fds();
const rssBefore = rssMiB();
const server = await createServer({ host: "127.0.0.1", port: 0, backlog: 4096 });
const port = (server.address() as { port: number }).port;
const held: Socket[] = [];
let answered = 0;
let peakFds = 0;
const loop = (async () => {
  for await (const c of server) {
    held.push(c);
    void (async () => {
      const got = await c.recv(16);
      if (got.toString() === "ping") {
        await c.send("pong");
        answered++;
      }
    })().catch(() => undefined);
  }
})();

const CLIENT = `
const net = require("net");
const N = ${N}, port = ${port};
const socks = []; let ok = 0, failed = 0, open = 0;
function one() {
  const s = net.connect(port, "127.0.0.1");
  socks.push(s);
  s.on("connect", () => { s.write("ping"); if (open++ < N) next(); });
  s.on("data", (d) => { if (String(d) === "pong") { ok++; check(); } });
  s.on("error", (e) => { failed++; console.error(e.code); check(); });
}
let started = 0;
function next() { while (started < N && started - open < 256) { started++; one(); } }
function check() {
  if (ok + failed < N) return;
  console.log(JSON.stringify({ ok, failed }));
  process.stdin.once("data", () => { for (const s of socks) s.resetAndDestroy(); setTimeout(() => process.exit(0), 200); });
}
next();
`;
const t0 = performance.now();
const child = spawn("prlimit", [`--nofile=${hard}:`, process.execPath, "-e", CLIENT], {
  stdio: ["pipe", "pipe", "inherit"],
});
const line = await new Promise<string>((resolve, reject) => {
  let out = "";
  child.stdout!.on("data", (d) => {
    out += String(d);
    if (out.includes("\n")) resolve(out.split("\n")[0]!);
  });
  child.once("close", (code) => reject(new Error(`client exited ${code}: ${out}`)));
});
const seconds = since(t0);
peakFds = fds();
const rssPeak = rssMiB();
const { ok, failed } = JSON.parse(line) as { ok: number; failed: number };
check(ok === N && failed === 0, `${N} answered (${ok} ok, ${failed} failed)`);
check(held.length === N, `${N} held open at once on the server (${held.length})`);
child.stdin!.end("done\n");
await new Promise((r) => child.once("close", r));
for (const c of held.splice(0)) c.close();
server.close();
await loop;
check(fds() === fdsBefore, `fds back to ${fdsBefore} (${fds()})`);
figure(
  "conn10k",
  `${ok}/${N} concurrent connections accepted, answered and held open at once in ${seconds} s (${answered} pongs); server fds ${fdsBefore} → ${peakFds} → ${fds()}, RSS ${rssBefore} → ${rssPeak} MiB`,
  { connections: N, ok, seconds, peakFds, rssBefore, rssPeak },
);
