/**
 * Network namespaces for the ICMP, packet-socket and CLI tests (not a test
 * file itself): a three-namespace line A — R — B joined by veth pairs, R
 * routing between them (IPv4 and IPv6), plus runners that execute a TypeScript
 * snippet or the CLI inside one namespace. Every namespace is created here and
 * deleted by `down()`; no traffic leaves them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { hasCap, CAP_NET_ADMIN, CAP_NET_RAW, nodeScript, which } from "../helpers.js";

/** The addresses of the line. */
export const NET = {
  a: "10.201.1.1",
  ra: "10.201.1.2",
  rb: "10.201.2.2",
  b: "10.201.2.1",
  a6: "fd00:201:1::1",
  ra6: "fd00:201:1::2",
  rb6: "fd00:201:2::2",
  b6: "fd00:201:2::1",
} as const;

/** Why namespace tests cannot run here, or undefined. */
export function netnsSkip(): string | undefined {
  if (process.platform !== "linux") return "Linux only";
  if (!hasCap(CAP_NET_ADMIN) || !hasCap(CAP_NET_RAW)) return "needs CAP_NET_ADMIN and CAP_NET_RAW (run as root)";
  if (!which("ip")) return "needs iproute2's ip";
  const probe = `sockit-probe-${process.pid}`;
  const r = spawnSync("ip", ["netns", "add", probe]);
  if (r.status !== 0) return `ip netns add fails here: ${r.stderr.toString().trim()}`;
  spawnSync("ip", ["netns", "del", probe]);
  return undefined;
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function inNs(ns: string, ...cmd: string[]): void {
  execFileSync("ip", ["netns", "exec", ns, ...cmd], { stdio: ["ignore", "ignore", "pipe"] });
}

/** The three namespaces, by role. */
export interface Line {
  a: string;
  r: string;
  b: string;
  /** The veth names: A's end, R's ends towards A and B, B's end. */
  vethA: string;
  vethRA: string;
  vethRB: string;
  vethB: string;
  down(): void;
}

/** Creates A — R — B with the addresses of NET; `tag` keeps concurrent runs apart. */
export function lineUp(tag: string): Line {
  const base = `sk${process.pid % 100000}${tag}`;
  const l: Line = {
    a: `${base}-a`,
    r: `${base}-r`,
    b: `${base}-b`,
    vethA: "veth-a",
    vethRA: "veth-ra",
    vethRB: "veth-rb",
    vethB: "veth-b",
    down() {
      for (const ns of [l.a, l.r, l.b]) {
        spawnSync("ip", ["netns", "del", ns]);
        rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
      }
    },
  };
  try {
    for (const ns of [l.a, l.r, l.b]) {
      ip("netns", "add", ns);
      inNs(ns, "ip", "link", "set", "lo", "up");
      // No duplicate address detection: a fresh interface's link-local
      // address would stay tentative for a second or two, and neighbour
      // discovery (so IPv6 forwarding) wait for it.
      inNs(ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
    }
    // Pairs are created inside R (names are per namespace) and one end moved out.
    inNs(l.r, "ip", "link", "add", l.vethRA, "type", "veth", "peer", "name", l.vethA);
    inNs(l.r, "ip", "link", "set", l.vethA, "netns", l.a);
    inNs(l.r, "ip", "link", "add", l.vethRB, "type", "veth", "peer", "name", l.vethB);
    inNs(l.r, "ip", "link", "set", l.vethB, "netns", l.b);
    const addr = (ns: string, dev: string, v4: string, v6: string): void => {
      inNs(ns, "ip", "addr", "add", `${v4}/24`, "dev", dev);
      inNs(ns, "ip", "-6", "addr", "add", `${v6}/64`, "dev", dev, "nodad");
      inNs(ns, "ip", "link", "set", dev, "up");
    };
    addr(l.a, l.vethA, NET.a, NET.a6);
    addr(l.r, l.vethRA, NET.ra, NET.ra6);
    addr(l.r, l.vethRB, NET.rb, NET.rb6);
    addr(l.b, l.vethB, NET.b, NET.b6);
    inNs(l.a, "ip", "route", "add", "default", "via", NET.ra);
    inNs(l.a, "ip", "-6", "route", "add", "default", "via", NET.ra6);
    inNs(l.b, "ip", "route", "add", "default", "via", NET.rb);
    inNs(l.b, "ip", "-6", "route", "add", "default", "via", NET.rb6);
    inNs(l.r, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1");
    // No ICMP rate limits: every probe gets its answer.
    for (const ns of [l.a, l.r, l.b]) {
      inNs(ns, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0");
    }
  } catch (e) {
    l.down();
    throw e;
  }
  return l;
}

/**
 * Gives namespace `ns` its own /etc/hosts: `ip netns exec` bind-mounts
 * /etc/netns/NS/hosts over /etc/hosts, so names resolve there without DNS.
 * Removed by the line's down().
 */
export function hostsFile(ns: string, entries: Record<string, string>): void {
  mkdirSync(`/etc/netns/${ns}`, { recursive: true });
  const lines = Object.entries(entries).map(([name, addr]) => `${addr} ${name}`);
  writeFileSync(`/etc/netns/${ns}/hosts`, `127.0.0.1 localhost\n${lines.join("\n")}\n`);
}

/** Sets net.ipv4.ping_group_range in `ns` (e.g. "0 2147483647" to allow ping sockets for everyone). */
export function pingGroupRange(ns: string, range: string): void {
  inNs(ns, "sysctl", "-qw", `net.ipv4.ping_group_range=${range}`);
}

/**
 * Runs a TypeScript snippet inside namespace `ns` (the body of an async
 * module; `S` is the sockit entry: `import * as S`) and returns the value it
 * prints with `out(value)` as JSON.
 */
export async function runIn<T = unknown>(ns: string | null, body: string, prefix: string[] = []): Promise<T> {
  const source = `import * as S from "{{ENTRY}}";
const out = (v: unknown) => console.log(JSON.stringify(v));
try {
${body}
} catch (e) {
  console.log(JSON.stringify({ thrown: { name: (e as Error).name, code: (e as { code?: unknown }).code, message: (e as Error).message } }));
}
`;
  const child = nodeScript(source, [...(ns ? ["ip", "netns", "exec", ns] : []), ...prefix]);
  try {
    const line = await child.line("the result");
    const done = await child.exited;
    if (done.code !== 0) throw new Error(`child exited ${done.code}: ${done.stderr}`);
    return JSON.parse(line) as T;
  } finally {
    child.kill();
  }
}
