/**
 * The sockit command line, run for real: `node --import tsx cli/main.ts ...`
 * from the repository root (no build needed), with a timeout on every run.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RUN_TIMEOUT_MS = 30_000;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source with `args`; kills it (and fails) if it outlives the timeout. */
function sockit(args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const limit = options.timeout ?? RUN_TIMEOUT_MS;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sockit ${args.join(" ")} did not finish within ${limit} ms; stderr: ${stderr}`));
    }, limit);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Asserts a one-line error report: `sockit: ...`, no stack trace. */
function assertOneLineError(r: Result, pattern: RegExp): void {
  const lines = r.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^sockit: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
}

// ---------------------------------------------------------------------------
// What this machine offers, found independently of sockit, to know which
// tour rows may be skipped.

function hasCapability(bit: number): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
  return m !== null && (BigInt(`0x${m[1]}`) & (1n << BigInt(bit))) !== 0n;
}
const CAP_NET_RAW = 13;

function sysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name}`, "utf8").trim();
  } catch {
    return undefined;
  }
}

async function hasIPv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(0, "::1", () => srv.close(() => resolve(true)));
  });
}

function pingAllowed(): boolean {
  const range = sysctl("net/ipv4/ping_group_range")?.split(/\s+/).map(Number);
  if (!range || range.length !== 2) return false;
  const gid = process.getgid!();
  return range[0]! <= gid && gid <= range[1]!;
}

interface Row {
  id: string;
  family: string;
  type: string;
  protocol: string;
  address: string;
  bytes: number;
  rttUs: number | null;
  result: "ok" | "failed" | "skipped";
  reason?: string;
}

const ALL_IDS = [
  "tcp",
  "tcp6",
  "udp",
  "udp6",
  "unix-stream",
  "unix-dgram",
  "unix-seqpacket",
  "abstract-stream",
  "abstract-dgram",
  "abstract-seqpacket",
  "socketpair-stream",
  "socketpair-dgram",
  "socketpair-seqpacket",
  "icmp",
  "icmpv6",
  "ping",
  "ping6",
];

/** Which rows must be ok here; the rest may be skipped (never failed). */
async function expectedOk(): Promise<Set<string>> {
  const v6 = await hasIPv6Loopback();
  const raw = hasCapability(CAP_NET_RAW);
  const echo4 = sysctl("net/ipv4/icmp_echo_ignore_all") !== "1";
  const echo6 = sysctl("net/ipv6/icmp/echo_ignore_all") !== "1";
  const ok = new Set(ALL_IDS.filter((id) => !/^(tcp6|udp6|icmp|icmpv6|ping|ping6)$/.test(id)));
  if (v6) ok.add("tcp6").add("udp6");
  if (raw && echo4) ok.add("icmp");
  if (raw && v6 && echo6) ok.add("icmpv6");
  if (pingAllowed() && echo4) ok.add("ping");
  if (pingAllowed() && v6 && echo6) ok.add("ping6");
  return ok;
}

// ---------------------------------------------------------------------------

describe("sockit tour", { timeout: 120_000 }, () => {
  it("exits 0 and every pair this machine offers says ok (plain text when piped)", async () => {
    const r = await sockit(["tour"]);
    assert.equal(r.code, 0, `exit code; stderr: ${r.stderr}\nstdout:\n${r.stdout}`);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^FAMILY\s+TYPE\s+PROTO\s+ADDRESS\s+BYTES\s+RTT\s+RESULT$/);
    const body = lines.slice(1);
    assert.equal(body.length, ALL_IDS.length, r.stdout);
    assert.doesNotMatch(r.stdout, /[┌│└]/, "no box drawing when piped");
    assert.ok(!r.stdout.includes("\u001b["), "no colors when piped");
    for (const line of body) assert.match(line, /\s(ok|skipped: .+)$/, line);
    // The kinds of rows the brief names are all there, with their addresses.
    assert.match(r.stdout, /^inet\s+stream\s+tcp\s+127\.0\.0\.1:\d+\s+800\s+[\d.]+ (µs|ms)\s+ok$/m);
    assert.match(r.stdout, /^unix\s+stream\s+-\s+\/\S+\/stream\.sock\s/m);
    assert.match(r.stdout, /^unix\s+dgram\s+-\s+@sockit-tour-\d+-dgram\s/m);
    assert.match(r.stdout, /^unix\s+seqpacket\s+-\s+socketpair\s/m);
    assert.match(r.stderr, /^tour: \d+ of 17 pairs ok/m);
  });

  it("--json prints every row, and the rows this machine supports are ok", async () => {
    const r = await sockit(["tour", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Row[];
    assert.deepEqual(
      rows.map((x) => x.id),
      ALL_IDS,
    );
    const ok = await expectedOk();
    for (const row of rows) {
      if (ok.has(row.id)) {
        assert.equal(row.result, "ok", `${row.id}: ${row.reason}`);
        assert.ok(row.bytes >= 500, `${row.id} bytes ${row.bytes}`);
        assert.equal(typeof row.rttUs, "number");
        assert.ok(row.rttUs! > 0);
        assert.ok(row.address !== "-" && row.address !== "");
      } else {
        assert.equal(row.result, "skipped", `${row.id} may only be skipped here: ${row.reason}`);
        assert.ok(row.reason && row.reason.length > 0);
      }
    }
    const byId = new Map(rows.map((x) => [x.id, x]));
    assert.match(byId.get("tcp")!.address, /^127\.0\.0\.1:\d+$/);
    if (ok.has("tcp6")) assert.match(byId.get("tcp6")!.address, /^\[::1\]:\d+$/);
    assert.match(byId.get("abstract-seqpacket")!.address, /^@sockit-tour-\d+-seqpacket$/);
    assert.equal(byId.get("socketpair-dgram")!.address, "socketpair");
    if (!hasCapability(CAP_NET_RAW)) assert.equal(byId.get("icmp")!.reason, "needs CAP_NET_RAW");
    // With --json, stdout is only the JSON and a successful run is quiet on stderr.
    assert.equal(r.stderr, "");
  });

  it("filters rows by family, type, naming or id", async () => {
    const r = await sockit(["tour", "--json", "unix", "seqpacket"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      (JSON.parse(r.stdout) as Row[]).map((x) => x.id),
      ["unix-seqpacket", "abstract-seqpacket", "socketpair-seqpacket"],
    );
    const bad = await sockit(["tour", "nosuch"]);
    assert.equal(bad.code, 2);
    assertOneLineError(bad, /unknown filter "nosuch"/);
    const none = await sockit(["tour", "tcp", "udp"]);
    assert.equal(none.code, 2);
    assertOneLineError(none, /no pair matches/);
  });

  it("removes its temp dir and prints each step with -v", async () => {
    const r = await sockit(["-v", "tour", "path"]);
    assert.equal(r.code, 0, r.stderr);
    for (const step of [
      /^\* socket unix stream → fd \d+$/m,
      /^\* bind fd \d+ \/\S+\/stream\.sock$/m,
      /^\* listen fd \d+/m,
      /^\* connect fd \d+ → \/\S+\/stream\.sock/m,
      /^\* accept fd \d+ → fd \d+ from /m,
      /^\* close fd \d+$/m,
    ]) {
      assert.match(r.stderr, step);
    }
    const dir = /^\* mkdir (\/\S+)$/m.exec(r.stderr)?.[1];
    assert.ok(dir, r.stderr);
    assert.match(dir, /sockit-tour-/);
    assert.equal(existsSync(dir), false, `${dir} was removed`);
    // Data steps only with -vv.
    assert.doesNotMatch(r.stderr, /^\*\s+send fd/m);
    const vv = await sockit(["-vv", "tour", "socketpair-dgram"]);
    assert.match(vv.stderr, /^\*\s+send fd \d+ 100 bytes$/m);
  });

  it("fails loudly (exit 1, one line naming the pairs) when a pair that should work does not", async () => {
    // Unix path pairs need a temp dir: ask for it in a directory that does not exist.
    const missing = "/nonexistent-sockit-test";
    assert.equal(existsSync(missing), false);
    const r = await sockit(["tour", "path", "--tmpdir", missing]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /FAILED: ENOENT/);
    assertOneLineError(r, /^sockit: tour: 3 of 3 pairs FAILED: unix-stream, unix-dgram, unix-seqpacket$/);
    const j = await sockit(["tour", "--json", "unix-dgram", "--tmpdir", missing]);
    assert.equal(j.code, 1);
    const rows = JSON.parse(j.stdout) as Row[];
    assert.equal(rows[0]!.result, "failed");
    assert.match(rows[0]!.reason!, /ENOENT/);
  });

  it("never hangs: a tiny --timeout turns waits into FAILED rows naming what waited", async () => {
    const r = await sockit(["tour", "--json", "--timeout", "1"], { timeout: 20_000 });
    const rows = JSON.parse(r.stdout) as Row[];
    assert.equal(rows.length, ALL_IDS.length);
    for (const row of rows.filter((x) => x.result === "failed"))
      assert.match(row.reason!, /^timed out after 1 ms waiting for \S/);
    assert.equal(r.code, rows.some((x) => x.result === "failed") ? 1 : 0);
  });

  it(
    "draws a table on a terminal",
    { skip: !existsSync("/usr/bin/script") && "needs script(1) for a pseudo-terminal" },
    () => {
      const cmd = [process.execPath, "--import", "tsx", "cli/main.ts", "tour", "socketpair"]
        .map((a) => `'${a}'`)
        .join(" ");
      const r = spawnSync("script", ["-qec", cmd, "/dev/null"], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: RUN_TIMEOUT_MS,
        env: { ...process.env, NO_COLOR: "1" },
      });
      assert.equal(r.status, 0, r.stdout);
      assert.match(r.stdout, /┌─/);
      assert.match(r.stdout, /│ unix\s+│ seqpacket │/);
    },
  );
});

describe("sockit program", { timeout: 60_000 }, () => {
  it("--version prints package.json's version", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const r = await sockit([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${pkg.version}\n`);
    }
  });

  it("--help lists the commands with examples and the exit codes", async () => {
    const r = await sockit(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: sockit /);
    assert.match(r.stdout, /^\s+tour .*exchange data/m);
    assert.match(r.stdout, /^Examples:\n\s+# .+\n\s+\$ sockit tour$/m);
    assert.match(r.stdout, /^Exit codes:\n\s+0 .+\n\s+1 .+\n\s+2 /m);
    assert.match(r.stdout, /-v, --verbose/);
    assert.match(r.stdout, /--json/);
    const tour = await sockit(["tour", "--help"]);
    assert.equal(tour.code, 0);
    assert.match(tour.stdout, /^Usage: sockit tour /);
    assert.match(tour.stdout, /--timeout <ms>/);
    assert.match(tour.stdout, /\$ sockit tour --json/);
    assert.match(tour.stdout, /Global Options:/);
    const help = await sockit(["help", "tour"]);
    assert.equal(help.code, 0);
    assert.equal(help.stdout, tour.stdout);
  });

  it("an unknown command exits 2 with one line and no stack trace", async () => {
    const r = await sockit(["frobnicate"]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assertOneLineError(r, /unknown command 'frobnicate'/);
    const typo = await sockit(["tuor"]);
    assert.equal(typo.code, 2);
    assertOneLineError(typo, /unknown command 'tuor' \(did you mean tour\?\)/);
  });

  it("a bad option exits 2 with one line and no stack trace", async () => {
    for (const args of [
      ["--bogus"],
      ["tour", "--bogus"],
      ["tour", "--timeout", "abc"],
      ["tour", "--timeout", "0"],
      ["tour", "--timeout"],
    ]) {
      const r = await sockit(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(r.stdout, "");
      assertOneLineError(r, /option/);
    }
  });

  it("no command prints the usage to stderr and exits 2", async () => {
    const r = await sockit([]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^Usage: sockit /);
  });
});

describe("output to a closed pipe", () => {
  it("a reader that goes away early (sockit ... | head) ends the command quietly, exit 0, no stack trace", () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const r = spawnSync(
      "bash",
      [
        "-c",
        'node --import tsx cli/main.ts --help | head -1 >/dev/null; a=${PIPESTATUS[0]}; node --import tsx cli/main.ts tour --json | head -c 1 >/dev/null; echo "$a ${PIPESTATUS[0]}"',
      ],
      { cwd: root, encoding: "utf8", timeout: 60_000 },
    );
    assert.equal(r.stdout.trim(), "0 0", r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /);
  });
});
