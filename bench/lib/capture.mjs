// W7 (issue 14): capture of a UDP flood, sockit capture -w beside tcpdump -w.
//
// In a network namespace made for the run (only lo, so nothing else is on
// the wire), each capturer in turn listens on lo with the filter
// "udp and port 9999" while a sender offers N numbered 64-byte datagrams as
// fast as it goes: the Python sender issue 14 measured with (~0.1M/s), and a
// C sender (several times faster, where tcpdump starts to drop). Per run:
//   offered   datagrams sent (N)
//   written   records in the capturer's pcap file
//   distinct  different datagram numbers among them (each should be there once)
//   drops     "packets dropped by kernel", as the capturer reports it
//   CPU       user+sys of the capturer from just before the flood to just
//             after it, per distinct frame: its start-up is left out (node's
//             is ~0.2 s of CPU, tcpdump's ~0.01 s; shown apart as "start-up"),
//             and so is what node does in the first seconds after it says it
//             is ready (the flood starts once the CPU count stands still).
// Rounds alternate the capturers; figures are medians. Nothing here is a
// test: the goals (issue 14: distinct ≥ 1.0× tcpdump's, 0 drops where
// tcpdump has 0, CPU per frame ≤ 1.5× tcpdump's) are checked and printed.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BENCH_DIR, REPO_DIR } from "./impls.mjs";
import { Proc } from "./proc.mjs";
import { median } from "./report.mjs";

const PORT = 9999;
const SIZE = 64;
const FILTER = ["udp", "and", "port", String(PORT)];
const FLOOD_SRC = path.join(BENCH_DIR, "c", "flood.c");
const FLOOD_BIN = path.join(BENCH_DIR, ".build", "flood");
const PY_FLOOD = path.join(BENCH_DIR, "workers", "flood.py");
const TICK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100;

/** Why W7 cannot run here, or null. */
export function captureSkip() {
  if (process.platform !== "linux") return "Linux only";
  if (process.getuid?.() !== 0) return "needs root (a network namespace and CAP_NET_RAW)";
  if (spawnSync("ip", ["-V"]).status !== 0) return "needs iproute2's ip";
  if (spawnSync("python3", ["-V"]).status !== 0) return "needs python3 (the sender)";
  const cli = process.env.SOCKIT_CLI || path.join(REPO_DIR, "dist", "cli", "main.js");
  if (!fs.existsSync(cli)) return `sockit CLI not built (no ${path.relative(REPO_DIR, cli)}; run npm run prepare)`;
  return null;
}

/** Compiles bench/c/flood.c unless the cached binary matches its source; null or why not. */
function buildFlood(log) {
  const hash = createHash("sha256").update(fs.readFileSync(FLOOD_SRC)).digest("hex");
  const stamp = `${FLOOD_BIN}.sha256`;
  if (fs.existsSync(FLOOD_BIN) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === hash) return null;
  fs.mkdirSync(path.dirname(FLOOD_BIN), { recursive: true });
  log("compiling the W7 flood sender (cc -O2) ...");
  const r = spawnSync(process.env.CC || "cc", ["-O2", "-std=c11", "-Wall", "-o", FLOOD_BIN, FLOOD_SRC], {
    encoding: "utf8",
  });
  if (r.status !== 0) return `cc failed: ${(r.stderr || String(r.error)).trim().split("\n").pop()}`;
  fs.writeFileSync(stamp, hash);
  return null;
}

/** utime + stime of a process, in seconds (whole thread group). */
function cpuOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / TICK; // fields 14 and 15 of stat(5)
  } catch {
    return NaN;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(proc, re, ms, what) {
  const deadline = Date.now() + ms;
  while (!re.test(proc.stderr)) {
    if (proc.exited) throw new Error(`${what} exited: ${proc.stderr.trim().split("\n").pop()}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready in ${ms} ms`);
    await sleep(20);
  }
}

/** Records, and distinct datagram numbers among them, of an Ethernet pcap of the flood. */
function countPcap(file, n) {
  const b = fs.readFileSync(file);
  if (b.length < 24) return { written: 0, distinct: 0 };
  const le = b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const seen = new Uint8Array(n);
  let written = 0;
  let distinct = 0;
  for (let off = 24; off + 16 <= b.length;) {
    const incl = u32(off + 8);
    const d = off + 16;
    if (d + incl > b.length) break;
    written++;
    // Ethernet (14) + IPv4 (20) + UDP (8), then the number.
    if (incl >= 46 && b.readUInt16BE(d + 36) === PORT) {
      const seq = b.readUInt32BE(d + 42);
      if (seq < n && !seen[seq]) {
        seen[seq] = 1;
        distinct++;
      }
    }
    off = d + incl;
  }
  return { written, distinct };
}

function counts(stderr) {
  const num = (re) => {
    const m = re.exec(stderr);
    return m ? Number(m[1]) : null;
  };
  return {
    captured: num(/(\d+) packets captured/),
    received: num(/(\d+) packets received by filter/),
    drops: num(/(\d+) packets dropped by kernel/),
    method: /TPACKET_V3 ring/.test(stderr) ? "ring" : /recvmmsg/.test(stderr) ? "recvmsg" : undefined,
  };
}

/** One capture of one flood. */
async function runOnce(ns, capturer, sender, n, tmp) {
  const file = path.join(tmp, `w7-${capturer}.pcap`);
  fs.rmSync(file, { force: true });
  const cli = process.env.SOCKIT_CLI || path.join(REPO_DIR, "dist", "cli", "main.js");
  const argv =
    capturer === "tcpdump"
      ? ["tcpdump", "-i", "lo", "-s", "262144", "-w", file, ...FILTER]
      : [process.execPath, cli, "capture", "-v", "-i", "lo", "-w", file, ...FILTER];
  // ip netns exec execs the capturer: the pid is its own.
  const proc = new Proc(capturer, ["ip", "netns", "exec", ns, ...argv]);
  try {
    await waitFor(proc, capturer === "tcpdump" ? /listening on/ : /reading frames/, 20_000, capturer);
    const pid = proc.child.pid;
    // Let start-up finish (node compiles and collects for a while after it
    // says it is ready): wait until the CPU count stands still for 0.5 s.
    let startup = cpuOf(pid);
    for (let still = 0, t = Date.now(); still < 2 && Date.now() - t < 5000;) {
      await sleep(250);
      const now = cpuOf(pid);
      still = now === startup ? still + 1 : 0;
      startup = now;
    }
    const t0 = Date.now();
    const s =
      sender === "c"
        ? spawnSync("ip", ["netns", "exec", ns, FLOOD_BIN, String(n), String(SIZE), String(PORT)], { timeout: 120_000 })
        : spawnSync("ip", ["netns", "exec", ns, "python3", PY_FLOOD, String(n), String(SIZE), String(PORT)], {
            timeout: 120_000,
          });
    const secs = (Date.now() - t0) / 1000;
    if (s.status !== 0) throw new Error(`sender failed: ${String(s.stderr || s.error).trim()}`);
    // Past libpcap's 1 s buffer timeout (tcpdump) and the ring's 50 ms block timeout (sockit).
    await sleep(1500);
    const cpu = cpuOf(pid) - startup;
    proc.child.kill("SIGINT");
    await Promise.race([proc.exitPromise, sleep(10_000)]);
    const c = counts(proc.stderr);
    const { written, distinct } = countPcap(file, n);
    fs.rmSync(file, { force: true });
    return { offered: n, written, distinct, ...c, cpu, startup, rate: n / secs };
  } finally {
    await proc.end();
  }
}

/**
 * Runs W7 and returns { rows, text, goals }.
 * @param {{ quick: boolean, rounds?: number, roundsGiven?: boolean }} opts
 */
export async function captureBench(tmp, opts, log) {
  const skip = captureSkip();
  if (skip) return { rows: [], text: `W7 capture: skipped (${skip})`, goals: [] };
  const n = opts.quick ? 100_000 : 400_000;
  const rounds = opts.roundsGiven ? opts.rounds : 1;
  const floodWhy = opts.quick ? "not in --quick" : buildFlood(log);
  const senders = floodWhy ? ["python"] : ["python", "c"];
  const ns = `sockit-w7-${process.pid}`;
  spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  if (spawnSync("ip", ["netns", "add", ns]).status !== 0) {
    return { rows: [], text: "W7 capture: skipped (ip netns add failed)", goals: [] };
  }
  spawnSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
  const runs = {};
  try {
    for (const sender of senders) {
      for (let round = 0; round < rounds; round++) {
        for (const capturer of round % 2 ? ["sockit", "tcpdump"] : ["tcpdump", "sockit"]) {
          const key = `${sender}/${capturer}`;
          try {
            const r = await runOnce(ns, capturer, sender, n, tmp);
            (runs[key] ??= []).push(r);
            log(
              `W7 ${sender} sender, ${capturer}: ${r.distinct}/${n} distinct, ${r.drops} dropped, ${(r.cpu * 1000).toFixed(0)} ms CPU (${(r.rate / 1000).toFixed(0)}k datagrams/s offered)`,
            );
          } catch (e) {
            (runs[key] ??= []).push({ error: String(e.message ?? e).split("\n")[0] });
            log(`W7 ${sender} sender, ${capturer}: ${String(e.message ?? e).split("\n")[0]}`);
          }
        }
      }
    }
  } finally {
    spawnSync("ip", ["netns", "del", ns]);
  }
  const rows = [];
  for (const sender of senders) {
    for (const capturer of ["tcpdump", "sockit"]) {
      const ok = (runs[`${sender}/${capturer}`] ?? []).filter((r) => !r.error);
      const med = (k) => (ok.length ? median(ok.map((r) => r[k] ?? NaN)) : NaN);
      rows.push({
        sender,
        capturer,
        runs: ok.length,
        error: ok.length ? null : (runs[`${sender}/${capturer}`]?.[0]?.error ?? "not run"),
        offered: n,
        rate: med("rate"),
        written: med("written"),
        distinct: med("distinct"),
        drops: med("drops"),
        received: med("received"),
        cpu: med("cpu"),
        startup: med("startup"),
        perFrame: med("cpu") / med("distinct"),
        method: ok[0]?.method,
        samples: ok,
      });
    }
  }
  const goals = [];
  for (const sender of senders) {
    const td = rows.find((r) => r.sender === sender && r.capturer === "tcpdump");
    const sk = rows.find((r) => r.sender === sender && r.capturer === "sockit");
    sk.distinctRatio = sk.distinct / td.distinct;
    sk.cpuRatio = sk.perFrame / td.perFrame;
    td.distinctRatio = td.cpuRatio = 1;
    if (sender !== "python") continue; // the goals are set at the rate
    const mark = (ok) => (ok ? "met" : "MISSED");
    goals.push(
      `  ${mark(sk.distinctRatio >= 1)}: distinct datagrams ≥ 1.0× tcpdump's (${sk.distinctRatio.toFixed(2)}×)`,
    );
    if (td.drops === 0) goals.push(`  ${mark(sk.drops === 0)}: 0 kernel drops where tcpdump has 0 (${sk.drops})`);
    goals.push(`  ${mark(sk.cpuRatio <= 1.5)}: CPU per frame ≤ 1.5× tcpdump's (${sk.cpuRatio.toFixed(2)}×)`);
  }
  return { rows, text: captureTable(rows, n, rounds, goals), goals };
}

function captureTable(rows, n, rounds, goals) {
  const f = (v, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : "—");
  const head = [
    "sender (rate)",
    "capturer",
    "offered",
    "written",
    "distinct",
    "× tcpdump",
    "kernel drops",
    "recv by filter",
    "CPU ms",
    "µs/frame",
    "× tcpdump",
    "start-up ms",
  ];
  const body = rows.map((r) =>
    r.error
      ? [`${r.sender}`, r.capturer, String(r.offered), `— (${r.error})`]
      : [
          `${r.sender} (${f(r.rate / 1000)}k/s)`,
          r.capturer + (r.method ? ` (${r.method})` : ""),
          String(r.offered),
          f(r.written),
          f(r.distinct),
          `${f(r.distinctRatio, 2)}×`,
          f(r.drops),
          f(r.received),
          f(r.cpu * 1000),
          f(r.perFrame * 1e6, 3),
          `${f(r.cpuRatio, 2)}×`,
          f(r.startup * 1000),
        ],
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
  const line = (cells) =>
    cells
      .map((c, i) => (c ?? "").padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [
    `W7 capture of a UDP flood on lo in a namespace: ${n} × ${SIZE} B datagrams, filter "${FILTER.join(" ")}", ${rounds} round${rounds > 1 ? "s" : ""} per capturer (medians); CPU = user+sys of the capturer during the flood`,
    line(head),
    ...body.map(line),
    goals.length ? `issue 14 goals (Python sender):\n${goals.join("\n")}` : "",
  ]
    .filter(Boolean)
    .join("\n");
}
