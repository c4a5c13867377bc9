/**
 * Peer death mid-transfer: 20 peers (plain Node processes) are SIGKILLed in
 * the middle of a bulk transfer — half while sending to us, half while we send
 * to them. Every transfer must end with EOF or ECONNRESET/EPIPE (never a hang,
 * never a SIGPIPE), and no fd may be left behind.
 */
import { spawn } from "node:child_process";
import { type Socket, createServer } from "../../src/index.js";
import { check, fds, figure, since } from "./common.js";

const ROUNDS = 20;
const server = await createServer({ host: "127.0.0.1", port: 0 });
const port = (server.address() as { port: number }).port;
const SENDER = `const s=require("net").connect(${port},"127.0.0.1");const b=Buffer.alloc(65536,7);const w=()=>{while(s.write(b));};s.on("connect",w);s.on("drain",w);s.on("error",()=>{});`;
const READER = `const s=require("net").connect(${port},"127.0.0.1");let n=0;s.on("data",(d)=>{n+=d.length;if(n>=1<<20&&!s.said){s.said=1;console.log("1MiB")}});s.on("error",()=>{});`;

const endings = new Map<string, number>();
const count = (k: string): void => void endings.set(k, (endings.get(k) ?? 0) + 1);
const fdsBefore = fds();
const t0 = performance.now();
let moved = 0;

async function round(i: number): Promise<void> {
  const theySend = i % 2 === 0;
  const child = spawn(process.execPath, ["-e", theySend ? SENDER : READER], { stdio: ["ignore", "pipe", "ignore"] });
  const exited = new Promise((r) => child.once("close", r));
  const conn = (await server.accept()) as Socket;
  const buf = Buffer.alloc(65536);
  try {
    if (theySend) {
      let got = 0;
      for (;;) {
        const n = await conn.recvInto(buf, { timeout: 20_000 });
        if (n === 0) {
          count("EOF");
          break;
        }
        got += n;
        if (got >= 1 << 20 && child.exitCode === null && !child.killed) child.kill("SIGKILL");
      }
      moved += got;
    } else {
      child.stdout!.once("data", () => child.kill("SIGKILL"));
      for (;;) {
        await conn.sendAll(buf, { timeout: 20_000 });
        moved += buf.length;
      }
    }
  } catch (e) {
    count(String((e as { code?: string }).code));
  } finally {
    conn.close();
    await exited;
  }
}

for (let i = 0; i < ROUNDS; i++) await round(i);
server.close();
const seconds = since(t0);
const hung = endings.get("ETIMEDOUT") ?? 0;
const ok = [...endings].filter(([k]) => ["EOF", "ECONNRESET", "EPIPE"].includes(k)).reduce((a, [, v]) => a + v, 0);
check(hung === 0, "no transfer hung");
check(ok === ROUNDS, `every transfer ended with EOF/ECONNRESET/EPIPE: ${JSON.stringify(Object.fromEntries(endings))}`);
check(fds() === fdsBefore - 1, `no fd left (before ${fdsBefore} with the listener, after ${fds()})`);
figure(
  "peer-death",
  `${ROUNDS} peers SIGKILLed mid-transfer (half sending, half receiving; ${(moved / 2 ** 20).toFixed(0)} MiB moved): endings ${JSON.stringify(Object.fromEntries(endings))}, 0 hangs, fds ${fdsBefore} → ${fds()} (listener closed), ${seconds} s`,
  { rounds: ROUNDS, endings: Object.fromEntries(endings), seconds },
);
