/**
 * Shared bits of the soak scenarios: fd and RSS readings, a figure line, and
 * the fd limit of this process (raised or lowered through prlimit(1) --pid,
 * since Node has no setrlimit).
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

/** Open fds of this process. */
export function fds(): number {
  return readdirSync("/proc/self/fd").length - 1; // the listing's own directory fd
}

/** Resident set size of this process, in MiB. */
export function rssMiB(): number {
  return Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;
}

/** The lowest fd number this process does not use. */
export function lowestFreeFd(): number {
  const open = new Set(readdirSync("/proc/self/fd").map(Number));
  let n = 0;
  while (open.has(n)) n++;
  return n;
}

/** The hard RLIMIT_NOFILE of this process: the most a soft limit may be raised to without privilege. */
export function hardFdLimit(): number {
  const r = spawnSync("prlimit", ["--pid", String(process.pid), "--nofile", "--raw", "--noheadings", "-o", "HARD"], {
    encoding: "utf8",
  });
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) && n > 0 ? n : 1024;
}

/** Sets this process's soft RLIMIT_NOFILE with prlimit(1) (the hard limit stays: it can be raised again). */
export function setFdLimit(limit: number): void {
  const r = spawnSync("prlimit", ["--pid", String(process.pid), `--nofile=${limit}:`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`prlimit --nofile=${limit} failed: ${r.stderr}`);
}

/** Prints the scenario's figure: one human line, then one JSON line for the runner. */
export function figure(name: string, text: string, data: Record<string, unknown>): void {
  console.log(`${name}: ${text}`);
  console.log(JSON.stringify({ scenario: name, ...data }));
}

/** Fails the scenario (exit 1) with a reason, unless `ok`. */
export function check(ok: boolean, what: string): void {
  if (!ok) {
    console.error(`FAILED: ${what}`);
    process.exitCode = 1;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Seconds since `t0` (performance.now()), 2 decimals. */
export const since = (t0: number): number => Math.round(performance.now() - t0) / 1000;
