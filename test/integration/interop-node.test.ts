/**
 * Interop with a peer nobody here wrote: Node's own net (TCP, Unix stream,
 * abstract) and dgram (UDP) on the other end, in both directions. Each side
 * checks what it received and who it came from.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { once } from "node:events";
import net from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Socket } from "../../src/index.js";
import { abstractName, pattern, readAll, tempDir, within } from "../helpers.js";

const dir = tempDir();
after(() => dir.cleanup());

/** Reads a sockit stream socket until EOF. */
async function recvToEnd(s: Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const b = await within(s.recv(), "recv until EOF");
    if (b.length === 0) return Buffer.concat(parts);
    parts.push(b);
  }
}

const PAYLOAD = pattern(256 * 1024, 11);

/**
 * How this Node names an abstract socket in the kernel. Node 20's libuv binds
 * and connects "\0name" with the whole of sun_path (the name NUL-padded to 107
 * bytes); Node 24 uses the exact length, as CPython and sockit do. Rather than
 * guess by version, ask the kernel: /proc/net/unix lists every bound name (NULs
 * shown as "@"). Returns the name sockit must use to meet Node's "\0name".
 */
async function nodeAbstract(): Promise<(name: string) => string> {
  const probe = abstractName("probe");
  const server = net.createServer().listen({ path: `\0${probe}` });
  await once(server, "listening");
  try {
    const line = readFileSync("/proc/net/unix", "utf8")
      .split("\n")
      .find((l) => l.includes(probe));
    assert.ok(line, "Node's abstract listener shows in /proc/net/unix");
    const shown = line.slice(line.indexOf(`@${probe}`)).trimEnd();
    if (shown === `@${probe}`) return (name) => name;
    assert.equal(shown, `@${probe}`.padEnd(108, "@"), "Node pads abstract names to all of sun_path");
    return (name) => name.padEnd(108, "\0");
  } finally {
    server.close();
  }
}
const asNode = await nodeAbstract();

interface StreamCase {
  label: string;
  family: "inet" | "inet6" | "unix";
  /** A fresh address for a sockit listener (string form). */
  sockitBind: () => string;
  /** Node's connect options for the sockit listener's address. */
  nodeConnect: (s: Socket) => net.NetConnectOpts;
  /** Node's listen options. */
  nodeListen: () => net.ListenOptions;
  /** sockit's address for Node's listener. */
  sockitConnect: (server: net.Server, listen: net.ListenOptions) => string;
}

const cases: StreamCase[] = [
  {
    label: "TCP over IPv4",
    family: "inet",
    sockitBind: () => "127.0.0.1:0",
    nodeConnect: (s) => ({ host: "127.0.0.1", port: (s.getsockname() as { port: number }).port }),
    nodeListen: () => ({ host: "127.0.0.1", port: 0 }),
    sockitConnect: (server) => `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
  },
  {
    label: "TCP over IPv6",
    family: "inet6",
    sockitBind: () => "[::1]:0",
    nodeConnect: (s) => ({ host: "::1", port: (s.getsockname() as { port: number }).port, family: 6 }),
    nodeListen: () => ({ host: "::1", port: 0 }),
    sockitConnect: (server) => `[::1]:${(server.address() as net.AddressInfo).port}`,
  },
  {
    label: "Unix stream over a path",
    family: "unix",
    sockitBind: () => join(dir.path, `sockit-${abstractName("p")}.sock`),
    nodeConnect: (s) => ({ path: (s.getsockname() as { path: string }).path }),
    nodeListen: () => ({ path: join(dir.path, `node-${abstractName("p")}.sock`) }),
    sockitConnect: (_server, listen) => listen.path!,
  },
  {
    label: "Unix stream over an abstract name",
    family: "unix",
    // Node takes abstract names as a path starting with "\0" on Linux; sockit
    // binds the name as Node will look it up (see nodeAbstract).
    sockitBind: () => asNode(`\0${abstractName("a")}`),
    nodeConnect: (s) => ({ path: (s.getsockname() as { path: string }).path.replace(/\0+$/, "") }),
    nodeListen: () => ({ path: `\0${abstractName("n")}` }),
    sockitConnect: (_server, listen) => asNode(listen.path!),
  },
];

describe("Node net ↔ sockit, stream sockets", () => {
  for (const c of cases) {
    test(`${c.label}: Node client → sockit server`, async () => {
      const srv = new Socket(c.family, "stream");
      try {
        srv.bind(c.sockitBind());
        srv.listen();
        const client = net.connect(c.nodeConnect(srv));
        // Listen for 'connect' before awaiting accept: the client's handshake can
        // end, and the event fire, before accept's promise settles.
        const connected = within(once(client, "connect"), "Node's connect");
        const conn = await within(srv.accept(), "accept");
        try {
          await connected;
          if (c.family !== "unix") {
            // Each side sees the other's address as the other reports its own.
            assert.deepEqual(
              {
                address: (conn.getpeername() as { address: string }).address,
                port: (conn.getpeername() as { port: number }).port,
              },
              { address: client.localAddress, port: client.localPort },
            );
          }
          const fromNode = recvToEnd(conn);
          client.end(PAYLOAD);
          assert.ok((await fromNode).equals(PAYLOAD), "sockit received Node's bytes intact, then EOF");
          const back = readAll(client);
          await conn.sendAll(PAYLOAD.subarray(0, 1000));
          conn.shutdown("write");
          assert.ok(
            (await within(back, "Node reads to end")).equals(PAYLOAD.subarray(0, 1000)),
            "Node received sockit's bytes, then 'end'",
          );
        } finally {
          conn.close();
          client.destroy();
        }
      } finally {
        srv.close();
      }
    });

    test(`${c.label}: sockit client → Node server`, async () => {
      const received: Buffer[] = [];
      const server = net.createServer({ allowHalfOpen: true }, (sock) => {
        sock.on("data", (d: Buffer) => received.push(d));
        sock.on("end", () => {
          // Echo what came, reversed, then close our side.
          sock.end(Buffer.from(Buffer.concat(received)).reverse());
        });
      });
      const listen = c.nodeListen();
      server.listen(listen);
      await once(server, "listening");
      const s = new Socket(c.family, "stream");
      try {
        await within(s.connect(c.sockitConnect(server, listen)), "connect");
        if (c.family === "unix") assert.equal(s.getpeername().family, "unix");
        else assert.equal((s.getpeername() as { port: number }).port, (server.address() as net.AddressInfo).port);
        await s.sendAll(PAYLOAD);
        s.shutdown("write");
        const reply = await recvToEnd(s);
        assert.ok(reply.equals(Buffer.from(PAYLOAD).reverse()), "Node's reply arrived intact, then EOF");
      } finally {
        s.close();
        server.close();
      }
    });
  }
});

describe("Node dgram ↔ sockit, UDP", () => {
  for (const [label, family, type, host] of [
    ["IPv4", "inet", "udp4", "127.0.0.1"],
    ["IPv6", "inet6", "udp6", "::1"],
  ] as const) {
    test(`${label}: Node → sockit and back, message boundaries and sender addresses`, async () => {
      const node = dgram.createSocket(type);
      node.bind(0, host);
      await once(node, "listening");
      const nodePort = node.address().port;
      const s = new Socket(family, "dgram");
      try {
        s.bind(family === "inet" ? `${host}:0` : `[${host}]:0`);
        const sockitPort = (s.getsockname() as { port: number }).port;

        const messages = [Buffer.from("one"), Buffer.alloc(0), pattern(1200, 3), Buffer.from("last")];
        for (const m of messages) node.send(m, sockitPort, host);
        for (const m of messages) {
          const got = await within(s.recvfrom(), "recvfrom");
          assert.ok(got.data.equals(m), `datagram of ${m.length} bytes arrives whole and alone`);
          assert.equal(got.truncated, false);
          assert.deepEqual(
            {
              family: got.address.family,
              address: (got.address as { address: string }).address,
              port: (got.address as { port: number }).port,
            },
            { family, address: host, port: nodePort },
          );
        }

        const inbox = once(node, "message") as Promise<[Buffer, dgram.RemoteInfo]>;
        await s.sendto("from sockit", family === "inet" ? `${host}:${nodePort}` : `[${host}]:${nodePort}`);
        const [msg, rinfo] = await within(inbox, "Node's message event");
        assert.equal(msg.toString(), "from sockit");
        assert.equal(rinfo.address, host);
        assert.equal(rinfo.port, sockitPort);
        assert.equal(rinfo.family, family === "inet" ? "IPv4" : "IPv6");

        // Connected on both ends.
        node.connect(sockitPort, host);
        await once(node, "connect");
        await s.connect({ family, address: host, port: nodePort } as never);
        const inbox2 = once(node, "message") as Promise<[Buffer, dgram.RemoteInfo]>;
        await s.send("connected send");
        assert.equal((await within(inbox2, "message"))[0].toString(), "connected send");
        node.send("connected reply");
        assert.equal((await within(s.recv(), "recv")).toString(), "connected reply");
      } finally {
        s.close();
        node.close();
      }
    });
  }

  test("a sockit IPv6 socket reaches a Node IPv4 socket through a v4-mapped address", async () => {
    const node = dgram.createSocket({ type: "udp6", ipv6Only: false });
    node.bind(0, "::");
    await once(node, "listening");
    const port = node.address().port;
    const s = new Socket("inet", "dgram");
    const s6 = new Socket("inet6", "dgram");
    try {
      const inbox = once(node, "message") as Promise<[Buffer, dgram.RemoteInfo]>;
      await s.sendto("v4 to dual-stack", `127.0.0.1:${port}`);
      const [, rinfo] = await within(inbox, "message");
      assert.equal(rinfo.address, "::ffff:127.0.0.1");
      // An IPv4 address object given to an IPv6 socket is sent v4-mapped.
      s6.bind("[::]:0");
      const inbox2 = once(node, "message") as Promise<[Buffer, dgram.RemoteInfo]>;
      await s6.sendto("mapped", { family: "inet", address: "127.0.0.1", port });
      assert.equal((await within(inbox2, "message"))[0].toString(), "mapped");
    } finally {
      s.close();
      s6.close();
      node.close();
    }
  });
});
