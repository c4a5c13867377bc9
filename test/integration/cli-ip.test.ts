/**
 * `sockit ip addr|link|route|neigh --json` against `ip -j`, in this namespace
 * and in one the test creates (a veth pair, IPv4 and IPv6 addresses, a route,
 * a neighbour); and `sockit monitor` seeing link and address events caused in
 * that namespace. Needs root for the namespace; the host comparison runs anyway.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { ROOT, type CliResult, runCli, sleep, which, within } from "../helpers.js";

/** The CLI from source (test/helpers.ts runCli). */
function sockit(args: string[], timeout = 20_000): Promise<CliResult> {
  return runCli(args, { timeout });
}

const hasIp = which("ip") !== null;
const root = process.getuid?.() === 0;
const NS = `sockit-cli-${process.pid}`;

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * A copy of `ip -j` output (sockit's or ip's) for a namespace whose addresses
 * and routes may be dynamic (DHCP, SLAAC, router advertisements): the address
 * lifetimes count down every second between the two reads, so only their
 * presence is kept; a route's `expires` (which sockit does not print) goes.
 */
function withoutCountdowns(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  return v.map((entry: Record<string, unknown>) => {
    const { expires: _expires, ...e } = entry;
    if (Array.isArray(e.addr_info)) {
      e.addr_info = e.addr_info.map((a: Record<string, unknown>) => {
        const c = { ...a };
        for (const k of ["valid_life_time", "preferred_life_time"]) if (k in c) c[k] = "(counts down)";
        return c;
      });
    }
    return e;
  });
}

async function same(ours: string[], theirs: string[], dynamic = false): Promise<void> {
  const r = await sockit(["--json", ...ours]);
  assert.equal(r.code, 0, r.stderr);
  const view = dynamic ? withoutCountdowns : (v: unknown): unknown => v;
  assert.deepEqual(
    view(JSON.parse(r.stdout)),
    view(JSON.parse(ip("-j", ...theirs))),
    `sockit ${ours.join(" ")} vs ip -j ${theirs.join(" ")}`,
  );
}

/**
 * A child's promise that settles with `ready`: resolves when its stderr has
 * said "monitoring", rejects if it ends (or fails to start) before that.
 */
function monitoring(child: ChildProcess): Promise<void> {
  let stderr = "";
  return new Promise<void>((resolve, reject) => {
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (stderr.includes("monitoring")) resolve();
    });
    child.on("error", reject);
    child.on("close", (code, signal) =>
      reject(new Error(`monitor exited (code ${code}, signal ${signal}) before 'monitoring'; stderr:\n${stderr}`)),
    );
  });
}

describe("sockit ip", { skip: hasIp ? false : "needs iproute2's ip" }, () => {
  test("addr, link and route of this namespace match ip -j", async () => {
    // the host's addresses and routes may be dynamic: lifetimes and expiry are left out
    await same(["ip", "addr"], ["addr"], true);
    await same(["ip", "link"], ["link"]);
    await same(["ip", "route"], ["route"], true);
    await same(["ip", "route", "-6"], ["-6", "route"], true);
  });

  describe("in a test namespace", { skip: root ? false : "needs root (ip netns)" }, () => {
    before(async () => {
      ip("netns", "add", NS);
      ip("-n", NS, "link", "set", "lo", "up");
      // No duplicate address detection for the veths' link-local addresses:
      // they would stay 'tentative' for a second or two, and sockit's read and
      // ip's, a moment apart, could see the flag differently.
      execFileSync(
        "ip",
        ["netns", "exec", NS, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      ip("-n", NS, "link", "add", "scli0", "type", "veth", "peer", "name", "scli1");
      ip("-n", NS, "link", "set", "scli0", "up");
      ip("-n", NS, "link", "set", "scli1", "up");
      ip("-n", NS, "addr", "add", "10.44.0.1/24", "brd", "+", "dev", "scli0");
      ip("-n", NS, "addr", "add", "10.44.0.5/24", "dev", "scli0"); // a secondary
      ip("-n", NS, "addr", "add", "fd44::1/64", "dev", "scli0", "nodad");
      ip("-n", NS, "route", "add", "10.45.0.0/16", "via", "10.44.0.2", "metric", "7");
      ip("-n", NS, "neigh", "add", "10.44.0.2", "lladdr", "02:00:00:00:44:02", "dev", "scli0");
      // Settled before the comparisons: both veths have their link-local
      // address (added as the link comes up), and none is still tentative.
      const settled = (): boolean => {
        const links = JSON.parse(ip("-j", "-n", NS, "-6", "addr", "show", "scope", "link")) as {
          ifname: string;
          addr_info: { tentative?: boolean }[];
        }[];
        return ["scli0", "scli1"].every((n) => {
          const l = links.find((x) => x.ifname === n);
          return l !== undefined && l.addr_info.length > 0 && l.addr_info.every((a) => !a.tentative);
        });
      };
      const deadline = Date.now() + 10_000;
      while (!settled()) {
        if (Date.now() > deadline) throw new Error(`the veths in ${NS} did not settle: ${ip("-n", NS, "-6", "addr")}`);
        await sleep(20);
      }
    });
    after(() => {
      try {
        ip("netns", "del", NS);
      } catch {
        /* gone */
      }
    });

    test("addr, link, route, neigh match ip -n NS -j", async () => {
      await same(["ip", "addr", "--netns", NS], ["-n", NS, "addr"]);
      await same(["ip", "link", "--netns", NS], ["-n", NS, "link"]);
      await same(["ip", "route", "--netns", NS], ["-n", NS, "route"]);
      await same(["ip", "route", "-6", "--netns", NS], ["-n", NS, "-6", "route"]);
      await same(["ip", "neigh", "--netns", NS], ["-n", NS, "neigh"]);
      const plain = await sockit(["ip", "addr", "--netns", NS]);
      assert.match(plain.stdout, /inet 10\.44\.0\.1\/24 brd 10\.44\.0\.255 scope global scli0/);
    });

    test("monitor prints the link and address events caused in the namespace", async () => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "cli/main.ts", "--json", "monitor", "link", "address", "--netns", NS, "-c", "50"],
        {
          cwd: ROOT,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      const closed = new Promise((r) => child.on("close", r));
      const ready = monitoring(child);
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      try {
        await within(ready, "sockit monitor to start", 15_000);
        ip("-n", NS, "link", "add", "smoni0", "type", "veth", "peer", "name", "smoni1");
        ip("-n", NS, "addr", "add", "10.46.0.1/24", "dev", "smoni0");
        const deadline = Date.now() + 5000;
        while (!stdout.includes("10.46.0.1") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      } finally {
        child.kill("SIGINT");
        await closed;
        clearTimeout(timer);
      }
      const events = stdout
        .split("\n")
        .filter((l) => l !== "")
        .map(
          (l) =>
            JSON.parse(l) as { type: string; action: string; link?: { name: string }; address?: { local: string } },
        );
      assert.ok(
        events.some((e) => e.type === "link" && e.action === "new" && e.link?.name === "smoni0"),
        stdout,
      );
      assert.ok(
        events.some((e) => e.type === "address" && e.action === "new" && e.address?.local === "10.46.0.1"),
        stdout,
      );
    });

    test("monitor -c stops after that many events; plain lines", async () => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "cli/main.ts", "monitor", "link", "--netns", NS, "-c", "1"],
        {
          cwd: ROOT,
          env: { ...process.env, NO_COLOR: "1" },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      const closed = new Promise<number | null>((r) => child.on("close", r));
      const ready = monitoring(child);
      let code: number | null;
      try {
        await within(ready, "sockit monitor to start", 15_000);
        ip("-n", NS, "link", "set", "scli1", "mtu", "1300");
        const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
        code = await closed;
        clearTimeout(t);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        await closed;
      }
      assert.equal(code, 0);
      assert.match(stdout, /^link new \d+ scli1 .*mtu 1300/);
    });
  });

  test("usage errors", async () => {
    const r = await sockit(["monitor", "bogus"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^sockit: unknown topic 'bogus'/);
    const t = await sockit(["ip", "route", "--table", "nope"]);
    assert.equal(t.code, 2);
    const m = await sockit(["monitor", "--netns", "sockit-no-such-ns"]);
    assert.equal(m.code, 1);
    assert.equal(m.stderr, "sockit: open ENOENT /run/netns/sockit-no-such-ns\n");
  });
});
