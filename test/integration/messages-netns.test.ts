/**
 * Packet metadata and the error queue in a network namespace of its own (root
 * only): a veth link with two IPv4 and two IPv6 addresses, where a
 * wildcard-bound socket receives for both. Checks, per address and family,
 * that IP_PKTINFO / IPV6_RECVPKTINFO names the address each datagram was sent
 * to and the interface that holds it, and that IP_RECVERR / IPV6_RECVERR
 * report the ICMP error with the offender that sent it — including a host
 * unreachable for a neighbour that never answers (neighbour resolution cut to
 * one probe of 100 ms so the test stays fast).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { canUnshare, ENTRY, ROOT, tempDir, TWO_ADDRESS_NETNS } from "../helpers.js";

const tmp = tempDir("sockit-netns-");
after(() => tmp.cleanup());

/** The program run inside the namespace: prints what it saw as JSON. */
const PROGRAM = `
import { Socket, MSG, posix } from ${JSON.stringify(pathToFileURL(ENTRY).href)};
const out = { ifindex: posix.if_nametoindex("sk0"), seen: {} };
const sets = [
  ["inet", ["10.77.0.1", "10.77.0.2"], "10.77.0.99", "IPPROTO_IP", "IP_PKTINFO", "IP_RECVERR"],
  ["inet6", ["fd77::1", "fd77::2"], "fd77::99", "IPPROTO_IPV6", "IPV6_RECVPKTINFO", "IPV6_RECVERR"],
];
for (const [family, addrs, far, level, pktinfo, recverr] of sets) {
  const srv = new Socket(family, "dgram");
  srv.bind(family === "inet" ? "0.0.0.0:0" : "[::]:0");
  srv.setsockopt(level, pktinfo, true);
  const port = srv.getsockname().port;
  const c = new Socket(family, "dgram");
  c.setsockopt(level, recverr, true);
  // Sends to a closed port (or an absent host) until the error queue has a
  // report (the kernel may rate-limit an ICMP error away), then drains the
  // queue so the next address starts clean.
  const errq = async (address, port) => {
    for (let i = 0; ; i++) {
      await c.sendto("x", { family, address, port });
      let report;
      try {
        report = (await c.recvmsg({ size: 64, flags: MSG.ERRQUEUE, timeout: 2000 })).error;
      } catch (e) {
        if (e?.code === "ETIMEDOUT" && i < 4) continue;
        throw e;
      }
      for (;;) {
        try {
          await c.recvmsg({ size: 64, flags: MSG.ERRQUEUE | MSG.DONTWAIT });
        } catch {
          break;
        }
      }
      return report;
    }
  };
  for (const address of addrs) {
    await c.sendto("q", { family, address, port });
    const m = await srv.recvmsg({ size: 64, timeout: 5000 });
    // answer from the address asked: the client sees it as the sender
    await srv.sendmsg({ buffers: ["a"], address: m.address, pktinfo: m.pktinfo });
    const r = await c.recvfrom(64, { timeout: 5000 });
    out.seen[address] = { pktinfo: m.pktinfo, replyFrom: r.address.address, error: await errq(address, 9) };
  }
  out.seen[far] = { error: await errq(far, 9) };
  srv.close();
  c.close();
}
console.log(JSON.stringify(out));
process.exit(0);
`;

function run(cmd: string, args: string[], timeoutMs = 30000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

interface Seen {
  pktinfo?: { family: string; address: string; ifindex: number };
  replyFrom?: string;
  error: { code: string; origin: string; type: number; icmpCode: number; offender: { address: string } | null };
}

test(
  "pktinfo and the error queue in a network namespace with two addresses per family",
  { skip: canUnshare ? false : "needs root, unshare(1) and ip(8)" },
  async () => {
    const program = join(tmp.path, "netns-program.mts");
    writeFileSync(program, PROGRAM);
    const script = [
      ...TWO_ADDRESS_NETNS,
      // one unanswered neighbour probe of 100 ms, then ICMP host unreachable
      "for f in 4 6; do echo 1 > /proc/sys/net/ipv$f/neigh/sk0/mcast_solicit; echo 100 > /proc/sys/net/ipv$f/neigh/sk0/retrans_time_ms; done",
      `exec "${process.execPath}" --import tsx "${program}"`,
    ].join("\n");
    const r = await run("unshare", ["-n", "sh", "-c", script]);
    assert.equal(r.code, 0, r.out);
    const { ifindex, seen } = JSON.parse(r.out.trim().split("\n").pop()!) as {
      ifindex: number;
      seen: Record<string, Seen>;
    };
    for (const a of ["10.77.0.1", "10.77.0.2", "fd77::1", "fd77::2"]) {
      const v6 = a.includes(":");
      const s = seen[a]!;
      assert.equal(s.pktinfo?.address, a, `pktinfo of a datagram to ${a}`);
      assert.equal(s.pktinfo?.family, v6 ? "inet6" : "inet");
      assert.equal(s.pktinfo?.ifindex, ifindex, `the interface that holds ${a}`);
      assert.equal(s.replyFrom, a, `the answer to ${a} came from it`);
      assert.equal(s.error.code, "ECONNREFUSED");
      assert.equal(s.error.origin, v6 ? "icmp6" : "icmp");
      // port unreachable: ICMP 3/3, ICMPv6 1/4
      assert.deepEqual([s.error.type, s.error.icmpCode], v6 ? [1, 4] : [3, 3]);
      assert.equal(s.error.offender?.address, a, `the ICMP error came from ${a}`);
    }
    for (const far of ["10.77.0.99", "fd77::99"]) {
      const v6 = far.includes(":");
      const e = seen[far]!.error;
      assert.equal(e.code, "EHOSTUNREACH");
      assert.equal(e.origin, v6 ? "icmp6" : "icmp");
      // host unreachable: ICMP 3/1, ICMPv6 1/3 (address unreachable), sent by one of our own addresses
      assert.deepEqual([e.type, e.icmpCode], v6 ? [1, 3] : [3, 1]);
      assert.ok(
        (v6 ? ["fd77::1", "fd77::2"] : ["10.77.0.1", "10.77.0.2"]).includes(e.offender?.address ?? ""),
        `offender ${e.offender?.address}`,
      );
    }
  },
);
