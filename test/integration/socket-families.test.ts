/**
 * Socket on the real kernel, every family × type this machine offers: data both
 * ways, addresses reported, and what each family refuses.
 * No mocks; no timing decides a pass (the `within` guard only turns a hang
 * into a failure).
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Socket, SocketError, socketpair } from "../../src/index.js";
import {
  CAP_NET_RAW,
  abstractName,
  hasCap,
  nodeScript,
  tempDir,
  which,
  within,
  recvExactly,
  throwsSys,
  socketTracker,
} from "../helpers.js";

const E = osConstants.errno;

const dir = tempDir();
after(() => dir.cleanup());
const track = socketTracker();

describe("every family × type: exchange data both ways and report addresses", () => {
  for (const [label, family, bindTo, loopback] of [
    ["TCP over IPv4", "inet", "127.0.0.1:0", "127.0.0.1"],
    ["TCP over IPv6", "inet6", "[::1]:0", "::1"],
  ] as const) {
    test(label, async () => {
      const srv = track(new Socket(family, "stream"));
      srv.bind(bindTo);
      srv.listen(8);
      const local = srv.getsockname() as { family: typeof family; address: string; port: number };
      assert.equal(local.family, family);
      assert.equal(local.address, loopback);
      assert.ok(local.port > 0, "an ephemeral port was assigned");
      const c = track(new Socket(family, "stream", "tcp"));
      const [conn] = await within(Promise.all([srv.accept(), c.connect(local)]), "accept + connect");
      track(conn);
      assert.equal(conn.family, family);
      assert.equal(conn.type, "stream");
      assert.deepEqual(c.getpeername(), local);
      assert.deepEqual(conn.getpeername(), c.getsockname());
      assert.deepEqual(conn.getsockname(), local);

      await c.sendAll("ping from client");
      assert.equal((await recvExactly(conn, 16)).toString(), "ping from client");
      await conn.sendAll(Buffer.from("pong from server"));
      assert.equal((await recvExactly(c, 16)).toString(), "pong from server");

      c.shutdown("write");
      assert.equal((await within(conn.recv(), "EOF")).length, 0, "shutdown(write) is EOF for the peer");
      // Half-close: the other direction still works.
      await conn.sendAll("after your FIN");
      assert.equal((await recvExactly(c, 14)).toString(), "after your FIN");
      conn.close();
      assert.equal((await within(c.recv(), "EOF")).length, 0);
      c.close();
      srv.close();
    });
  }

  for (const [label, family, bindTo] of [
    ["UDP over IPv4", "inet", "127.0.0.1:0"],
    ["UDP over IPv6", "inet6", "[::1]:0"],
  ] as const) {
    test(label, async () => {
      const a = track(new Socket(family, "dgram"));
      const b = track(new Socket(family, "dgram", "udp"));
      a.bind(bindTo);
      b.bind(bindTo);
      assert.equal(b.protocol, "udp");
      const sent = await a.sendto("datagram one", b.getsockname());
      assert.equal(sent, 12);
      const m = await within(b.recvfrom(), "recvfrom");
      assert.equal(m.data.toString(), "datagram one");
      assert.equal(m.truncated, false);
      assert.equal(m.size, 12);
      assert.deepEqual(m.address, a.getsockname());
      await b.sendto(Buffer.from("reply"), m.address);
      const r = await within(a.recvfrom(), "recvfrom reply");
      assert.equal(r.data.toString(), "reply");
      assert.deepEqual(r.address, b.getsockname());
      // Connected UDP: send/recv with the default peer.
      await a.connect(b.getsockname());
      assert.deepEqual(a.getpeername(), b.getsockname());
      await a.send("connected");
      assert.equal((await within(b.recv(), "recv")).toString(), "connected");
      // A zero-length datagram is a message of its own.
      await a.send(Buffer.alloc(0));
      await a.send("after empty");
      assert.equal((await within(b.recv(), "recv empty")).length, 0);
      assert.equal((await within(b.recv(), "recv")).toString(), "after empty");
      a.close();
      b.close();
    });
  }

  for (const type of ["stream", "seqpacket"] as const) {
    for (const [label, name] of [
      ["path", () => join(dir.path, `${type}.sock`)],
      ["abstract @name", () => `@${abstractName(type)}`],
      ["abstract \\0name", () => `\0${abstractName(type)}`],
    ] as const) {
      test(`Unix ${type} over ${label}`, async () => {
        const where = name();
        const srv = track(new Socket("unix", type));
        srv.bind(where);
        srv.listen();
        const expected = { family: "unix", path: where.startsWith("@") ? `\0${where.slice(1)}` : where };
        assert.deepEqual(srv.getsockname(), expected);
        const c = track(new Socket("unix", type));
        const [conn] = await within(Promise.all([srv.accept(), c.connect(where)]), "accept + connect");
        track(conn);
        assert.deepEqual(c.getpeername(), expected);
        assert.deepEqual(c.getsockname(), { family: "unix", path: "" }, "an unbound client is unnamed");
        assert.deepEqual(conn.getpeername(), { family: "unix", path: "" });
        assert.equal(conn.type, type);

        await c.send("first");
        await c.send("second");
        if (type === "seqpacket") {
          // Message boundaries are kept even when the receive buffer could take both.
          assert.equal((await within(conn.recv(1024), "recv")).toString(), "first");
          assert.equal((await within(conn.recv(1024), "recv")).toString(), "second");
        } else {
          assert.equal((await recvExactly(conn, 11)).toString(), "firstsecond");
        }
        await conn.send("back");
        assert.equal((await recvExactly(c, 4)).toString(), "back");
        c.shutdown("write");
        assert.equal((await within(conn.recv(), "EOF")).length, 0);
        c.close();
        conn.close();
        srv.close();
      });
    }
  }

  for (const [label, name] of [
    ["path", () => join(dir.path, "dgram")],
    ["abstract @name", () => `@${abstractName("dgram")}`],
    ["abstract \\0name", () => `\0${abstractName("dgram")}`],
  ] as const) {
    test(`Unix dgram over ${label}`, async () => {
      const server = name();
      const client = name() + "-client";
      const a = track(new Socket("unix", "dgram"));
      const b = track(new Socket("unix", "dgram"));
      b.bind(server);
      a.bind(client);
      const norm = (p: string): string => (p.startsWith("@") ? `\0${p.slice(1)}` : p);
      await a.sendto("hello", server);
      const m = await within(b.recvfrom(), "recvfrom");
      assert.equal(m.data.toString(), "hello");
      assert.deepEqual(m.address, { family: "unix", path: norm(client) });
      await b.sendto("hi", m.address);
      assert.equal((await within(a.recv(), "recv")).toString(), "hi");
      // An unbound sender is reported as the unnamed address.
      const anon = track(new Socket("unix", "dgram"));
      await anon.sendto("anon", server);
      assert.deepEqual((await within(b.recvfrom(), "recvfrom")).address, { family: "unix", path: "" });
      // connect() sets the default destination: send() without an address.
      await anon.connect(server);
      assert.deepEqual(anon.getpeername(), { family: "unix", path: norm(server) });
      await anon.send("connected");
      assert.equal((await within(b.recv(), "recv")).toString(), "connected");
      a.close();
      b.close();
      anon.close();
    });
  }

  for (const type of ["stream", "dgram", "seqpacket"] as const) {
    test(`socketpair ${type}`, async () => {
      const [a, b] = track(socketpair("unix", type));
      assert.equal(a.family, "unix");
      assert.equal(a.type, type);
      assert.deepEqual(a.getsockname(), { family: "unix", path: "" });
      assert.deepEqual(a.getpeername(), { family: "unix", path: "" });
      await a.send("one");
      await b.send("two");
      assert.equal((await within(b.recv(), "recv")).toString(), "one");
      assert.equal((await within(a.recv(), "recv")).toString(), "two");
      a.close();
      if (type !== "dgram") assert.equal((await within(b.recv(), "EOF")).length, 0);
      b.close();
    });
  }

  test("a path socket file is left for the caller to unlink, and binding it again is EADDRINUSE", () => {
    const p = join(dir.path, "inuse.sock");
    const s = track(new Socket("unix", "stream"));
    s.bind(p);
    s.close();
    const again = track(new Socket("unix", "stream"));
    const err = throwsSys(() => again.bind(p), "EADDRINUSE", "bind");
    assert.equal(err.path, p);
    assert.match(err.message, /^bind EADDRINUSE /);
    again.close();
  });

  test("Unix paths: 108 bytes work end to end, 109 are ENAMETOOLONG (no silent truncation)", async () => {
    // Build a directory deep enough that the full path is exactly 108 bytes.
    const base = join(dir.path, "long");
    mkdirSync(base, { recursive: true });
    const fill = 108 - base.length - 1;
    assert.ok(fill > 1, "the temp dir leaves room for the file name");
    const p108 = join(base, "x".repeat(fill));
    assert.equal(Buffer.byteLength(p108), 108);
    const srv = track(new Socket("unix", "stream"));
    srv.bind(p108);
    srv.listen();
    assert.deepEqual(srv.getsockname(), { family: "unix", path: p108 });
    const c = track(new Socket("unix", "stream"));
    const [conn] = await within(Promise.all([srv.accept(), c.connect(p108)]), "accept + connect");
    track(conn);
    assert.deepEqual(c.getpeername(), { family: "unix", path: p108 });
    const p109 = `${p108}y`;
    const s2 = track(new Socket("unix", "stream"));
    const err = throwsSys(() => s2.bind(p109), "ENAMETOOLONG", "bind");
    assert.equal(err.errno, -E.ENAMETOOLONG);
    // connect reports it too, as a rejection or a throw, never by connecting to the 108-byte prefix.
    let connectErr: unknown;
    try {
      await s2.connect(p109);
    } catch (e) {
      connectErr = e;
    }
    assert.ok(connectErr instanceof SocketError && connectErr.code === "ENAMETOOLONG", String(connectErr));
    for (const s of [srv, c, conn, s2]) s.close();
  });

  test(
    "raw ICMP: an echo request to 127.0.0.1 gets its echo reply",
    { skip: hasCap(CAP_NET_RAW) ? false : "needs CAP_NET_RAW (run as root)" },
    async () => {
      const s = track(new Socket("inet", "raw", "icmp"));
      assert.equal(s.type, "raw");
      assert.equal(s.protocol, "icmp");
      const id = process.pid & 0xffff;
      const seq = 4242;
      const payload = Buffer.from("sockit raw icmp");
      const pkt = Buffer.alloc(8 + payload.length);
      pkt[0] = 8; // ICMP_ECHO
      pkt.writeUInt16BE(id, 4);
      pkt.writeUInt16BE(seq, 6);
      payload.copy(pkt, 8);
      pkt.writeUInt16BE(internetChecksum(pkt), 2);
      await s.sendto(pkt, { family: "inet", address: "127.0.0.1", port: 0 });
      // A raw ICMP socket sees every ICMP packet on the host: our own request, other
      // programs' traffic; wait for the reply that matches our id and sequence.
      for (;;) {
        const m = await within(s.recvfrom(), "echo reply");
        assert.equal(m.address.family, "inet");
        const ihl = (m.data[0]! & 0x0f) * 4;
        const icmp = m.data.subarray(ihl);
        if (icmp[0] === 0 && icmp.readUInt16BE(4) === id && icmp.readUInt16BE(6) === seq) {
          assert.deepEqual(m.address, { family: "inet", address: "127.0.0.1", port: 0 });
          assert.deepEqual(icmp.subarray(8), payload);
          assert.equal(internetChecksum(icmp), 0, "the reply's checksum verifies");
          break;
        }
      }
      s.close();
    },
  );

  test(
    "raw ICMPv6: an echo request to ::1 gets its echo reply (the kernel fills the checksum)",
    { skip: hasCap(CAP_NET_RAW) ? false : "needs CAP_NET_RAW (run as root)" },
    async () => {
      const s = track(new Socket("inet6", "raw", "icmpv6"));
      assert.equal(s.protocol, "icmpv6");
      const id = (process.pid + 1) & 0xffff;
      const seq = 77;
      const pkt = Buffer.alloc(8 + 6);
      pkt[0] = 128; // ICMP6_ECHO_REQUEST; checksum left 0: IPPROTO_ICMPV6 raw sockets compute it
      pkt.writeUInt16BE(id, 4);
      pkt.writeUInt16BE(seq, 6);
      pkt.write("sockit", 8);
      await s.sendto(pkt, "[::1]:0");
      for (;;) {
        // No IPv6 header on raw IPv6 sockets: the data starts at the ICMPv6 header.
        const m = await within(s.recvfrom(), "echo reply");
        if (m.data[0] === 129 && m.data.readUInt16BE(4) === id && m.data.readUInt16BE(6) === seq) {
          assert.equal((m.address as { address: string }).address, "::1");
          assert.equal(m.data.subarray(8).toString(), "sockit");
          break;
        }
      }
      s.close();
    },
  );

  // A child without CAP_NET_RAW: setpriv (util-linux) or capsh (libcap), whichever exists.
  const dropper = which("setpriv")
    ? ["setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"]
    : which("capsh")
      ? ["capsh", "--drop=cap_net_raw", "--", "-c", 'exec "$0" "$@"']
      : null;
  test(
    "raw sockets without CAP_NET_RAW: SocketError EPERM saying which capability is missing",
    {
      skip: !hasCap(CAP_NET_RAW)
        ? false
        : dropper === null
          ? "running with CAP_NET_RAW and neither setpriv nor capsh is available to drop it in a child"
          : false,
    },
    async () => {
      const script = `
        import { Socket, SocketError } from "{{ENTRY}}";
        for (const args of [["inet", "raw", "icmp"], ["inet6", "raw", "icmpv6"], ["packet", "raw"]]) {
          try {
            new Socket(...args).close();
            console.log(JSON.stringify({ args, created: true }));
          } catch (e) {
            console.log(JSON.stringify({ args, isSocketError: e instanceof SocketError, code: e.code, errno: e.errno, syscall: e.syscall, message: e.message }));
          }
        }`;
      const child = nodeScript(script, hasCap(CAP_NET_RAW) ? dropper! : []);
      for (const kind of ["raw", "raw", "packet"]) {
        const out = JSON.parse(await child.line("a result"));
        assert.deepEqual(
          { isSocketError: out.isSocketError, code: out.code, errno: out.errno, syscall: out.syscall },
          { isSocketError: true, code: "EPERM", errno: -E.EPERM, syscall: "socket" },
          JSON.stringify(out.args),
        );
        assert.match(out.message, /^socket EPERM/);
        assert.match(out.message, /CAP_NET_RAW/);
        assert.match(out.message, new RegExp(`${kind} sockets`));
      }
      const { code } = await child.exited;
      assert.equal(code, 0);
    },
  );
});

/** The Internet checksum (RFC 1071). */
function internetChecksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  if (b.length % 2) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
