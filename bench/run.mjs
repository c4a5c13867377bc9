#!/usr/bin/env node
// sockit benchmark harness (issue 7): `npm run bench` = `node bench/run.mjs`.
//
// Runs, in one invocation, sockit beside Node's built-ins, the npm peers, a
// C epoll baseline and Python asyncio over the same workloads (W1..W5, see
// bench/README.md), and the sockit CLI relay beside socat (W6), and prints
// one table with medians, min–max and ratios; W7 captures a UDP flood with
// sockit capture beside tcpdump (lib/capture.mjs).
//
// How a measurement is taken:
//   * every implementation runs as two processes, a server and a client,
//     started by this script and driven over a line protocol on stdin/stdout
//     (bench/workers/common.mjs describes it);
//   * for one case (workload × transport × mode) all implementations are
//     started side by side, warmed up once, then measured in rounds, rotating
//     the order each round (A B C, B C A, ...), so that noise on a shared
//     machine lands on every implementation alike;
//   * W1 runs twice: client and server pinned to one CPU ("same core",
//     which shows software overhead; judge on this) and pinned to different
//     CPUs ("across cores", dominated by the wake-up of the other CPU);
//   * W5 (memory) starts fresh processes per round, since it measures them,
//     and so does W3 (bulk), whose rate belongs to a pair of processes;
//   * W6 (relay) starts a source, a relay and a sink per measurement
//     (lib/relay.mjs); rounds rotate the relays the same way.
//
// Options: --quick (≤ 1 min)  --json  --out DIR  --only W1,W3  --transport udp,unix-dgram
//          --impl sockit,node,c  --rounds N  --secs S  --sockets N  --help
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BENCH_DIR, IMPLS, TRANSPORTS, WORKLOADS, isStream } from "./lib/impls.mjs";
import { describeMachine, machineLine } from "./lib/machine.mjs";
import { Proc } from "./lib/proc.mjs";
import { summarise, table, writeOutputs } from "./lib/report.mjs";
import { checkTcpdump, prepare, versions } from "./lib/setup.mjs";
import { captureBench } from "./lib/capture.mjs";
import { relayOnce } from "./lib/relay.mjs";
import { robustness } from "./lib/robustness.mjs";
import { checkTargets } from "./lib/targets.mjs";

const HELP = `usage: node bench/run.mjs [options]

  --quick              short rounds, fewer sockets, W1 on the same core only:
                       finishes within a minute
  --json               also write latest.json, latest.txt and one SVG per
                       workload into bench/out/ (ignored by git)
  --out DIR            where --json writes; --out bench/results replaces the
                       committed figures the README links to
  --only W1,W3         workloads to run (W1..W7, R = robustness scenario;
                       W7 = capture of a UDP flood beside tcpdump, root only)
  --transport a,b      tcp, tcp6 (TCP over ::1), udp, unix-stream, unix-dgram,
                       unix-seqpacket, icmp (W1: echo over a raw socket)
  --impl a,b           sockit, sockit-net (W3: toNetSocket()), sockit-epoll
                       (the epoll readiness backend forced), sockit-event
                       (W1/W2 message transports: DatagramSocket), node, unix-dgram,
                       node-unix-socket, raw-socket (icmp), c, python,
                       socat, socat-b256k (W6)
  --rounds N           measured rounds per case (default 5, quick 3; W7: 1
                       unless given)
  --secs S             seconds per measurement (default 0.4, quick 0.1)
  --sockets N          W5 connection count (default 10000, quick 2000)
  --help               this text
`;

function parseArgs(argv) {
  const o = { quick: false, json: false, out: path.join(BENCH_DIR, "out"), only: null, transport: null, impl: null };
  const list = (v, known, what) => {
    const xs = String(v ?? "")
      .split(",")
      .filter(Boolean);
    for (const x of xs) if (!known.includes(x)) throw new Error(`unknown ${what} "${x}" (know: ${known.join(", ")})`);
    return xs;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--quick":
        o.quick = true;
        break;
      case "--json":
        o.json = true;
        break;
      case "--out":
        o.out = path.resolve(value());
        break;
      case "--only":
        o.only = list(value(), [...Object.keys(WORKLOADS), "W7", "R"], "workload");
        break;
      case "--transport":
        o.transport = list(value(), TRANSPORTS, "transport");
        break;
      case "--impl":
        o.impl = list(value(), Object.keys(IMPLS), "implementation");
        break;
      case "--rounds":
        o.rounds = Number(value());
        break;
      case "--secs":
        o.secs = Number(value());
        break;
      case "--sockets":
        o.sockets = Number(value());
        break;
      case "--help":
      case "-h":
        process.stdout.write(HELP);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${argv[i]}\n\n${HELP}`);
    }
  }
  // Budget: --quick ≤ 1 min, full ≤ 5 min on 2 cores with every implementation.
  o.roundsGiven = o.rounds !== undefined;
  o.rounds ??= o.quick ? 3 : 5;
  o.secs ??= o.quick ? 0.1 : 0.4;
  o.warm = o.quick ? 0.05 : 0.25;
  o.sockets ??= o.quick ? 2000 : 10000;
  o.memRounds = o.quick ? 1 : 2;
  o.fd = fdPlan(o.sockets);
  if (o.fd.sockets < o.sockets) {
    log(`W5: RLIMIT_NOFILE allows ${o.fd.sockets} sockets per process, not ${o.sockets}`);
    o.sockets = o.fd.sockets;
  }
  return o;
}

const log = (s) => process.stderr.write(`${s}\n`);

/**
 * CPU pinning (taskset lists) per mode. "same core" puts client and server on
 * CPU 0: every wake-up is a context switch, which shows software overhead.
 * "across cores" puts the server on CPU 1 and the client on CPU 0; W2–W4 use
 * it too, since unpinned runs swing 2–3× with the scheduler's placement.
 */
const canPin = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
function pinning(mode) {
  if (!canPin) return {};
  if (mode === "same core") return { server: "0", client: "0" };
  if (mode === "across cores" && os.cpus().length >= 2) return { server: "1", client: "0" };
  return {};
}

/**
 * W5 holds thousands of sockets per process. Returns the socket count that
 * fits under RLIMIT_NOFILE and the prlimit setting that gets there: the soft
 * limit may be raised up to the hard one by anyone (prlimit --nofile), above
 * it only with CAP_SYS_RESOURCE, which containers often drop — then the
 * count is lowered to fit and the table says so.
 */
function fdPlan(sockets) {
  const r = spawnSync("sh", ["-c", "ulimit -Sn; ulimit -Hn"], { encoding: "utf8" });
  const [soft, hard] = (r.stdout ?? "")
    .trim()
    .split("\n")
    .map((x) => (x === "unlimited" ? Infinity : Number(x)));
  const need = sockets + 256;
  if (!(soft > 0) || soft >= need) return { sockets, spawn: {} };
  const prlimit = ["/usr/bin/prlimit", "/bin/prlimit"].some((f) => fs.existsSync(f));
  if (!prlimit) return { sockets: Math.max(100, soft - 256), spawn: {} };
  if (hard >= need) return { sockets, spawn: { nofile: Number.isFinite(hard) ? hard : need } };
  const probe = spawnSync("prlimit", [`--nofile=${need}:${need}`, "--", "true"]);
  if (probe.status === 0) return { sockets, spawn: { nofile: need } };
  return { sockets: hard - 256, spawn: { nofile: hard } };
}

/**
 * Starts the server and the client of one implementation for one case. The
 * client starts at the same time and waits for "ADDR", so the two process
 * start-ups overlap.
 */
let pairCount = 0;
async function startPair(c, impl, tmp, opts) {
  const spec = IMPLS[impl];
  // A fresh name per pair: a path left behind by an earlier pair (Node's
  // net does not unlink on exit) must not make bind fail with EADDRINUSE.
  const tag = `${++pairCount}-${c.workload}-${c.transport}-${impl}`.replace(/[^a-z0-9-]/gi, "");
  const params = {
    path: path.join(tmp, `${tag}.s`),
    cpath: path.join(tmp, `${tag}.c`),
    n: opts.sockets,
    window: 16,
    backlog: 4096,
  };
  const pin = pinning(c.mode);
  const extra = c.workload === "W5" ? opts.fd.spawn : {};
  const server = new Proc(`${impl} server`, spec.argv("server", c.workload, c.transport, params), {
    cpus: pin.server,
    ...extra,
  });
  const client = new Proc(`${impl} client`, spec.argv("client", c.workload, c.transport, params), {
    cpus: pin.client,
    ...extra,
  });
  const pair = { impl, server, client };
  try {
    const ready = await server.readLine(20_000);
    if (!ready.startsWith("READY ")) throw new Error(`${impl} server said: ${ready}`);
    const ok = await client.request(`ADDR ${ready.slice(6)}`, 20_000);
    if (ok !== "OK") throw new Error(`${impl} client said: ${ok}`);
    await Promise.all([server.pin(), client.pin()]);
  } catch (e) {
    await stopPair(pair);
    throw e;
  }
  return pair;
}

async function stopPair(pair) {
  await Promise.all([pair.client.end(), pair.server.end()]);
}

/**
 * Polls the server's counters until they stop moving: a one-way sender
 * returns before the receiver has drained its socket queue.
 */
async function drained(server) {
  let prev = await server.requestJson("STAT", 5000);
  let still = 0;
  const deadline = Date.now() + 3000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 10));
    const cur = await server.requestJson("STAT", 5000);
    // Unchanged twice in a row (20 ms): a receiver merely descheduled for
    // one poll on a busy machine does not end the measurement early.
    still = cur.bytes === prev.bytes && cur.bytes > 0 ? still + 1 : 0;
    if (still >= 2 || Date.now() > deadline) return cur;
    prev = cur;
  }
}

/** One measurement of one pair; returns { value, loss?, clientKiB? }. */
async function measure(c, pair, secs, opts) {
  const timeout = secs * 1000 + 20_000;
  const { server, client } = pair;
  switch (c.workload) {
    case "W1":
    case "W4": {
      const r = await client.requestJson(`RUN ${secs}`, timeout);
      if (!r.ops) throw new Error(`${pair.impl}: no ${c.workload === "W1" ? "round trip" : "connection"} completed`);
      return { value: r.ops / r.secs };
    }
    case "W2":
    case "W3": {
      await server.request("RESET", 5000);
      const r = await client.requestJson(`RUN ${secs}`, timeout);
      const s = await drained(server);
      const stream = isStream(c.transport);
      const received = stream ? Math.floor(s.bytes / 64) : s.msgs;
      if (!s.bytes || !(s.span > 0)) throw new Error(`${pair.impl}: nothing received`);
      if (c.workload === "W3") return { value: s.bytes / s.span / 1e9 };
      const loss = r.sent > 0 ? Math.max(0, 1 - received / r.sent) : 0;
      return { value: received / s.span, loss };
    }
    case "W5": {
      const r = await client.requestJson("RUN 0", 120_000);
      let s;
      const deadline = Date.now() + 30_000;
      do {
        s = await server.requestJson("STAT", 30_000);
        if (s.accepted >= r.ops) break;
        await new Promise((res) => setTimeout(res, 100));
      } while (Date.now() < deadline);
      if (r.ops < opts.sockets) throw new Error(`${pair.impl}: only ${r.ops}/${opts.sockets} connected`);
      if (s.accepted < r.ops) throw new Error(`${pair.impl}: server accepted only ${s.accepted}/${r.ops}`);
      return {
        value: (s.rss - s.base) / r.ops / 1024,
        clientKiB: (r.rss - r.base) / r.ops / 1024,
      };
    }
  }
  throw new Error(`unknown workload ${c.workload}`);
}

function record(row, m) {
  row.samples.push(m.value);
  if (m.loss != null) (row.loss ??= []).push(m.loss);
  if (m.clientKiB != null) (row.clientKiB ??= []).push(m.clientKiB);
}

/** Runs one case for all its implementations, interleaved. */
async function runCase(c, impls, tmp, opts) {
  const rows = impls.map((impl) => ({
    workload: c.workload,
    transport: c.transport,
    mode: c.mode,
    impl,
    unit: WORKLOADS[c.workload].unit,
    samples: [],
    error: null,
  }));
  const byImpl = Object.fromEntries(rows.map((r) => [r.impl, r]));
  const fail = (impl, e) => {
    byImpl[impl].error ??= String(e.message ?? e).split("\n")[0];
  };

  if (c.workload === "W6") {
    // Fresh source, relay and sink per measurement; one unrecorded warm-up
    // each (full runs), then rounds in rotating order. Every round sends for
    // at least 0.25 s; the relay's start-up falls outside the sink's
    // first-to-last-byte span.
    const secs = Math.max(opts.secs, 0.25);
    let live = [...impls];
    const attempt = async (impl, s, keep) => {
      try {
        const m = await relayOnce(impl, c.transport, tmp, s);
        if (keep) record(byImpl[impl], m);
      } catch (e) {
        fail(impl, e);
        live = live.filter((i) => i !== impl);
      }
    };
    // Every measurement is a fresh process, so the warm-up only warms the
    // kernel's side (page cache, socket memory); --quick leaves it out.
    if (!opts.quick) for (const impl of [...live]) await attempt(impl, opts.warm, false);
    for (let round = 0; round < opts.rounds; round++) {
      for (const impl of rotate(live, round)) await attempt(impl, secs, true);
    }
    return rows;
  }

  if (c.workload === "W5" || (c.workload === "W3" && !opts.quick)) {
    // Fresh processes every round. W5: RSS is what is measured. W3: one pair
    // of processes (and its connection) keeps its bulk rate from round to
    // round while pairs differ by up to 2× (socket memory, segment sizes, TCP
    // windows), so a pair per round, warmed up first, lets the median see
    // several: the ratio of two rows that run the same code (sockit-net and
    // node over TCP) moved 0.65–1.20 across runs with one pair per case and
    // 1.05–1.09 with a pair per round. (--quick keeps one pair per case, for
    // its minute.)
    const w3 = c.workload === "W3";
    for (let round = 0; round < (w3 ? opts.rounds : opts.memRounds); round++) {
      for (const impl of rotate(impls, round)) {
        if (byImpl[impl].error && !byImpl[impl].samples.length) continue;
        let pair;
        try {
          pair = await startPair(c, impl, tmp, opts);
          // A short warm-up: at GB/s a connection's TCP window opens within ms.
          if (w3) await measure(c, pair, Math.min(opts.warm, 0.1), opts);
          record(byImpl[impl], await measure(c, pair, w3 ? opts.secs : 0, opts));
        } catch (e) {
          fail(impl, e);
        } finally {
          if (pair) await stopPair(pair);
        }
      }
    }
    return rows;
  }

  const started = await Promise.all(
    impls.map((impl) =>
      startPair(c, impl, tmp, opts).catch((e) => {
        fail(impl, e);
        return null;
      }),
    ),
  );
  let pairs = started.filter(Boolean);
  const drop = async (pair, e) => {
    fail(pair.impl, e);
    pairs = pairs.filter((p) => p !== pair);
    await stopPair(pair);
  };
  // Warm-up round (JIT, caches, TCP windows): not recorded.
  for (const pair of [...pairs]) {
    await measure(c, pair, opts.warm, opts).catch((e) => drop(pair, e));
  }
  for (let round = 0; round < opts.rounds; round++) {
    for (const pair of rotate(pairs, round)) {
      try {
        record(byImpl[pair.impl], await measure(c, pair, opts.secs, opts));
      } catch (e) {
        await drop(pair, e);
      }
    }
  }
  await Promise.all(pairs.map(stopPair));
  return rows;
}

function rotate(xs, k) {
  if (!xs.length) return xs;
  const i = k % xs.length;
  return [...xs.slice(i), ...xs.slice(0, i)];
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    log(e.message);
    process.exit(64);
  }
  const t0 = Date.now();
  const wanted = opts.impl ?? Object.keys(IMPLS);
  const workloads = (opts.only ?? Object.keys(WORKLOADS)).filter((w) => WORKLOADS[w]);
  const why = prepare(wanted, log, workloads);
  const machine = describeMachine(versions());
  // Everything printed to stdout is also kept, for results/latest.txt.
  const report = [];
  const say = (s) => {
    report.push(s);
    console.log(s);
  };
  say(`sockit bench${opts.quick ? " --quick" : ""}: ${machineLine(machine)}`);
  for (const [impl, reason] of Object.entries(why)) if (reason) say(`  skipping ${impl}: ${reason}`);
  if (!canPin) say("  not pinning to CPUs: taskset does not work here (the modes are nominal)");

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sockit-bench-"));
  const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
  process.on("exit", cleanup);
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

  const results = [];
  for (const w of workloads) {
    const spec = WORKLOADS[w];
    // --quick measures W1 on the same core only (the mode the goals judge):
    // across cores every implementation waits on the same VM wake-up.
    const modes = opts.quick && w === "W1" ? spec.modes.filter((m) => m === "same core") : spec.modes;
    for (const mode of modes) {
      for (const transport of spec.transports) {
        if (opts.transport && !opts.transport.includes(transport)) continue;
        if (spec.modesFor?.[transport] && !spec.modesFor[transport].includes(mode)) continue;
        const impls = wanted.filter((i) => IMPLS[i].can(w, transport));
        if (!impls.length) continue;
        const c = { workload: w, transport, mode };
        // W6's sockit row is the CLI relay, ready or not on its own.
        const reason = (i) => (w === "W6" && i === "sockit" ? why["sockit relay"] : why[i]);
        const runnable = impls.filter((i) => !reason(i));
        const tc = Date.now();
        const rows = runnable.length ? await runCase(c, runnable, tmp, opts) : [];
        log(
          `${w} ${transport}${mode ? ` (${mode})` : ""}: ${impls.join(", ")} — ${((Date.now() - tc) / 1000).toFixed(1)} s`,
        );
        for (const impl of impls.filter((i) => reason(i)))
          rows.push({
            workload: w,
            transport,
            mode,
            impl,
            unit: spec.unit,
            samples: [],
            error: reason(impl).split(" (")[0],
          });
        rows.sort((a, b) => wanted.indexOf(a.impl) - wanted.indexOf(b.impl));
        results.push(...summarise(rows));
      }
    }
  }

  let robust = null;
  const wantR = !opts.only || opts.only.includes("R");
  if (wantR && wanted.includes("sockit") && (!opts.transport || opts.transport.includes("unix-dgram"))) {
    log("R robustness: sockit unix-dgram under backpressure");
    robust = why.sockit
      ? { ok: null, line: `robustness: skipped (${why.sockit.split(" (")[0]})` }
      : await robustness(tmp, opts);
  }

  let capture = null;
  const wantW7 = (!opts.only || opts.only.includes("W7")) && wanted.includes("sockit");
  if (wantW7) {
    log("W7 capture: sockit capture -w beside tcpdump -w, UDP flood on lo in a namespace");
    const reason = checkTcpdump(log);
    capture = reason
      ? { rows: [], text: `W7 capture: skipped (${reason})`, goals: [] }
      : await captureBench(tmp, opts, log);
  }

  if (results.length || !capture) say(table(results));
  if (robust) say(`\n${robust.line}`);
  if (capture) say(`\n${capture.text}`);
  const targets = checkTargets(results);
  if (targets.met + targets.missed > 0) {
    say(
      `\ntargets (issues 7, 18): ${targets.met} met, ${targets.missed} missed, ${targets.unmeasured} not measured in this run`,
    );
    say(targets.lines.join("\n"));
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(0);
  say(
    `\nrounds ${opts.rounds} × ${opts.secs} s per case${workloads.includes("W6") ? ` (W6: ${Math.max(opts.secs, 0.25)} s)` : ""}, interleaved; ratios are median/median (× ref = Node's built-in, else the best npm peer, and socat in W6; × C = the epoll baseline). ${secs} s in all.`,
  );
  if (opts.json) {
    const doc = { machine, options: { ...opts, out: undefined }, results, robustness: robust, targets, capture };
    const files = writeOutputs(opts.out, doc, report.join("\n") + "\n");
    console.log(`wrote ${files.map((f) => path.relative(process.cwd(), f)).join(", ")}`);
  }
}

main().catch((e) => {
  console.error(e?.stack ?? e);
  process.exit(1);
});
