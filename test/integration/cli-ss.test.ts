/**
 * `sockit ss` against iproute2's `ss`: the sockets this test opens (TCP, UDP,
 * Unix, netlink) appear in both with the same inodes, states and ports; the
 * filters, -p and --netns work. The CLI runs from source (`node --import tsx
 * cli/main.ts`) with a timeout on every run.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { describe, test } from "node:test";
import { NetlinkConnection, Socket, createSocket } from "../../src/index.js";
import { type CliResult, runCli, which } from "../helpers.js";

/** The CLI from source (test/helpers.ts runCli). */
function sockit(args: string[], timeout = 20_000): Promise<CliResult> {
  return runCli(args, { timeout });
}

const skip = !which("ss") ? "needs iproute2's ss" : false;

const inode = (s: Socket): number => Number(/socket:\[(\d+)\]/.exec(readlinkSync(`/proc/self/fd/${s.fd}`))![1]);

/** Inodes in `ss -a -e -n` output for one kind ("ino:N" for inet, the 6th column for Unix). */
function ssInodes(args: string[]): Set<number> {
  // TIME-WAIT sockets have no inode (0) and are left out at the source: a busy host has
  // tens of thousands (1.5 MB of output for 20,000, past execFileSync's 1 MiB default).
  const out = execFileSync("ss", ["-a", "-e", "-n", "-H", ...args, "exclude", "time-wait"], {
    encoding: "utf8",
    maxBuffer: 256 << 20,
  });
  const set = new Set<number>();
  for (const line of out.split("\n")) {
    const cols = line.trim().split(/\s+/);
    // Unix: Netid State Recv-Q Send-Q Local Inode Peer PeerInode — with -e, a socket bound
    // to a path also shows "ino:N dev:…", the inode of its *file*, not of the socket.
    if (cols[0]?.startsWith("u_")) {
      if (cols.length >= 6) set.add(Number(cols[5]));
      continue;
    }
    const m = /ino:(\d+)/.exec(line);
    if (m) set.add(Number(m[1]));
  }
  return set;
}

describe("sockit ss", { skip }, () => {
  test("finds the same sockets as ss -a (inodes of the sockets this test opened)", async () => {
    const tcp = new Socket("inet", "stream");
    tcp.bind("127.0.0.1:0");
    tcp.listen(3);
    const tcp6 = new Socket("inet6", "stream");
    tcp6.bind("[::1]:0");
    tcp6.listen();
    const client = new Socket("inet", "stream");
    await client.connect(tcp.getsockname());
    const served = await tcp.accept();
    const udp = new Socket("inet", "dgram");
    udp.bind("127.0.0.1:0");
    const ux = new Socket("unix", "dgram");
    ux.bind(`@sockit-ss-${process.pid}`);
    const nl = NetlinkConnection.open("route");
    const mine = [tcp, tcp6, client, served, udp, ux, nl.socket!];
    try {
      // ss before and after sockit's run: a socket in both existed all through
      // it (socket inodes are not reused), so sockit's dump must have seen it.
      const earlier = ssInodes(["-t", "-u", "-x"]);
      const r = await sockit(["--json", "ss", "-a"]);
      assert.equal(r.code, 0, r.stderr);
      const rows = JSON.parse(r.stdout) as {
        netid: string;
        state: string;
        inode: number;
        localPort?: number;
        path?: string;
        recvQ: number;
        sendQ: number;
      }[];
      const byInode = new Map(rows.map((x) => [x.inode, x]));
      const theirs = new Set([...ssInodes(["-t", "-u", "-x"])]);
      for (const s of [tcp, tcp6, client, served, udp, ux]) {
        assert.ok(byInode.has(inode(s)), `sockit ss lists inode ${inode(s)} (${String(s.family)} ${String(s.type)})`);
        assert.ok(theirs.has(inode(s)), `ss lists inode ${inode(s)}`);
      }
      assert.ok(byInode.has(inode(nl.socket!)), "the netlink socket too");
      assert.equal(byInode.get(inode(tcp))!.state, "LISTEN");
      assert.equal(byInode.get(inode(tcp))!.sendQ, 3);
      assert.equal(byInode.get(inode(client))!.state, "ESTAB");
      assert.equal(byInode.get(inode(udp))!.netid, "udp");
      assert.equal(byInode.get(inode(ux))!.netid, "u_dgr");
      assert.equal(byInode.get(inode(ux))!.path, `@sockit-ss-${process.pid}`);
      // And every TCP/UDP/Unix inode ss shows, sockit shows. Only sockets open
      // all through sockit's run count: other processes open and close
      // sockets in between, and those sockit may rightly not have seen. (The
      // small slack is the kernel's: a sock_diag dump resumes each chunk by
      // position in a hash chain, so a neighbour closing between two chunks
      // can make any dumper, ss included, skip a socket.)
      const stable = [...earlier].filter((i) => theirs.has(i) && i !== 0);
      const missing = stable.filter((i) => !byInode.has(i));
      assert.ok(stable.length > 0, "ss showed sockets before and after the run");
      assert.ok(
        missing.length <= 2,
        `inodes ss shows before and after sockit's run and sockit does not: ${missing.join(", ")}`,
      );

      // Filters: -t -l shows our listeners and not the connection; --port matches either end.
      const port = (tcp.getsockname() as { port: number }).port;
      const listening = JSON.parse((await sockit(["--json", "ss", "-t", "-l"])).stdout) as { inode: number }[];
      assert.ok(listening.some((x) => x.inode === inode(tcp)));
      assert.ok(!listening.some((x) => x.inode === inode(client)));
      const onPort = JSON.parse((await sockit(["--json", "ss", "-a", "-t", "--port", String(port)])).stdout) as {
        inode: number;
      }[];
      // Inode 0 rows are TIME-WAIT connections nobody owns: on a busy host an
      // earlier connection that used this port number may still linger there.
      assert.deepEqual(
        new Set(onPort.map((x) => x.inode).filter((i) => i !== 0)),
        new Set([inode(tcp), inode(client), inode(served)]),
      );
      const est = JSON.parse((await sockit(["--json", "ss", "-t", "--state", "estab", "-4"])).stdout) as {
        state: string;
      }[];
      assert.ok(est.length >= 2 && est.every((x) => x.state === "ESTAB"));

      // -f: families as ss names them.
      const v6 = JSON.parse((await sockit(["--json", "ss", "-a", "-f", "inet6"])).stdout) as {
        inode: number;
        family: string;
      }[];
      assert.ok(v6.some((x) => x.inode === inode(tcp6)));
      assert.ok(v6.every((x) => x.family === "inet6"));
      const ux6 = JSON.parse((await sockit(["--json", "ss", "-a", "-f", "unix"])).stdout) as { netid: string }[];
      assert.ok(ux6.length > 0 && ux6.every((x) => x.netid.startsWith("u_")));

      // -p: this process holds the listener.
      const withP = JSON.parse((await sockit(["--json", "ss", "-t", "-l", "-p"])).stdout) as {
        inode: number;
        processes?: { pid: number; command: string; fd: number }[];
      }[];
      const me = withP.find((x) => x.inode === inode(tcp))!;
      assert.deepEqual(
        me.processes!.map((p) => [p.pid, p.fd]),
        [[process.pid, tcp.fd]],
      );
      assert.equal(typeof me.processes![0]!.command, "string");

      // The plain table: a header and our listener's line.
      const plain = await sockit(["ss", "-t", "-l"]);
      assert.match(plain.stdout, /^Netid\s+State\s+Recv-Q\s+Send-Q\s+Local\s+Peer\s+Inode\s+UID/);
      assert.match(plain.stdout, new RegExp(`LISTEN\\s+0\\s+3\\s+127\\.0\\.0\\.1:${port}\\s`));
    } finally {
      for (const s of mine) s.close();
    }
  });

  test(
    "--netns lists the sockets of that namespace only",
    { skip: process.getuid?.() === 0 ? false : "needs root (ip netns)" },
    async () => {
      const ns = `sockit-ss-${process.pid}`;
      execFileSync("ip", ["netns", "add", ns]);
      try {
        execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
        const srv = createSocket("inet", "stream", "tcp", { netns: ns });
        try {
          srv.bind("127.0.0.1:0");
          srv.listen();
          const inside = JSON.parse((await sockit(["--json", "ss", "-t", "-l", "--netns", ns])).stdout) as {
            inode: number;
          }[];
          assert.deepEqual(
            inside.map((x) => x.inode),
            [inode(srv)],
          );
          const outside = JSON.parse((await sockit(["--json", "ss", "-t", "-l"])).stdout) as { inode: number }[];
          assert.ok(!outside.some((x) => x.inode === inode(srv)));
        } finally {
          srv.close();
        }
      } finally {
        execFileSync("ip", ["netns", "del", ns]);
      }
    },
  );

  test("usage errors exit 2 with one line", async () => {
    const r = await sockit(["ss", "--state", "BOGUS"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^sockit: unknown state 'BOGUS'/);
    const n = await sockit(["ss", "--netns", "sockit-no-such-ns"]);
    assert.equal(n.code, 1);
    assert.match(n.stderr, /^sockit: open ENOENT/);
  });
});

describe("sockit ss --state next to iproute2's ss state", { skip }, () => {
  const netnsSkip = process.getuid?.() === 0 && which("python3") ? undefined : "needs root (netns) and python3";
  // Sockets in as many TCP states as a test can hold still: LISTEN (v4, v6),
  // ESTAB pairs, FIN-WAIT-2 / CLOSE-WAIT (a half-close), TIME-WAIT (the side
  // that closed first), SYN-SENT (a SYN to a neighbour that drops it).
  const HOLDER = String.raw`
import socket, sys, time
L = socket.socket(); L.bind(("127.0.0.1", 7100)); L.listen(8)
L6 = socket.socket(socket.AF_INET6); L6.bind(("::1", 7101)); L6.listen(8)
def pair():
    c = socket.create_connection(("127.0.0.1", 7100)); s, _ = L.accept(); return c, s
c1, s1 = pair()
c2, s2 = pair(); c2.shutdown(socket.SHUT_WR)
c3, s3 = pair(); c3.close(); time.sleep(0.1); s3.close()
c5 = socket.socket(); c5.setblocking(False); c5.connect_ex(("10.204.0.2", 80))
time.sleep(0.2)
print("ready", flush=True)
sys.stdin.read()
`;
  const WORDS = [
    "all",
    "connected",
    "synchronized",
    "bucket",
    "big",
    "established",
    "syn-sent",
    "syn-recv",
    "fin-wait-1",
    "fin-wait-2",
    "time-wait",
    "closed",
    "close-wait",
    "last-ack",
    "listening",
    "closing",
  ];

  /** "LOCAL PEER" of each socket, with a listener's peer ("0.0.0.0:*", "[::]:*", "*") as "*". */
  const peer = (p: string): string => (/(^|:)\*$/.test(p) ? "*" : p);

  test(
    "every iproute2 state word and group selects the same TCP sockets in a namespace",
    { skip: netnsSkip },
    async () => {
      const ns = `sk${process.pid % 100000}-ssstate`;
      spawnSync("ip", ["netns", "del", ns]);
      for (const cmd of [
        ["netns", "add", ns],
        ["-n", ns, "link", "set", "lo", "up"],
        ["-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1"],
        ["-n", ns, "addr", "add", "10.204.0.1/24", "dev", "v0"],
        ["-n", ns, "link", "set", "v0", "up"],
        ["-n", ns, "link", "set", "v1", "up"],
        ["-n", ns, "neigh", "add", "10.204.0.2", "lladdr", "02:00:00:00:00:02", "dev", "v0", "nud", "permanent"],
      ]) {
        execFileSync("ip", cmd, { stdio: ["ignore", "ignore", "pipe"] });
      }
      const holder = spawn("ip", ["netns", "exec", ns, "python3", "-u", "-c", HOLDER], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      try {
        await new Promise<void>((resolve, reject) => {
          holder.stdout.setEncoding("utf8").on("data", (d: string) => d.includes("ready") && resolve());
          holder.on("exit", (code) => reject(new Error(`python exited ${code}`)));
        });
        const seen = new Set<string>();
        for (const word of WORDS) {
          const out = execFileSync("ip", ["netns", "exec", ns, "ss", "-tanH", "state", word], { encoding: "utf8" });
          const theirs = out
            .split("\n")
            .filter(Boolean)
            .map((l) => {
              const f = l.trim().split(/\s+/);
              return `${f[f.length - 2]} ${peer(f[f.length - 1]!)}`;
            })
            .sort();
          const r = await sockit(["--json", "ss", "-t", "--netns", ns, "--state", word]);
          assert.equal(r.code, 0, `${word}: ${r.stderr}`);
          const ours = (JSON.parse(r.stdout) as { local: string; peer: string; state: string }[])
            .map((s) => `${s.local} ${peer(s.peer)}`)
            .sort();
          assert.deepEqual(ours, theirs, `state ${word}`);
          for (const s of JSON.parse(r.stdout) as { state: string }[]) seen.add(s.state);
        }
        // The namespace held what the comparison needs to mean something.
        for (const s of ["LISTEN", "ESTAB", "FIN-WAIT-2", "CLOSE-WAIT", "TIME-WAIT", "SYN-SENT"])
          assert.ok(seen.has(s), s);
      } finally {
        holder.kill();
        spawnSync("ip", ["netns", "del", ns]);
      }
    },
  );
});
