// Gets every implementation ready, or says why it cannot be: installs the
// npm peers into bench/node_modules on first use, compiles the C baseline
// into bench/.build/ (cached by a hash of its source), and checks that
// sockit is built and Python is present. Nothing here throws: a missing
// piece becomes a reason string and its rows are skipped.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { BENCH_DIR, C_BINARY, REPO_DIR } from "./impls.mjs";

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: "utf8", timeout: 180_000, ...opts });
}

function lastLines(text, n = 3) {
  return (text ?? "").trim().split("\n").slice(-n).join(" | ");
}

/** The npm peers, all optional dependencies in bench/package.json. */
const NPM_PEERS = ["unix-dgram", "node-unix-socket", "raw-socket"];

/**
 * `npm ci --prefix bench` when bench/node_modules is missing, or was
 * installed from another bench/package-lock.json (a peer added since: a
 * stamp in node_modules records the lockfile each install was made from,
 * whether every optional peer built or not). If the lockfile
 * cannot be honoured strictly — node-unix-socket lists prebuilt packages for
 * every platform as optional dependencies, and a registry mirror that lacks
 * some of them leaves them out of the lockfile, which `npm ci` then rejects —
 * fall back to `npm install --no-save`, which installs the locked versions and
 * skips what it cannot get.
 */
function installPeers(log) {
  const modules = path.join(BENCH_DIR, "node_modules");
  const stamp = path.join(modules, ".sockit-bench-lock.sha256");
  const lock = createHash("sha256")
    .update(fs.readFileSync(path.join(BENCH_DIR, "package-lock.json")))
    .digest("hex");
  const installed = fs.existsSync(modules);
  if (installed) {
    let was = null;
    try {
      was = fs.readFileSync(stamp, "utf8");
    } catch {
      // Installed before stamps: current if every peer is there.
      if (NPM_PEERS.every((p) => fs.existsSync(path.join(modules, p, "package.json")))) return null;
    }
    if (was === lock) return null;
  }
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const quiet = ["--no-audit", "--no-fund"];
  log(`${installed ? "bench/package-lock.json changed: re" : ""}installing the npm peers (npm ci --prefix bench) ...`);
  let r = run(npm, ["ci", "--prefix", BENCH_DIR, ...quiet]);
  if (r.status !== 0) {
    const why = (r.stderr ?? "").split("\n").find((l) => /^npm error \S/.test(l) && !/code|log of this run/.test(l));
    log(`npm ci failed (${why ?? lastLines(r.stderr, 1)}); trying npm install --no-save ...`);
    r = run(npm, ["install", "--no-save", "--prefix", BENCH_DIR, ...quiet]);
    if (r.status !== 0) return `npm install failed: ${lastLines(r.stderr || r.stdout || String(r.error))}`;
  }
  fs.writeFileSync(stamp, lock);
  return null;
}

/** Loads a peer in a child process so a broken build cannot take us down. */
function load(name) {
  return run(process.execPath, ["--input-type=module", "-e", `await import(${JSON.stringify(name)});`], {
    cwd: BENCH_DIR,
    timeout: 20_000,
  });
}

/** The line of a failed load that says why. */
function loadError(stderr) {
  const lines = (stderr ?? "").split("\n");
  return (lines.find((l) => /NODE_MODULE_VERSION \d+\. This/.test(l)) ?? lines.find((l) => /Error/.test(l)) ?? "")
    .trim()
    .slice(0, 200);
}

/**
 * Checks that a peer loads. A native peer built for another Node ABI (the
 * bench run under Node 24 after an install under Node 20, or back) is rebuilt
 * once against the running Node's own headers, when they sit beside it.
 */
function probePeer(name, log) {
  let r = load(name);
  if (r.status !== 0 && /NODE_MODULE_VERSION/.test(r.stderr)) {
    const bin = path.dirname(process.execPath);
    const nodedir = path.dirname(bin);
    if (fs.existsSync(path.join(nodedir, "include", "node", "node.h"))) {
      log(`rebuilding ${name} for Node ${process.version} ...`);
      run("npm", ["rebuild", name, "--prefix", BENCH_DIR], {
        env: { ...process.env, npm_config_nodedir: nodedir, PATH: `${bin}${path.delimiter}${process.env.PATH}` },
      });
      r = load(name);
    }
  }
  return r.status === 0 ? null : `${name} does not load: ${loadError(r.stderr)}`;
}

/** Compiles bench/c/sockbench.c with `cc -O2` unless the cached binary matches. */
function buildC(log) {
  const src = path.join(BENCH_DIR, "c", "sockbench.c");
  const hash = createHash("sha256").update(fs.readFileSync(src)).digest("hex");
  const stamp = C_BINARY + ".sha256";
  if (fs.existsSync(C_BINARY) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === hash) return null;
  fs.mkdirSync(path.dirname(C_BINARY), { recursive: true });
  log("compiling the C baseline (cc -O2) ...");
  const cc = process.env.CC || "cc";
  const r = run(cc, ["-O2", "-std=c11", "-Wall", "-o", C_BINARY, src]);
  if (r.status !== 0) return `cc failed: ${lastLines(r.stderr || String(r.error))}`;
  fs.writeFileSync(stamp, hash);
  return null;
}

function checkPython() {
  const r = run("python3", ["-c", "import asyncio, sys; print(sys.version.split()[0])"], {
    timeout: 20_000,
  });
  return r.status === 0 ? null : "python3 not found";
}

/** sockit is importable when dist/ is built and the addon loads. */
function checkSockit() {
  const entry = process.env.SOCKIT_ENTRY || path.join(REPO_DIR, "dist", "src", "index.js");
  if (!fs.existsSync(entry)) return `sockit: not built (no ${path.relative(REPO_DIR, entry)}; run npm run build:all)`;
  const r = run(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const m = await import(${JSON.stringify(pathToFileURL(entry).href)}); if (typeof m.Socket !== "function") throw new Error("no Socket export");`,
    ],
    { timeout: 20_000 },
  );
  return r.status === 0 ? null : `sockit: not built (import failed: ${lastLines(r.stderr, 2)})`;
}

/** socat's version line, or null when it is not on PATH. */
function socatVersion() {
  const r = run("socat", ["-V"], { timeout: 10_000 });
  if (r.status !== 0) return null;
  return (r.stdout.match(/socat version (\S+)/) ?? [])[1] ?? "?";
}

/**
 * W6 compares with socat. When it is missing, one attempt at installing it
 * (apt-get update, then apt-get install -y socat, each under a timeout);
 * if that fails too the socat rows are skipped with the reason.
 */
function checkSocat(log) {
  if (socatVersion()) return null;
  const apt = spawnSync("sh", ["-c", "command -v apt-get"], { encoding: "utf8" });
  if (apt.status !== 0) return "socat not installed (and no apt-get to install it)";
  log("socat not found: trying apt-get update && apt-get install -y socat ...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const up = run("apt-get", ["update"], { timeout: 120_000, env });
  if (up.status !== 0) log(`apt-get update failed: ${lastLines(up.stderr || String(up.error), 1)}`);
  const inst = run("apt-get", ["install", "-y", "socat"], { timeout: 180_000, env });
  if (socatVersion()) return null;
  return `socat not installed (apt-get install failed: ${lastLines(inst.stderr || String(inst.error), 1)})`;
}

/** tcpdump's version, or null when it is not on PATH. */
function tcpdumpVersion() {
  const r = run("tcpdump", ["--version"], { timeout: 10_000 });
  if (r.status !== 0) return null;
  return ((r.stdout || r.stderr).match(/tcpdump version (\S+)/) ?? [])[1] ?? "?";
}

/**
 * W7 compares with tcpdump. When it is missing, one attempt at installing it
 * from Debian's packages, as for socat (apt-get update, then apt-get install
 * -y tcpdump); if that fails the tcpdump rows say why.
 */
export function checkTcpdump(log) {
  if (tcpdumpVersion()) return null;
  const apt = spawnSync("sh", ["-c", "command -v apt-get"], { encoding: "utf8" });
  if (apt.status !== 0) return "tcpdump not installed (and no apt-get to install it)";
  log("tcpdump not found: trying apt-get update && apt-get install -y tcpdump ...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const up = run("apt-get", ["update"], { timeout: 120_000, env });
  if (up.status !== 0) log(`apt-get update failed: ${lastLines(up.stderr || String(up.error), 1)}`);
  const inst = run("apt-get", ["install", "-y", "tcpdump"], { timeout: 180_000, env });
  if (tcpdumpVersion()) return null;
  return `tcpdump not installed (apt-get install failed: ${lastLines(inst.stderr || String(inst.error), 1)})`;
}

/** The sockit CLI the W6 relay rows run (built by npm run prepare). */
function checkSockitCli() {
  const cli = process.env.SOCKIT_CLI || path.join(REPO_DIR, "dist", "cli", "main.js");
  if (!fs.existsSync(cli)) return `sockit CLI not built (no ${path.relative(REPO_DIR, cli)}; run npm run prepare)`;
  const r = run(process.execPath, [cli, "relay", "--help"], { timeout: 20_000 });
  return r.status === 0 ? null : `sockit CLI does not start: ${lastLines(r.stderr, 1)}`;
}

/**
 * Returns { impl: null | reason } for every implementation.
 * @param {string[]} wanted  implementations the run asks for
 * @param {string[]} workloads  workloads the run will measure
 */
export function prepare(wanted, log, workloads = ["W1", "W2", "W3", "W4", "W5", "W6"]) {
  const why = {};
  const want = (name) => wanted.includes(name);
  const relayOnly = workloads.length > 0 && workloads.every((w) => w === "W6");
  // A run of W6 alone needs the CLI, not the library import check.
  if (want("sockit")) why.sockit = relayOnly ? null : checkSockit();
  if (want("sockit-net")) why["sockit-net"] = want("sockit") ? why.sockit : checkSockit();
  if (want("sockit-epoll")) why["sockit-epoll"] = want("sockit") ? why.sockit : checkSockit();
  if (want("sockit-event")) why["sockit-event"] = want("sockit") ? why.sockit : checkSockit();
  if (want("sockit") && workloads.includes("W6")) why["sockit relay"] = checkSockitCli();
  if (workloads.includes("W6") && (want("socat") || want("socat-b256k"))) {
    const reason = checkSocat(log);
    if (want("socat")) why.socat = reason;
    if (want("socat-b256k")) why["socat-b256k"] = reason;
  }
  if (want("node")) why.node = null;
  if (NPM_PEERS.some(want)) {
    const failed = installPeers(log);
    for (const peer of NPM_PEERS) if (want(peer)) why[peer] = failed ?? probePeer(peer, log);
  }
  if (want("c")) why.c = buildC(log);
  if (want("python")) why.python = checkPython();
  return why;
}

/** Versions worth stating beside the figures. */
export function versions() {
  const v = { node: process.version };
  try {
    v.python = execFileSync("python3", ["--version"], { encoding: "utf8" }).trim().split(" ")[1];
  } catch {
    /* absent */
  }
  try {
    v.cc = execFileSync(process.env.CC || "cc", ["--version"], { encoding: "utf8" }).split("\n")[0];
  } catch {
    /* absent */
  }
  try {
    // Which sockit was measured: the commit, and whether src/ or native/
    // had uncommitted changes when it was built.
    const head = execFileSync("git", ["-C", REPO_DIR, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["-C", REPO_DIR, "status", "--porcelain", "--", "src", "native"], {
      encoding: "utf8",
    }).trim();
    v.sockit = `${head}${dirty ? "+dirty" : ""}${process.env.SOCKIT_ENTRY ? ` (${process.env.SOCKIT_ENTRY})` : ""}`;
  } catch {
    /* not a git checkout */
  }
  const socat = socatVersion();
  if (socat) v.socat = socat;
  const tcpdump = tcpdumpVersion();
  if (tcpdump) v.tcpdump = tcpdump;
  for (const peer of NPM_PEERS) {
    try {
      const pj = path.join(BENCH_DIR, "node_modules", peer, "package.json");
      v[peer] = JSON.parse(fs.readFileSync(pj, "utf8")).version;
    } catch {
      /* not installed */
    }
  }
  return v;
}
