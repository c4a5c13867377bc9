/**
 * Interop with CPython's socket module (a peer nobody here wrote) over Unix
 * datagram and seqpacket sockets, in both directions and on path and abstract
 * addresses: message boundaries must survive (an empty message included), and
 * each side must see the other's address as the other bound it.
 *
 * The Python side is a small line-oriented driver: the test writes one JSON
 * command per line, Python runs the socket call (blocking, in its own process)
 * and answers with one JSON line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Socket } from "../../src/index.js";
import { abstractName, pattern, python, tempDir, within, type Child } from "../helpers.js";

const DRIVER = String.raw`
import json, socket, sys, base64

def enc(a):
    if a is None: return None
    if isinstance(a, bytes): return {"b": a.hex()}
    return {"s": a}

def dec(a):
    return bytes.fromhex(a["b"]) if "b" in a else a["s"]

socks = {}
for line in sys.stdin:
    cmd = json.loads(line)
    op = cmd["op"]
    try:
        s = socks.get(cmd.get("id", 0))
        if op == "socket":
            kind = {"dgram": socket.SOCK_DGRAM, "seqpacket": socket.SOCK_SEQPACKET, "stream": socket.SOCK_STREAM}[cmd["type"]]
            socks[cmd["id"]] = socket.socket(socket.AF_UNIX, kind)
            out = {}
        elif op == "bind":
            s.bind(dec(cmd["addr"])); out = {}
        elif op == "listen":
            s.listen(8); out = {}
        elif op == "accept":
            c, a = s.accept(); socks[cmd["as"]] = c; out = {"addr": enc(a)}
        elif op == "connect":
            s.connect(dec(cmd["addr"])); out = {}
        elif op == "send":
            out = {"n": s.send(bytes.fromhex(cmd["hex"]))}
        elif op == "sendto":
            out = {"n": s.sendto(bytes.fromhex(cmd["hex"]), dec(cmd["addr"]))}
        elif op == "recv":
            out = {"hex": s.recv(cmd.get("size", 65536)).hex()}
        elif op == "recvfrom":
            d, a = s.recvfrom(cmd.get("size", 65536)); out = {"hex": d.hex(), "addr": enc(a)}
        elif op == "getsockname":
            out = {"addr": enc(s.getsockname())}
        elif op == "getpeername":
            out = {"addr": enc(s.getpeername())}
        elif op == "close":
            s.close(); out = {}
        else:
            out = {"error": "unknown op " + op}
    except OSError as e:
        out = {"errno": e.errno, "error": str(e)}
    print(json.dumps(out), flush=True)
`;

/** A Python peer: call(op, args) sends a command and resolves with the answer. */
class Py {
  readonly child: Child;
  #queue: Promise<unknown> = Promise.resolve();
  constructor() {
    this.child = python(DRIVER);
  }
  /** Sends a command; the answer comes in order (commands may block in Python). */
  call(op: string, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    this.child.send(JSON.stringify({ op, ...args }));
    const answer = this.#queue.then(() => this.child.line(`python ${op}`));
    this.#queue = answer.catch(() => {});
    return answer.then((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      if (r.error !== undefined) throw new Error(`python ${op}: ${String(r.error)}`);
      return r;
    });
  }
  async end(): Promise<void> {
    this.child.proc.stdin!.end();
    const { code, stderr } = await within(this.child.exited, "python exit");
    assert.equal(code, 0, stderr);
  }
}

/** Python's form of a Unix address: a str path, or bytes for an abstract name. */
function pyAddr(path: string): { s: string } | { b: string } {
  return path.startsWith("\0") ? { b: Buffer.from(path, "utf8").toString("hex") } : { s: path };
}

/** A Python address answer turned into sockit's form. */
function fromPy(a: unknown): string {
  if (a === null) return "";
  const x = a as { s?: string; b?: string };
  return x.s !== undefined ? x.s : Buffer.from(x.b!, "hex").toString("utf8");
}

const hex = (b: Buffer | string): string => Buffer.from(b).toString("hex");

/** Messages of distinct sizes, an empty one among them: boundaries must show. */
const MESSAGES = [Buffer.from("first"), Buffer.alloc(0), pattern(3000, 5), Buffer.from("x"), pattern(60_000, 9)];

const dir = tempDir();
after(() => dir.cleanup());

const places: [string, (tag: string) => string][] = [
  ["a path", (tag) => join(dir.path, `${tag}-${abstractName("p")}`)],
  ["an abstract name", (tag) => `\0${abstractName(tag)}`],
];

describe("CPython ↔ sockit, Unix datagrams", () => {
  for (const [where, name] of places) {
    test(`over ${where}: sockit → Python and Python → sockit, boundaries and sender addresses`, async () => {
      const py = new Py();
      const s = new Socket("unix", "dgram");
      try {
        const pyName = name("py");
        const ourName = name("sockit");
        await py.call("socket", { id: 0, type: "dgram" });
        await py.call("bind", { id: 0, addr: pyAddr(pyName) });
        s.bind(ourName.startsWith("\0") ? `@${ourName.slice(1)}` : ourName);

        for (const m of MESSAGES) await s.sendto(m, { family: "unix", path: pyName });
        for (const m of MESSAGES) {
          const got = await py.call("recvfrom", { id: 0 });
          assert.equal(got.hex, hex(m), `Python received the ${m.length}-byte message whole and alone`);
          assert.equal(fromPy(got.addr), ourName, "Python sees sockit's bound name");
        }

        for (const m of MESSAGES) await py.call("sendto", { id: 0, hex: hex(m), addr: pyAddr(ourName) });
        for (const m of MESSAGES) {
          const got = await within(s.recvfrom(), "recvfrom");
          assert.ok(got.data.equals(m), `sockit received the ${m.length}-byte message whole and alone`);
          assert.equal(got.truncated, false);
          assert.deepEqual(got.address, { family: "unix", path: pyName });
        }

        // An unbound Python sender is the unnamed address to sockit.
        await py.call("socket", { id: 1, type: "dgram" });
        await py.call("sendto", { id: 1, hex: hex("anon"), addr: pyAddr(ourName) });
        const anon = await within(s.recvfrom(), "recvfrom");
        assert.equal(anon.data.toString(), "anon");
        assert.deepEqual(anon.address, { family: "unix", path: "" });
        await py.end();
      } finally {
        s.close();
        py.child.kill();
      }
    });
  }

  test("an abstract name with NUL bytes inside means the same name to both", async () => {
    const py = new Py();
    const s = new Socket("unix", "dgram");
    try {
      const name = `\0${abstractName("nul")}\0inside\0`;
      await py.call("socket", { id: 0, type: "dgram" });
      await py.call("bind", { id: 0, addr: pyAddr(name) });
      assert.equal(fromPy((await py.call("getsockname", { id: 0 })).addr), name);
      await s.sendto("to a name with NULs", { family: "unix", path: name });
      const got = await py.call("recvfrom", { id: 0 });
      assert.equal(Buffer.from(got.hex as string, "hex").toString(), "to a name with NULs");
      // Only the exact name reaches it: the prefix up to the first inner NUL is another address.
      const prefix = name.slice(0, name.indexOf("\0", 1));
      await assert.rejects(s.sendto("nobody", { family: "unix", path: prefix }), {
        code: "ECONNREFUSED",
        syscall: "sendto",
      });
      await py.end();
    } finally {
      s.close();
      py.child.kill();
    }
  });
});

describe("CPython ↔ sockit, Unix seqpacket", () => {
  for (const [where, name] of places) {
    test(`over ${where}: Python listens, sockit connects; messages both ways keep their boundaries`, async () => {
      const py = new Py();
      const s = new Socket("unix", "seqpacket");
      try {
        const pyName = name("pysrv");
        await py.call("socket", { id: 0, type: "seqpacket" });
        await py.call("bind", { id: 0, addr: pyAddr(pyName) });
        await py.call("listen", { id: 0 });
        const accepted = py.call("accept", { id: 0, as: 1 });
        await within(s.connect({ family: "unix", path: pyName }), "connect");
        await accepted;
        assert.deepEqual(s.getpeername(), { family: "unix", path: pyName });
        assert.equal(fromPy((await py.call("getsockname", { id: 1 })).addr), pyName);

        for (const m of MESSAGES) await s.send(m);
        for (const m of MESSAGES)
          assert.equal((await py.call("recv", { id: 1 })).hex, hex(m), `${m.length}-byte message`);
        for (const m of MESSAGES) await py.call("send", { id: 1, hex: hex(m) });
        for (const m of MESSAGES) assert.ok((await within(s.recv(), "recv")).equals(m), `${m.length}-byte message`);
        // Python closes: sockit reads EOF (an empty read with no message behind it).
        await py.call("close", { id: 1 });
        assert.equal((await within(s.recv(), "EOF")).length, 0);
        await py.end();
      } finally {
        s.close();
        py.child.kill();
      }
    });

    test(`over ${where}: sockit listens, Python connects; messages both ways keep their boundaries`, async () => {
      const py = new Py();
      const srv = new Socket("unix", "seqpacket");
      let conn: Socket | undefined;
      try {
        const ourName = name("sksrv");
        srv.bind({ family: "unix", path: ourName });
        srv.listen();
        const acc = srv.accept();
        await py.call("socket", { id: 0, type: "seqpacket" });
        await py.call("connect", { id: 0, addr: pyAddr(ourName) });
        conn = await within(acc, "accept");
        assert.equal(
          fromPy((await py.call("getpeername", { id: 0 })).addr),
          ourName,
          "Python sees sockit's listening name",
        );

        for (const m of MESSAGES) await py.call("send", { id: 0, hex: hex(m) });
        for (const m of MESSAGES) assert.ok((await within(conn.recv(), "recv")).equals(m), `${m.length}-byte message`);
        for (const m of MESSAGES) await conn.send(m);
        for (const m of MESSAGES)
          assert.equal((await py.call("recv", { id: 0 })).hex, hex(m), `${m.length}-byte message`);
        conn.shutdown("write");
        assert.equal((await py.call("recv", { id: 0 })).hex, "", "Python reads EOF after sockit's shutdown");
        await py.end();
      } finally {
        conn?.close();
        srv.close();
        py.child.kill();
      }
    });
  }

  test("a seqpacket message longer than recv's size is reported, not silently cut", async () => {
    const py = new Py();
    const srv = new Socket("unix", "seqpacket");
    let conn: Socket | undefined;
    try {
      const ourName = `\0${abstractName("trunc")}`;
      srv.bind({ family: "unix", path: ourName });
      srv.listen();
      const acc = srv.accept();
      await py.call("socket", { id: 0, type: "seqpacket" });
      await py.call("connect", { id: 0, addr: pyAddr(ourName) });
      conn = await within(acc, "accept");
      await py.call("send", { id: 0, hex: hex(pattern(5000, 1)) });
      const m = await within(conn.recvfrom(1000), "recvfrom");
      assert.equal(m.truncated, true);
      assert.equal(m.size, 5000);
      assert.ok(m.data.equals(pattern(5000, 1).subarray(0, 1000)));
      await py.end();
    } finally {
      conn?.close();
      srv.close();
      py.child.kill();
    }
  });
});
