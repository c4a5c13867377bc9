/**
 * Shared test helpers: fd accounting through /proc/self/fd, temporary
 * directories, a hang guard, child processes (python3, node with tsx), and
 * capability checks. Real kernel only: nothing here mocks a syscall.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  accessSync,
  constants as fsConstants,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Socket, SocketError } from "../src/index.js";
import { after } from "node:test";

/** The repository root (where package.json and node_modules are). */
export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** The library entry point, importable by child processes run with tsx. */
export const ENTRY = join(ROOT, "src", "index.ts");

/**
 * The open fds of this process with what each points to ("socket:[1234]", a
 * path...), read from /proc/self/fd. A leak check compares two of these with
 * {@link newFds}: the runtime may close fds of its own in between (tsx's
 * esbuild service, spawned on a cold cache, closes its socketpairs a moment
 * after start-up), so counting fds is not a leak check; a new fd, or an old
 * number that now points elsewhere, is.
 */
export type FdSet = Map<number, string>;

/** A snapshot of the open fds (fd → target). */
export function openFds(): FdSet {
  // readdirSync opens (and closes) a directory fd of its own while reading;
  // it shows up in the listing but is gone again by the time we readlink it.
  const out: FdSet = new Map();
  for (const name of readdirSync("/proc/self/fd")) {
    try {
      out.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      /* the directory fd of the listing itself */
    }
  }
  return out;
}

/** The number of open fds of this process (a figure to print; compare snapshots with {@link newFds}). */
export function fdCount(): number {
  return openFds().size;
}

/** What an fd refers to ("socket:[1234]", a path...), or null when it is not open. */
export function fdTarget(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/**
 * The fds open in `after` that were not open in `before` (or whose number now
 * points elsewhere), as "fd -> target": [] when nothing leaked. Fds closed in
 * between, by the test or by the runtime, do not count.
 */
export function newFds(before: FdSet, after: FdSet = openFds()): string[] {
  return [...after]
    .filter(([fd, target]) => before.get(fd) !== target && !LOADER_CACHE.test(target))
    .map(([fd, target]) => `${fd} -> ${target}`);
}

/**
 * The test loader's own cache directories (tsx's, Node's compile cache): tsx
 * opens its cache directory while it compiles a module imported late (a
 * dynamic import mid-test), which is not the code under test.
 */
const LOADER_CACHE = new RegExp(
  `^${tmpdir().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/(tsx-\\d+|node-compile-cache)(/|$)`,
);

/**
 * The same check as source text, for child-process scripts that can't import
 * this module: defines `openFds()` and `newFds(before)` as above.
 */
export const FD_SNIPPET = `
const { readdirSync: __rd, readlinkSync: __rl } = await import("node:fs");
const openFds = () => { const m = new Map(); for (const n of __rd("/proc/self/fd")) { try { m.set(Number(n), __rl("/proc/self/fd/" + n)); } catch {} } return m; };
const newFds = (before, after = openFds()) => [...after].filter(([fd, t]) => before.get(fd) !== t && !/\\/(tsx-\\d+|node-compile-cache)(\\/|$)/.test(t)).map(([fd, t]) => fd + " -> " + t);
`;

/** A fresh temporary directory and a function that removes it. */
export function tempDir(prefix = "sockit-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A name for the abstract namespace that no other test run uses. */
export function abstractName(tag: string): string {
  return `sockit-test-${tag}-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Rejects if `p` has not settled within `ms`. A hang guard only: it turns a
 * hang into a failure with a message, and never decides a pass by timing.
 */
export function within<T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang guard: ${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves on the next turn of the event loop (after pending I/O callbacks). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Whether `p` is still pending once everything already due has run (the
 * microtask queue and the I/O callbacks of this turn). Races are not used:
 * a settled promise's `then` takes extra microtask hops and would lose.
 */
export async function isPending(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await turn();
  return !settled;
}

/** A child process with its stdout split into lines. */
export interface Child {
  proc: ChildProcess;
  /** Resolves with the next stdout line (rejects if the process ends first). */
  line(what?: string): Promise<string>;
  /** Writes a line to the child's stdin. */
  send(text: string): void;
  /** Resolves with the exit code (or signal name) and everything on stderr. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(): void;
}

/** Spawns a command with line-oriented stdout and collected stderr. */
export function spawnChild(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Child {
  const proc = spawn(cmd, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr!.setEncoding("utf8");
  proc.stderr!.on("data", (d: string) => (stderr += d));
  const lines: string[] = [];
  const waiting: { resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  let ended = false;
  const rl = createInterface({ input: proc.stdout! });
  rl.on("line", (l) => {
    const w = waiting.shift();
    if (w) w.resolve(l);
    else lines.push(l);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    proc.on("close", (code, signal) => {
      ended = true;
      for (const w of waiting.splice(0))
        w.reject(
          new Error(`${cmd} exited (code ${code}, signal ${signal}) before printing a line; stderr:\n${stderr}`),
        );
      resolve({ code, signal, stderr });
    });
  });
  return {
    proc,
    line(what = "a line") {
      const l = lines.shift();
      if (l !== undefined) return Promise.resolve(l);
      if (ended) return Promise.reject(new Error(`${cmd} exited before printing ${what}; stderr:\n${stderr}`));
      return within(new Promise<string>((resolve, reject) => waiting.push({ resolve, reject })), `${cmd}: ${what}`);
    },
    send(text) {
      proc.stdin!.write(`${text}\n`);
    },
    exited,
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    },
  };
}

/** Runs `python3 -c code args...`. */
export function python(code: string, ...args: string[]): Child {
  return spawnChild("python3", ["-u", "-c", code, ...args]);
}

/**
 * Runs a TypeScript module (given as source text) in a child node process with
 * tsx, from a temporary file; `{{ENTRY}}` in the source is replaced with the
 * path of src/index.ts. `prefix` is put before node (e.g. setpriv).
 */
export function nodeScript(source: string, prefix: string[] = []): Child & { cleanup: () => void } {
  const dir = tempDir("sockit-child-");
  const file = join(dir.path, "child.mts");
  writeFileSync(file, source.replaceAll("{{ENTRY}}", ENTRY));
  const argv = [...prefix, process.execPath, "--import", "tsx", file];
  const child = spawnChild(argv[0]!, argv.slice(1));
  void child.exited.then(dir.cleanup);
  return { ...child, cleanup: dir.cleanup };
}

/** The effective capability set of this process, as a bigint bitmask. */
export function effectiveCaps(): bigint {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

/** CAP_NET_RAW (13) and CAP_NET_ADMIN (12) from linux/capability.h. */
export const CAP_NET_ADMIN = 12n;
export const CAP_NET_RAW = 13n;
export const CAP_SETPCAP = 8n;

/** Whether this process has capability `cap` in its effective set. */
export function hasCap(cap: bigint): boolean {
  return (effectiveCaps() & (1n << cap)) !== 0n;
}

/** Whether an executable is on PATH. */
export function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    try {
      const p = join(dir, cmd);
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** Collects a readable stream (a Node net.Socket) until 'end'. */
export function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

/** A deterministic pseudo-random buffer (so a mismatch can be located). */
export function pattern(size: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** What a finished CLI run printed and how it ended. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the sockit CLI from source (no build needed), optionally behind another
 * command (`ip netns exec NS`, `setpriv ...`), and collects its output. A run
 * that outlives `timeout` is killed and rejects, so a test never hangs on it.
 */
export function runCli(args: string[], options: { prefix?: string[]; timeout?: number } = {}): Promise<CliResult> {
  const { prefix = [], timeout = 20_000 } = options;
  return new Promise((resolve, reject) => {
    const argv = [...prefix, process.execPath, "--import", "tsx", "cli/main.ts", ...args];
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sockit ${args.join(" ")} did not finish in ${timeout} ms; stderr: ${stderr}`));
    }, timeout);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Root with unshare(1) and ip(8): the tests that build a network namespace can run. */
export const canUnshare =
  process.getuid?.() === 0 && spawnSync("unshare", ["-n", "true"]).status === 0 && spawnSync("ip", ["-V"]).status === 0;

/**
 * Shell lines that, inside `unshare -n`, bring up lo and a veth pair whose end
 * sk0 holds two addresses per family: 10.77.0.1 and .2/24, fd77::1 and ::2/64.
 */
export const TWO_ADDRESS_NETNS = [
  "set -e",
  "ip link set lo up",
  "ip link add sk0 type veth peer name sk1",
  "ip addr add 10.77.0.1/24 dev sk0",
  "ip addr add 10.77.0.2/24 dev sk0",
  "ip addr add fd77::1/64 dev sk0 nodad",
  "ip addr add fd77::2/64 dev sk0 nodad",
  "ip link set sk0 up",
  "ip link set sk1 up",
];

/**
 * Lowers a running process's fd limit (prlimit(1) --pid) so that it can open
 * just `free` more fds: the limit is set to its lowest unused fd number plus
 * `free`. Done after the process has started, so that loading its modules
 * (tsx reads many files at once) is not what runs out. Returns the limit set.
 */
export function limitFds(pid: number, free: number): number {
  const open = new Set(readdirSync(`/proc/${pid}/fd`).map(Number));
  let lowest = 0;
  while (open.has(lowest)) lowest++;
  const limit = lowest + free;
  // The soft limit only: raising it again (or in a child) needs no privilege.
  const r = spawnSync("prlimit", ["--pid", String(pid), `--nofile=${limit}:`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`prlimit --pid ${pid} failed: ${r.stderr}`);
  return limit;
}

// ---------------------------------------------------------------------------
// Shared assertions.

function described(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Asserts `fn` throws (synchronously) a SocketError of `code` from `syscall`, and returns it. */
export function throwsSys(fn: () => unknown, code: string, syscall: string): SocketError {
  let err: unknown;
  assert.throws(fn, (e: unknown) => {
    err = e;
    assert.ok(e instanceof SocketError, `expected SocketError ${code}, got ${described(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.syscall, syscall, e.message);
    return true;
  });
  return err as SocketError;
}

/** Asserts `p` rejects with a SocketError of `code` from `syscall` (a hang fails too), and returns it. */
export async function rejectsSys(p: Promise<unknown>, code: string, syscall: string): Promise<SocketError> {
  let err: unknown;
  await assert.rejects(within(p, `${syscall} → ${code}`), (e: unknown) => {
    err = e;
    assert.ok(e instanceof SocketError, `expected SocketError ${code}, got ${described(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.syscall, syscall, e.message);
    return true;
  });
  return err as SocketError;
}

/** Asserts a CLI run printed exactly one stderr line, `sockit: …`, matching `pattern`. */
export function oneLineError(r: CliResult, pattern: RegExp): void {
  const lines = r.stderr.split("\n").filter(Boolean);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^sockit: /);
  assert.match(lines[0]!, pattern);
}

/** The text of a file read through `fd` from its start (up to 4 KiB), as a passed fd is checked. */
export function readFd(fd: number): string {
  const b = Buffer.alloc(4096);
  return b.subarray(0, readSync(fd, b, 0, b.length, 0)).toString();
}

/** Asserts fn throws synchronously (never returns a promise) an error of `cls` carrying `code`. */
export function throwsNow(
  fn: () => unknown,
  code: string,
  cls: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor = TypeError,
): void {
  let returned: unknown;
  assert.throws(
    () => {
      returned = fn();
    },
    (e: unknown) => {
      assert.ok(
        e instanceof cls,
        `expected ${cls.name} ${code}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
      );
      assert.equal((e as { code?: string }).code, code, (e as Error).message);
      return true;
    },
    `expected a synchronous ${code}`,
  );
  // If fn returned a promise instead of throwing, keep its rejection from going unhandled.
  if (returned instanceof Promise) returned.catch(() => {});
}

/** Asserts `p` rejects with Error ERR_SOCKET_CLOSED. */
export async function rejectsClosed(p: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(within(p, what), (e: unknown) => {
    assert.ok(e instanceof Error, String(e));
    assert.equal((e as { code?: string }).code, "ERR_SOCKET_CLOSED", `${what}: ${(e as Error).message}`);
    return true;
  });
}

/** Asserts `p` rejects with Node's AbortError shape, carrying `reason` as its cause. */
export async function rejectsAbort(p: Promise<unknown>, reason?: unknown): Promise<void> {
  await assert.rejects(within(p, "abort"), (e: unknown) => {
    assert.ok(e instanceof Error, String(e));
    assert.equal(e.name, "AbortError");
    assert.equal((e as { code?: string }).code, "ABORT_ERR");
    if (reason !== undefined) assert.equal((e as { cause?: unknown }).cause, reason);
    return true;
  });
}

/** Reads exactly n bytes from a stream socket (fails on early EOF). */
export async function recvExactly(s: Socket, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const b = await within(s.recv(Math.min(65536, n - got)), `recv of ${n - got} more bytes`);
    if (b.length === 0) throw new Error(`EOF after ${got} of ${n} bytes`);
    parts.push(b);
    got += b.length;
  }
  return Buffer.concat(parts);
}

/** A connected stream pair through a listener: [client, accepted]; the listener is closed. */
export async function connectedPair(
  family: "inet" | "inet6" | "unix",
  type: "stream" | "seqpacket",
  bindTo: string,
): Promise<[Socket, Socket]> {
  const srv = new Socket(family, type);
  srv.bind(bindTo);
  srv.listen();
  const c = new Socket(family, type);
  const [conn] = await within(Promise.all([srv.accept(), c.connect(srv.getsockname())]), "accept + connect");
  srv.close();
  return [c, conn];
}

/**
 * Sockets to close when the test file ends, whatever happens: `track(s)`
 * registers one (or an array) and returns it.
 */
export function socketTracker(): <T extends Socket | Socket[]>(s: T) => T {
  const sockets: Socket[] = [];
  after(() => {
    for (const s of sockets) s.close();
  });
  return (s) => {
    for (const x of Array.isArray(s) ? s : [s]) sockets.push(x);
    return s;
  };
}
