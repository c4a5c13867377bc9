/**
 * sockit relay / connect / listen / send / recv, run for real
 * (`node --import tsx cli/main.ts ...`), between Python socket peers and Node
 * `net`/`dgram` peers on every address type: half-close, message boundaries
 * between message ends, dgram ↔ stream, exec:, ,fork, WebSocket, Ctrl-C
 * cleanup, --json, and usage errors.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { WebSocket, WebSocketServer } from "ws";
import { socketpair } from "../../src/index.js";
import { ROOT, limitFds, readAll } from "../helpers.js";

const LIMIT_MS = 20_000;

/** A running process with its output collected. */
class Proc {
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #timer: NodeJS.Timeout;

  constructor(
    readonly child: ChildProcess,
    readonly what: string,
  ) {
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (this.stdout += d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    this.#timer = setTimeout(() => child.kill("SIGKILL"), LIMIT_MS);
    this.exited = new Promise((resolve) =>
      child.on("close", (code, signal) => {
        clearTimeout(this.#timer);
        resolve({ code, signal });
      }),
    );
  }

  /** Waits until stderr (or stdout) matches `re`. */
  async waitFor(re: RegExp, stream: "stderr" | "stdout" = "stderr"): Promise<RegExpMatchArray> {
    const deadline = Date.now() + LIMIT_MS;
    for (;;) {
      const m = re.exec(this[stream]);
      if (m) return m;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`${this.what}: no ${re} in ${stream}; stderr:\n${this.stderr}\nstdout:\n${this.stdout}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async result(): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    const r = await this.exited;
    return { ...r, stdout: this.stdout, stderr: this.stderr };
  }
}

function sockit(args: string[], stdin: "ignore" | "pipe" = "ignore"): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: [stdin, "pipe", "pipe"],
  });
  return new Proc(child, `sockit ${args.join(" ")}`);
}

/** The port a `-v` relay bound: `bind fd 5 127.0.0.1:0 → 127.0.0.1:41234`. */
async function boundPort(p: Proc): Promise<number> {
  const m = await p.waitFor(/bind fd (\d+) \S+:0 → \S+:(\d+)/);
  // A stream socket is ready once listen(2) ran (connecting before that is
  // refused); a datagram socket once it is bound.
  await p.waitFor(new RegExp(`listen fd ${m[1]} |socket \\S+ dgram → fd ${m[1]}\\b`));
  return Number(m[2]);
}

const PEER = String.raw`
import socket, sys, json
mode, fam, typ, addr = sys.argv[1:5]
msgs = sys.argv[5:]
F = {"inet": socket.AF_INET, "inet6": socket.AF_INET6, "unix": socket.AF_UNIX}[fam]
T = {"stream": socket.SOCK_STREAM, "dgram": socket.SOCK_DGRAM, "seqpacket": socket.SOCK_SEQPACKET}[typ]
def A(a):
    if fam == "unix":
        return "\0" + a[1:] if a.startswith("@") else a
    h, p = a.rsplit(":", 1)
    return (h.strip("[]"), int(p))
s = socket.socket(F, T)
if mode == "server":
    s.bind(A(addr))
    print(json.dumps({"port": s.getsockname()[1] if fam != "unix" else 0}), flush=True)
    if T == socket.SOCK_DGRAM:
        while True:
            data, peer = s.recvfrom(65536)
            s.sendto(b"<" + data + b">", peer)
    s.listen()
    c, _ = s.accept()
    if T == socket.SOCK_STREAM:
        data = b""
        while True:
            b = c.recv(65536)
            if not b:
                break
            data += b
        c.sendall(data.upper())  # the reply comes after our EOF: half-close
    else:
        while True:
            m = c.recv(65536)
            if not m:
                break
            c.send(b"<" + m + b">")
    c.close()
else:
    if fam == "unix" and T == socket.SOCK_DGRAM:
        s.bind("")  # autobind, so the relay can answer
    s.settimeout(10)
    s.connect(A(addr))
    out = {"replies": []}
    if T == socket.SOCK_STREAM:
        for m in msgs:
            s.sendall(m.encode())
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        out["replies"].append(data.decode())
    else:
        for m in msgs:
            s.send(m.encode())
            out["replies"].append(s.recv(65536).decode())
        if T == socket.SOCK_SEQPACKET:
            s.shutdown(socket.SHUT_WR)
            out["eof"] = s.recv(100) == b""
    print(json.dumps(out), flush=True)
`;

function pythonPeer(mode: "server" | "client", family: string, type: string, addr: string, ...msgs: string[]): Proc {
  const child = spawn("python3", ["-u", "-c", PEER, mode, family, type, addr, ...msgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Proc(child, `python ${mode} ${family} ${type} ${addr}`);
}

async function pythonServer(family: string, type: string, addr: string): Promise<{ proc: Proc; port: number }> {
  const proc = pythonPeer("server", family, type, addr);
  const m = await proc.waitFor(/\{"port": (\d+)\}/, "stdout");
  return { proc, port: Number(m[1]) };
}

async function pythonClient(
  family: string,
  type: string,
  addr: string,
  ...msgs: string[]
): Promise<{ replies: string[]; eof?: boolean }> {
  const p = pythonPeer("client", family, type, addr, ...msgs);
  const r = await p.result();
  assert.equal(r.code, 0, `python client failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { replies: string[]; eof?: boolean };
}

let dir: string;
let seq = 0;
const path = (name: string): string => join(dir, `${name}-${++seq}.sock`);
const abstract = (name: string): string => `sockit-test-${process.pid}-${name}-${++seq}`;

const hasIPv6 = ((): boolean => {
  try {
    return readFileSync("/proc/net/if_inet6", "utf8").includes("00000000000000000000000000000001");
  } catch {
    return false;
  }
})();

before(() => {
  dir = mkdtempSync(join(tmpdir(), "sockit-relay-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("sockit relay between Python peers", { timeout: 120_000 }, () => {
  it("tcp-listen → tcp: bytes both ways, the reply after a half-close", async () => {
    const server = await pythonServer("inet", "stream", "127.0.0.1:0");
    const relay = sockit(["-v", "relay", "tcp-listen:127.0.0.1:0", `tcp:127.0.0.1:${server.port}`]);
    const port = await boundPort(relay);
    const got = await pythonClient("inet", "stream", `127.0.0.1:${port}`, "hello ", "world");
    assert.deepEqual(got.replies, ["HELLO WORLD"]);
    const r = await relay.result();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /shutdown fd \d+ write/);
  });

  it("tcp6-listen → tcp6 over [::1]", { skip: hasIPv6 ? false : "no IPv6 loopback here" }, async () => {
    const server = await pythonServer("inet6", "stream", "[::1]:0");
    const relay = sockit(["-v", "relay", "tcp6-listen:[::1]:0", `tcp6:[::1]:${server.port}`]);
    const port = await boundPort(relay);
    const got = await pythonClient("inet6", "stream", `[::1]:${port}`, "six");
    assert.deepEqual(got.replies, ["SIX"]);
    assert.equal((await relay.result()).code, 0);
  });

  it("unix-listen → unix, and the socket file it created is removed", async () => {
    const a = path("a");
    const b = path("b");
    await pythonServer("unix", "stream", b);
    const relay = sockit(["-v", "relay", `unix-listen:${a},mode=0600`, `unix:${b}`]);
    await relay.waitFor(/listen fd/);
    const got = await pythonClient("unix", "stream", a, "over ", "unix");
    assert.deepEqual(got.replies, ["OVER UNIX"]);
    const r = await relay.result();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(a), false, "the relay removes its socket file");
  });

  it("unix-listen,unlink replaces a stale socket file; without it bind fails with EADDRINUSE naming the path", async () => {
    const a = path("stale");
    const b = path("stale-b");
    // A socket file whose process is gone: Python binds and exits without unlinking.
    const made = spawnSync("python3", ["-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", a]);
    assert.equal(made.status, 0, String(made.stderr));
    assert.equal(existsSync(a), true);
    const refused = await sockit(["relay", `unix-listen:${a}`, "stdio"]).result();
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`^sockit: bind EADDRINUSE ${a.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\n$`));
    await pythonServer("unix", "stream", b);
    const relay = sockit(["-v", "relay", `unix-listen:${a},unlink`, `unix:${b}`]);
    await relay.waitFor(/listen fd/);
    assert.match(relay.stderr, /unlink .* \(stale socket file\)/);
    assert.deepEqual((await pythonClient("unix", "stream", a, "fresh")).replies, ["FRESH"]);
    assert.equal((await relay.result()).code, 0);
  });

  it("unix-listen,unlink never removes a live socket: a clear error, the service keeps its path and its clients", async () => {
    const a = path("live");
    // A live service: Python listens on the path and answers every client with "svc".
    const svc = spawn(
      "python3",
      [
        "-u",
        "-c",
        "import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen()\nprint('ready', flush=True)\nwhile True:\n    c, _ = s.accept()\n    try:\n        c.sendall(b'svc')\n    except OSError:\n        pass  # sockit's probe hangs up at once\n    c.close()",
        a,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const proc = new Proc(svc, "python live service");
    try {
      await proc.waitFor(/ready/, "stdout");
      const inode = statSync(a).ino;
      for (const kind of ["unix-listen", "unix-seqpacket-listen", "unix-dgram-listen"]) {
        const r = await sockit(["listen", `${kind}:${a},unlink`]).result();
        assert.equal(r.code, 1, `${kind}: ${r.stderr}`);
        assert.match(r.stderr, /in use|something (listens|is bound)/, r.stderr);
        assert.match(r.stderr, /not removed/, r.stderr);
        assert.equal(statSync(a).ino, inode, `${kind}: the live socket file is still the service's`);
      }
      const got = await new Promise<string>((resolve, reject) => {
        const c = net.connect(a);
        let t = "";
        c.on("data", (d) => (t += String(d)));
        c.on("end", () => resolve(t));
        c.on("error", reject);
      });
      assert.equal(got, "svc", "the service still gets its clients");
    } finally {
      svc.kill("SIGKILL");
      await proc.exited;
    }
  });

  it("abstract-listen → abstract", async () => {
    const a = abstract("a");
    const b = abstract("b");
    await pythonServer("unix", "stream", `@${b}`);
    const relay = sockit(["-v", "relay", `abstract-listen:${a}`, `abstract:${b}`]);
    await relay.waitFor(/listen fd/);
    assert.deepEqual((await pythonClient("unix", "stream", `@${a}`, "abs")).replies, ["ABS"]);
    assert.equal((await relay.result()).code, 0);
  });

  it("unix-seqpacket ↔ unix-seqpacket keeps message boundaries and passes EOF", async () => {
    const a = path("sa");
    const b = path("sb");
    await pythonServer("unix", "seqpacket", b);
    const relay = sockit(["-v", "relay", `unix-seqpacket-listen:${a}`, `unix-seqpacket:${b}`]);
    await relay.waitFor(/listen fd/);
    const got = await pythonClient("unix", "seqpacket", a, "a", "bb", "ccc");
    assert.deepEqual(got.replies, ["<a>", "<bb>", "<ccc>"]);
    assert.equal(got.eof, true);
    assert.equal((await relay.result()).code, 0);
  });

  it("abstract-seqpacket ↔ abstract-seqpacket", async () => {
    const a = abstract("sa");
    const b = abstract("sb");
    await pythonServer("unix", "seqpacket", `@${b}`);
    const relay = sockit(["-v", "relay", `abstract-seqpacket-listen:${a}`, `abstract-seqpacket:${b}`]);
    await relay.waitFor(/listen fd/);
    const got = await pythonClient("unix", "seqpacket", `@${a}`, "x", "yy");
    assert.deepEqual(got.replies, ["<x>", "<yy>"]);
    assert.equal((await relay.result()).code, 0);
  });

  it("udp-listen → udp: datagrams both ways; Ctrl-C ends it with 130", async () => {
    const server = await pythonServer("inet", "dgram", "127.0.0.1:0");
    const relay = sockit(["-v", "relay", "udp-listen:127.0.0.1:0", `udp:127.0.0.1:${server.port}`]);
    const port = await boundPort(relay);
    const got = await pythonClient("inet", "dgram", `127.0.0.1:${port}`, "one", "two", "three");
    assert.deepEqual(got.replies, ["<one>", "<two>", "<three>"]);
    relay.child.kill("SIGINT");
    const r = await relay.result();
    assert.equal(r.code, 130, r.stderr);
    server.proc.child.kill();
  });

  it("udp6-listen → udp6 over [::1]", { skip: hasIPv6 ? false : "no IPv6 loopback here" }, async () => {
    const server = await pythonServer("inet6", "dgram", "[::1]:0");
    const relay = sockit(["-v", "relay", "udp6-listen:[::1]:0", `udp6:[::1]:${server.port}`]);
    const port = await boundPort(relay);
    assert.deepEqual((await pythonClient("inet6", "dgram", `[::1]:${port}`, "v6")).replies, ["<v6>"]);
    relay.child.kill("SIGINT");
    assert.equal((await relay.result()).code, 130);
    server.proc.child.kill();
  });

  it("unix-dgram-listen → unix-dgram: the relay's client autobinds, so replies come back", async () => {
    const a = path("dl");
    const b = path("dc");
    const server = await pythonServer("unix", "dgram", b);
    const relay = sockit(["-v", "relay", `unix-dgram-listen:${a}`, `unix-dgram:${b}`]);
    await relay.waitFor(/connected fd/);
    assert.deepEqual((await pythonClient("unix", "dgram", a, "d1", "d22")).replies, ["<d1>", "<d22>"]);
    relay.child.kill("SIGINT");
    assert.equal((await relay.result()).code, 130);
    server.proc.child.kill();
  });

  it("abstract-dgram-listen → abstract-dgram", async () => {
    const a = abstract("dl");
    const b = abstract("dc");
    const server = await pythonServer("unix", "dgram", `@${b}`);
    const relay = sockit(["-v", "relay", `abstract-dgram-listen:${a}`, `abstract-dgram:${b}`]);
    await relay.waitFor(/connected fd/);
    assert.deepEqual((await pythonClient("unix", "dgram", `@${a}`, "ab")).replies, ["<ab>"]);
    relay.child.kill("SIGINT");
    assert.equal((await relay.result()).code, 130);
    server.proc.child.kill();
  });

  it("Ctrl-C while unix-listen waits in accept: exit 130 and the socket file is gone", async () => {
    const a = path("wait");
    const relay = sockit(["-v", "relay", `unix-listen:${a}`, "stdio"]);
    await relay.waitFor(/listen fd/);
    assert.equal(existsSync(a), true);
    relay.child.kill("SIGINT");
    const r = await relay.result();
    assert.equal(r.code, 130, r.stderr);
    assert.equal(existsSync(a), false);
    assert.doesNotMatch(r.stderr, /^sockit: /m, "an interrupt is not an error");
  });

  it("udp: datagrams refused (ICMP port unreachable) do not stop the relay", async () => {
    // Reserve a port with nobody behind it, then bring the server up later.
    const probe = dgram.createSocket("udp4");
    await new Promise<void>((r) => probe.bind(0, "127.0.0.1", r));
    const serverPort = probe.address().port;
    probe.close();
    const relay = sockit(["-v", "relay", "udp-listen:127.0.0.1:0", `udp:127.0.0.1:${serverPort}`]);
    const port = await boundPort(relay);
    const client = dgram.createSocket("udp4");
    client.send("lost", port, "127.0.0.1");
    await relay.waitFor(/ECONNREFUSED .*going on/);
    const server = dgram.createSocket("udp4");
    await new Promise<void>((r) => server.bind(serverPort, "127.0.0.1", r));
    server.on("message", (m, rinfo) => server.send(`<${m.toString()}>`, rinfo.port, rinfo.address));
    const reply = new Promise<string>((r) => client.once("message", (d) => r(d.toString())));
    client.send("found", port, "127.0.0.1");
    assert.equal(await reply, "<found>");
    client.close();
    server.close();
    relay.child.kill("SIGINT");
    assert.equal((await relay.result()).code, 130);
  });

  it("tcp: a peer that resets (RST) ends its direction like EOF; the other side gets EOF", async () => {
    const server = net.createServer((c) => c.once("data", () => c.resetAndDestroy()));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const relay = sockit([
      "-v",
      "relay",
      "tcp-listen:127.0.0.1:0",
      `tcp:127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    ]);
    const port = await boundPort(relay);
    const got = await new Promise<string>((resolve, reject) => {
      const c = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => c.write("x"));
      let d = "";
      c.setEncoding("utf8").on("data", (x: string) => (d += x));
      c.on("end", () => {
        c.end();
        resolve(d);
      });
      c.on("error", reject);
    });
    assert.equal(got, "");
    const r = await relay.result();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /ECONNRESET: treated as EOF/);
    server.close();
  });

  it("unix-dgram-listen → unix-seqpacket: one datagram is one message", async () => {
    const a = path("da");
    const b = path("sb");
    await pythonServer("unix", "seqpacket", b);
    const relay = sockit(["-v", "relay", `unix-dgram-listen:${a}`, `unix-seqpacket:${b}`]);
    await relay.waitFor(/bind fd/);
    const got = await pythonClient("unix", "dgram", a, "m1", "message2");
    assert.deepEqual(got.replies, ["<m1>", "<message2>"]);
    relay.child.kill("SIGINT");
    assert.equal((await relay.result()).code, 130);
    assert.equal(existsSync(a), false, "Ctrl-C removes the socket file");
  });
});

describe("sockit relay with Node net/dgram peers", { timeout: 120_000 }, () => {
  it("tcp-listen → unix (a Node net server): half-close both ways", async () => {
    const b = path("node");
    const server = net.createServer({ allowHalfOpen: true }, (c) => {
      let data = "";
      c.setEncoding("utf8").on("data", (d: string) => (data += d));
      c.on("end", () => c.end(`[${data}]`));
    });
    await new Promise<void>((r) => server.listen(b, r));
    const relay = sockit(["-v", "relay", "tcp-listen:127.0.0.1:0", `unix:${b}`]);
    const port = await boundPort(relay);
    const reply = await new Promise<string>((resolve, reject) => {
      const c = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => c.end("from node"));
      let data = "";
      c.setEncoding("utf8").on("data", (d: string) => (data += d));
      c.on("end", () => resolve(data));
      c.on("error", reject);
    });
    assert.equal(reply, "[from node]");
    assert.equal((await relay.result()).code, 0);
    server.close();
  });

  it("udp-listen → tcp (dgram ↔ stream): each datagram's bytes go through, each read comes back as a datagram", async () => {
    const server = net.createServer((c) => c.on("data", (d) => c.write(`[${d.toString()}]`)));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const tcpPort = (server.address() as net.AddressInfo).port;
    const relay = sockit(["-v", "relay", "udp-listen:127.0.0.1:0", `tcp:127.0.0.1:${tcpPort}`]);
    const port = await boundPort(relay);
    const sock = dgram.createSocket("udp4");
    const replies: string[] = [];
    for (const m of ["alpha", "beta"]) {
      const reply = new Promise<string>((r) => sock.once("message", (d) => r(d.toString())));
      sock.send(m, port, "127.0.0.1");
      replies.push(await reply);
    }
    assert.deepEqual(replies, ["[alpha]", "[beta]"]);
    sock.close();
    relay.child.kill("SIGINT");
    assert.equal((await relay.result()).code, 130);
    server.close();
  });

  it("tcp-listen → udp (stream → dgram): the relay ends --linger ms after the stream's EOF", async () => {
    const server = await pythonServer("inet", "dgram", "127.0.0.1:0");
    const relay = sockit(["-v", "relay", "--linger", "300", "tcp-listen:127.0.0.1:0", `udp:127.0.0.1:${server.port}`]);
    const port = await boundPort(relay);
    const reply = await new Promise<string>((resolve, reject) => {
      const c = net.connect({ port, host: "127.0.0.1" }, () => c.write("ping"));
      c.setEncoding("utf8").once("data", (d: string) => {
        c.end();
        resolve(d);
      });
      c.on("error", reject);
    });
    assert.equal(reply, "<ping>");
    const r = await relay.result();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /no datagram for 300 ms/);
    server.proc.child.kill();
  });
});

describe("addresses as people type them (HOST:PORT, PORT, [::1]:PORT mean TCP, as ncat)", { timeout: 120_000 }, () => {
  /** A Node net server on `host` that answers each connection with `[what it read]` after the client's EOF. */
  async function bracketServer(host: string): Promise<{ server: net.Server; port: number }> {
    const server = net.createServer({ allowHalfOpen: true }, (c) => {
      let data = "";
      c.setEncoding("utf8").on("data", (d: string) => (data += d));
      c.on("end", () => c.end(`[${data}]`));
    });
    await new Promise<void>((r) => server.listen(0, host, r));
    return { server, port: (server.address() as net.AddressInfo).port };
  }

  for (const [host, form] of [
    ["127.0.0.1", (p: number) => `127.0.0.1:${p}`],
    ["127.0.0.1", (p: number) => `localhost:${p}`],
    ["127.0.0.1", (p: number) => `${p}`],
    ["::1", (p: number) => `[::1]:${p}`],
  ] as const) {
    it(
      `connect ${form(0).replace(/0$/, "PORT")} reaches a Node net server on ${host}`,
      { skip: host === "::1" && !hasIPv6 },
      async () => {
        const { server, port } = await bracketServer(host);
        try {
          const c = sockit(["connect", form(port)], "pipe");
          c.child.stdin!.end("typed");
          const r = await c.result();
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.stdout, "[typed]");
          const s = await sockit(["send", "--reply", form(port), "sent"]).result();
          assert.equal(s.code, 0, s.stderr);
          assert.match(s.stdout, /^\[sent\]\n?$/);
        } finally {
          server.close();
        }
      },
    );
  }

  it("listen/recv HOST:PORT is tcp-listen: a Node net client's bytes come out", async () => {
    const p = sockit(["-v", "recv", "127.0.0.1:0"]);
    const m = await p.waitFor(/bind fd \d+ 127\.0\.0\.1:0 → 127\.0\.0\.1:(\d+)/);
    await p.waitFor(/listen fd /);
    await new Promise<void>((resolve, reject) => {
      const c = net.connect({ port: Number(m[1]), host: "127.0.0.1" }, () => c.end("upload"));
      c.on("close", () => resolve());
      c.on("error", reject);
    });
    const r = await p.result();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "upload");
  });
});

/** Sends `data` to 127.0.0.1:port, half-closes, and returns everything read until EOF. */
function tcpExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => c.end(data));
    let got = "";
    c.setEncoding("utf8").on("data", (d: string) => (got += d));
    c.on("end", () => resolve(got));
    c.on("error", reject);
  });
}

describe("sockit relay: exec, fork, file, stats", { timeout: 120_000 }, () => {
  it("exec: a child's stdin and stdout", async () => {
    const relay = sockit(["-v", "relay", "tcp-listen:127.0.0.1:0", "exec:tr a-z A-Z"]);
    const port = await boundPort(relay);
    assert.equal(await tcpExchange(port, "shout"), "SHOUT");
    const r = await relay.result();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /exec sh -c "tr a-z A-Z" → pid \d+/);
  });

  it(",fork serves connections concurrently, each with its own child", async () => {
    const relay = sockit(["-v", "listen", "tcp-listen:127.0.0.1:0", "--keep-open", "--exec", "cat"]);
    const port = await boundPort(relay);
    const answers = await Promise.all(["one", "two", "three"].map((m) => tcpExchange(port, m)));
    assert.deepEqual(answers, ["one", "two", "three"]);
    relay.child.kill("SIGINT");
    assert.equal((await relay.result()).code, 130);
  });

  it("listen --keep-open without --exec writes every connection's data to stdout", async () => {
    const p = sockit(["-v", "listen", "tcp-listen:127.0.0.1:0", "--keep-open"]);
    const port = await boundPort(p);
    await tcpExchange(port, "first line\n");
    await tcpExchange(port, "second line\n");
    await p.waitFor(/second line/, "stdout");
    p.child.kill("SIGINT");
    const r = await p.result();
    assert.equal(r.code, 130);
    assert.equal(r.stdout, "first line\nsecond line\n");
  });

  it("file: writes what arrives; --stats --json prints a summary that parses", async () => {
    const out = join(dir, "upload.bin");
    const relay = sockit(["-v", "--json", "relay", "--stats", "tcp-listen:127.0.0.1:0", `file:${out}`]);
    const port = await boundPort(relay);
    const payload = "x".repeat(300_000);
    assert.equal(await tcpExchange(port, payload), "");
    const r = await relay.result();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(out, "utf8"), payload);
    const summary = JSON.parse(r.stderr.trim().split("\n").at(-1)!) as { forward: { bytes: number } };
    assert.equal(summary.forward.bytes, 300_000);
  });

  it("file: reads an existing file", async () => {
    const src = join(dir, "source.txt");
    writeFileSync(src, "file contents\n");
    const server = net.createServer((c) => {
      let d = "";
      c.setEncoding("utf8").on("data", (x: string) => (d += x));
      c.on("end", () => {
        c.end();
        server.emit("got", d);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const got = new Promise<string>((r) => server.once("got", r));
    const port = (server.address() as net.AddressInfo).port;
    const r = await sockit(["relay", `file:${src}`, `tcp:127.0.0.1:${port}`]).result();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await got, "file contents\n");
    server.close();
  });

  it("fd:N adopts an inherited socket: a seqpacket socketpair end keeps its boundaries", async () => {
    const b = path("fd");
    await pythonServer("unix", "seqpacket", b);
    const [mine, theirs] = socketpair("unix", "seqpacket");
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "cli/main.ts", "-v", "relay", "fd:3", `unix-seqpacket:${b}`],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe", theirs.fd] },
    );
    const relay = new Proc(child, "sockit relay fd:3");
    theirs.close(); // the child has its own copy
    await relay.waitFor(/adopt fd 3: unix seqpacket/);
    const replies: string[] = [];
    for (const m of ["p", "qq"]) {
      await mine.send(m);
      replies.push((await mine.recv(100)).toString());
    }
    assert.deepEqual(replies, ["<p>", "<qq>"]);
    mine.shutdown("write");
    assert.equal((await mine.recv(100)).length, 0, "EOF comes back");
    mine.close();
    assert.equal((await relay.result()).code, 0);
  });

  it("connect: stdin to the address, the address to stdout", async () => {
    const server = await pythonServer("inet", "stream", "127.0.0.1:0");
    const p = sockit(["connect", `tcp:127.0.0.1:${server.port}`], "pipe");
    p.child.stdin!.end("via stdin");
    const r = await p.result();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "VIA STDIN");
  });
});

describe("sockit relay: WebSocket", { timeout: 120_000 }, () => {
  it("ws-listen → unix-seqpacket: each WebSocket message is one seqpacket message", async () => {
    const b = path("ws");
    await pythonServer("unix", "seqpacket", b);
    const relay = sockit(["-v", "relay", "ws-listen:127.0.0.1:0/chat", `unix-seqpacket:${b}`]);
    const m = await relay.waitFor(/websocket listen 127\.0\.0\.1:(\d+)\/chat/);
    const ws = new WebSocket(`ws://127.0.0.1:${m[1]}/chat`);
    await new Promise<void>((r, j) => {
      ws.once("open", r);
      ws.once("error", j);
    });
    const replies: string[] = [];
    for (const msg of ["hi", "there"]) {
      const reply = new Promise<string>((r) => ws.once("message", (d: Buffer) => r(d.toString())));
      ws.send(msg);
      replies.push(await reply);
    }
    assert.deepEqual(replies, ["<hi>", "<there>"]);
    ws.close();
    const r = await relay.result();
    assert.equal(r.code, 0, r.stderr);
  });
});

describe("sockit relay: WebSocket frame types", { timeout: 120_000 }, () => {
  /** Debian's python3-websockets (the pyenv python3 on PATH may lack it). */
  const PY_WS = ["/usr/bin/python3", "python3"].find(
    (py) => spawnSync(py, ["-c", "import websockets"], { stdio: "ignore" }).status === 0,
  );
  /** A Python websockets client: sends each message (str → text frame, bytes → binary) and reports each reply's type. */
  const PY_CLIENT = String.raw`
import asyncio, json, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1]) as ws:
        out = []
        for m in ["one", b"two", "\u00e9t\u00e9", bytes([0xFF, 0xFE]), "again"]:
            await ws.send(m)
            r = await asyncio.wait_for(ws.recv(), 10)
            out.append(["text", r] if isinstance(r, str) else ["binary", r.hex()])
        print(json.dumps(out))
asyncio.run(main())
`;
  const EXPECTED = [
    ["text", "one"],
    ["binary", Buffer.from("two").toString("hex")],
    ["text", "été"],
    ["binary", "fffe"],
    ["text", "again"],
  ];

  /** A `ws` echo server that answers each message in the frame type it came in. */
  async function wsEcho(): Promise<{ server: WebSocketServer; port: number }> {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    server.on("connection", (c) => c.on("message", (d, isBinary) => c.send(d as Buffer, { binary: isBinary })));
    await new Promise<void>((r) => server.once("listening", r));
    return { server, port: (server.address() as net.AddressInfo).port };
  }

  async function wsListen(second: string): Promise<{ relay: Proc; url: string }> {
    const relay = sockit(["-v", "relay", "ws-listen:127.0.0.1:0/", second]);
    const m = await relay.waitFor(/websocket listen 127\.0\.0\.1:(\d+)\//);
    return { relay, url: `ws://127.0.0.1:${m[1]}/` };
  }

  /** The `ws` package as client: the same exchange as PY_CLIENT. */
  async function nodeClient(url: string): Promise<string[][]> {
    const ws = new WebSocket(url);
    await new Promise<void>((r, j) => {
      ws.once("open", r);
      ws.once("error", j);
    });
    const out: string[][] = [];
    for (const m of ["one", Buffer.from("two"), "été", Buffer.from([0xff, 0xfe]), "again"]) {
      const reply = new Promise<string[]>((r) =>
        ws.once("message", (d: Buffer, isBinary: boolean) =>
          r(isBinary ? ["binary", d.toString("hex")] : ["text", d.toString("utf8")]),
        ),
      );
      ws.send(m, { binary: typeof m !== "string" });
      out.push(await reply);
    }
    ws.close();
    return out;
  }

  async function pythonClient(url: string): Promise<string[][]> {
    const p = new Proc(
      spawn(PY_WS!, ["-c", PY_CLIENT, url], { stdio: ["ignore", "pipe", "pipe"] }),
      "python websockets",
    );
    const r = await p.result();
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as string[][];
  }

  it("ws-listen → ws: (a `ws` echo server): text stays text, binary stays binary — `ws` client", async () => {
    const echo = await wsEcho();
    const { relay, url } = await wsListen(`ws:ws://127.0.0.1:${echo.port}/`);
    assert.deepEqual(await nodeClient(url), EXPECTED);
    assert.equal((await relay.result()).code, 0);
    echo.server.close();
  });

  it(
    "the same with Python's websockets as the client",
    { skip: PY_WS ? false : "needs python3-websockets" },
    async () => {
      const echo = await wsEcho();
      const { relay, url } = await wsListen(`ws:ws://127.0.0.1:${echo.port}/`);
      assert.deepEqual(await pythonClient(url), EXPECTED);
      assert.equal((await relay.result()).code, 0);
      echo.server.close();
    },
  );

  it(
    "ws-listen → exec:cat (a byte stream): a text frame is its UTF-8 bytes there; what comes back is binary",
    { skip: PY_WS ? false : "needs python3-websockets" },
    async () => {
      const bytes = EXPECTED.map(([type, v]) => ["binary", type === "text" ? Buffer.from(v!).toString("hex") : v!]);
      const { relay, url } = await wsListen("exec:cat");
      assert.deepEqual(await pythonClient(url), bytes);
      await relay.result();
      const again = await wsListen("exec:cat");
      assert.deepEqual(await nodeClient(again.url), bytes);
      await again.relay.result();
    },
  );

  it("--help says what a text frame becomes on a byte stream", async () => {
    const r = await sockit(["relay", "--help"]).result();
    assert.match(
      r.stdout,
      /on a byte stream or datagram a text frame is its UTF-8\s+bytes, and bytes from one reach a WebSocket as binary frames/,
    );
  });
});

describe("sockit relay: WebSocket exposure (loopback by default, Origin checked)", { timeout: 120_000 }, () => {
  /** Opens a ws client with an optional Origin header; resolves "open" or the HTTP status that refused it. */
  function tryWs(url: string, origin?: string): Promise<{ ws?: WebSocket; status: number | "open" }> {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve({ ws, status: "open" }));
      ws.on("unexpected-response", (_req, res) => {
        resolve({ status: res.statusCode ?? 0 });
        ws.terminate();
      });
      ws.once("error", (e) => {
        if (!/Unexpected server response/.test(e.message)) reject(e);
      });
    });
  }

  it("ws-listen:PORT binds 127.0.0.1 and refuses a cross-origin upgrade; no Origin (not a browser) is let in", async () => {
    const relay = sockit(["-v", "relay", "ws-listen:0/x,fork", "exec:cat"]);
    try {
      const m = await relay.waitFor(/websocket listen (\S+):(\d+)\/x/);
      assert.equal(m[1], "127.0.0.1", "loopback unless a host is named");
      const url = `ws://127.0.0.1:${m[2]}/x`;
      assert.deepEqual((await tryWs(url, "https://evil.example")).status, 403, "a page on another site is refused");
      assert.deepEqual((await tryWs(url, "http://127.0.0.1:" + m[2])).status, 403, "no origin is the relay's own");
      assert.match(relay.stderr, /websocket refused \(403\).*Origin https:\/\/evil\.example/);
      const plain = await tryWs(url);
      assert.equal(plain.status, "open", "a client that sends no Origin (websocat, Python) connects");
      const echoed = new Promise<string>((r) => plain.ws!.once("message", (d: Buffer) => r(String(d))));
      plain.ws!.send("hello");
      assert.equal(await echoed, "hello");
      plain.ws!.close();
    } finally {
      relay.child.kill("SIGINT");
      await relay.exited;
    }
  });

  it("origin=… allows the listed origins only; origin=* allows any", async () => {
    const relay = sockit([
      "-v",
      "relay",
      "ws-listen:0,fork,origin=https://a.example,origin=http://localhost:3000",
      "exec:cat",
    ]);
    const any = sockit(["-v", "relay", "ws-listen:0,fork,origin=*", "exec:cat"]);
    try {
      const url = `ws://127.0.0.1:${(await relay.waitFor(/websocket listen \S+:(\d+)/))[1]}/`;
      for (const ok of ["https://a.example", "http://localhost:3000", "HTTPS://A.EXAMPLE"]) {
        const r = await tryWs(url, ok);
        assert.equal(r.status, "open", ok);
        r.ws!.close();
      }
      for (const bad of ["https://b.example", "http://localhost:3001", "https://a.example.evil.example", "null"])
        assert.equal((await tryWs(url, bad)).status, 403, bad);
      const anyUrl = `ws://127.0.0.1:${(await any.waitFor(/websocket listen \S+:(\d+)/))[1]}/`;
      const r = await tryWs(anyUrl, "https://whoever.example");
      assert.equal(r.status, "open");
      r.ws!.close();
    } finally {
      relay.child.kill("SIGINT");
      any.child.kill("SIGINT");
      await Promise.all([relay.exited, any.exited]);
    }
  });

  it("tcp-listen:PORT, udp-listen:PORT and listen PORT bind loopback; a named address opens them wider", async () => {
    for (const args of [
      ["relay", "tcp-listen:0", "stdio"],
      ["relay", "udp-listen:0", "stdio"],
      ["listen", "0"],
      ["relay", "tcp6-listen:0", "stdio"],
      ["relay", "tcp-listen:0.0.0.0:0", "stdio"],
    ]) {
      const p = sockit(["-v", ...args]);
      try {
        const m = await p.waitFor(/bind fd \d+ (\S+):0 →/);
        const want = args.includes("tcp6-listen:0")
          ? "[::1]"
          : args.includes("tcp-listen:0.0.0.0:0")
            ? "0.0.0.0"
            : "127.0.0.1";
        assert.equal(m[1], want, args.join(" "));
      } finally {
        p.child.kill("SIGINT");
        await p.exited;
      }
    }
  });
});

describe("sockit relay under fd exhaustion", { timeout: 120_000 }, () => {
  it(
    "tcp-listen,fork with 20 fds to spare (prlimit): a flood makes the relay back off (said once), it stays up and serves new clients after",
    { skip: spawnSync("prlimit", ["--version"]).status === 0 ? false : "prlimit (util-linux) is not installed" },
    async () => {
      // An echo server (Node net) the relay forwards each connection to.
      const echo = net.createServer((c) => {
        c.on("error", () => undefined);
        c.pipe(c);
      });
      await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
      const echoPort = (echo.address() as net.AddressInfo).port;
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "cli/main.ts", "-v", "relay", "tcp-listen:127.0.0.1:0,fork", `tcp:127.0.0.1:${echoPort}`],
        { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] },
      );
      const relay = new Proc(child, "sockit relay under prlimit");
      const flood: net.Socket[] = [];
      try {
        const port = await boundPort(relay);
        limitFds(child.pid!, 20);
        for (let i = 0; i < 60; i++) {
          const c = net.connect(port, "127.0.0.1");
          c.on("error", () => undefined);
          flood.push(c);
        }
        // Which call meets EMFILE first depends on how many fds the runtime
        // holds at that moment (a cold loader cache opens and closes some):
        // accept4 (accept backs off) or socket for the second end (the client
        // waits). Both are one line, and the relay serves new clients after.
        await relay.waitFor(
          /(accept4 EMFILE: out of file descriptors; accept backs off|socket EMFILE: out of file descriptors; new connections wait)/,
        );
        for (const c of flood.splice(0)) c.resetAndDestroy(); // RST: no TIME-WAIT left per flood connection;
        const replies = await Promise.all(
          Array.from({ length: 10 }, (_, i) => {
            const c = net.connect(port, "127.0.0.1");
            flood.push(c);
            c.end(`ping ${i}`);
            return readAll(c).then(String);
          }),
        );
        assert.deepEqual(
          replies,
          Array.from({ length: 10 }, (_, i) => `ping ${i}`),
        );
        assert.equal(child.exitCode, null, `the relay is still running; stderr:\n${relay.stderr}`);
        assert.equal(relay.stderr.match(/out of file descriptors/g)?.length, 1, "said once");
      } finally {
        for (const c of flood) c.destroy();
        child.kill("SIGINT");
        await relay.exited;
        echo.close();
      }
    },
  );
});

describe("sockit send / recv", { timeout: 120_000 }, () => {
  it("recv --json prints each datagram as a JSON line; send delivers one", async () => {
    const recv = sockit(["-v", "--json", "recv", "-c", "2", "udp-listen:127.0.0.1:0"]);
    const port = await boundPort(recv);
    assert.equal((await sockit(["send", `udp:127.0.0.1:${port}`, "hello"]).result()).code, 0);
    assert.equal((await sockit(["send", "--hex", `udp:127.0.0.1:${port}`, "00ff"]).result()).code, 0);
    const r = await recv.result();
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines[0]!.text, "hello");
    assert.match(String(lines[0]!.from), /^127\.0\.0\.1:\d+$/);
    assert.equal(lines[1]!.hex, "00ff");
  });

  it("send DATA '-' reads stdin; a stream gets the bytes then EOF", async () => {
    const server = await pythonServer("inet", "stream", "127.0.0.1:0");
    const p = sockit(["send", "--reply", `tcp:127.0.0.1:${server.port}`, "-"], "pipe");
    p.child.stdin!.end("from stdin");
    const r = await p.result();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "FROM STDIN");
  });

  it("send --reply --json to a seqpacket service", async () => {
    const b = path("q");
    await pythonServer("unix", "seqpacket", b);
    const r = await sockit(["--json", "send", "--reply", `unix-seqpacket:${b}`, "status?"]).result();
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { bytes: number; reply: { text: string } };
    assert.equal(out.bytes, 7);
    assert.equal(out.reply.text, "<status?>");
  });

  it("recv -t gives up with a one-line ETIMEDOUT error naming the address", async () => {
    const r = await sockit(["recv", "-t", "200", "udp-listen:127.0.0.1:0"]).result();
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^sockit: udp-listen:127\.0\.0\.1:0: nothing received within 200 ms \(ETIMEDOUT\)\n$/);
  });

  it("a refused connection is one line with the address and errno code", async () => {
    const r = await sockit(["send", "tcp:127.0.0.1:9", "x"]).result();
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^sockit: connect ECONNREFUSED 127\.0\.0\.1:9\n$/);
  });

  it("send --reply to a UDP port nobody listens on: the ICMP error's one line names the address", async () => {
    // A port that was just free: bound, then closed.
    const probe = dgram.createSocket("udp4");
    await new Promise<void>((r) => probe.bind(0, "127.0.0.1", r));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await sockit(["send", "--reply", `udp:127.0.0.1:${port}`, "ping"]).result();
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `sockit: recvfrom ECONNREFUSED 127.0.0.1:${port}\n`);
  });

  it("--stats gives each rate its unit (B/s or KiB/s…, msg/s)", async () => {
    const relay = sockit(["-v", "relay", "--stats", "tcp-listen:127.0.0.1:0", "file:/dev/null"]);
    const port = await boundPort(relay);
    await tcpExchange(port, "x".repeat(100));
    const r = await relay.result();
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /tcp-listen:127\.0\.0\.1:0 → file:\/dev\/null: 100 bytes in 1 read, \d+(\.\d+)? (B|KiB|MiB)\/s, \d+(\.\dk)? msg\/s\n/,
    );
    assert.match(r.stderr, /file:\/dev\/null → tcp-listen:127\.0\.0\.1:0: 0 bytes in 0 reads, 0 B\/s, 0 msg\/s\n/);
  });

  it("an unknown option points at the subcommand's help", async () => {
    const r = await sockit(["send", "--bogus", "udp:127.0.0.1:9", "x"]).result();
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "sockit: unknown option '--bogus' (see 'sockit send --help')\n");
  });
});

describe("sockit relay: usage errors", { timeout: 120_000 }, () => {
  function assertUsage(r: { code: number | null; stderr: string }, text: string): void {
    assert.equal(r.code, 2, `${JSON.stringify(text)}: ${r.stderr}`);
    const lines = r.stderr.split("\n");
    assert.match(lines[0]!, /^sockit: invalid address /, r.stderr);
    assert.equal(lines.length, 4, r.stderr);
    assert.match(lines[2]!, /^ *\^$/);
    assert.doesNotMatch(r.stderr, /^\s+at /m, "no stack trace");
  }

  it("bad addresses (fuzzed) exit 2 with the error, the address and a caret — no stack trace", async () => {
    const samples = fc.sample(
      fc.oneof(
        fc
          .constantFrom("tcp:", "udp-listen:", "unix-listen:", "abstract:", "fd:", "ws-listen:", "tcp6:")
          .chain((k) => fc.string({ minLength: 1, maxLength: 10 }).map((s) => `${k}[${s}`)),
        fc.string({ minLength: 1, maxLength: 8 }).map((s) => `bogus${s.replace(/^-/, "x")}`),
      ),
      { numRuns: 8, seed: 6 },
    );
    for (const text of [...samples, "tcp:127.0.0.1:99999", "unix-listen:/x,mode=9"]) {
      assertUsage(await sockit(["relay", text, "stdio"]).result(), text);
    }
  });

  it("a socket option the table does not know is a usage error naming the address", async () => {
    const r = await sockit(["send", "udp:127.0.0.1:9,so=SOL_SOCKET:SO_BOGUS=1", "x"]).result();
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^sockit: udp:127\.0\.0\.1:9,so=SOL_SOCKET:SO_BOGUS=1: .*SO_BOGUS.*\n$/);
  });

  it("listen refuses a connect address with exit 2", async () => {
    const r = await sockit(["listen", "tcp:127.0.0.1:80"]).result();
    assertUsage(r, "tcp:127.0.0.1:80");
  });

  it("every new command has --help with examples", async () => {
    for (const c of ["relay", "connect", "listen", "send", "recv"]) {
      const r = await sockit([c, "--help"]).result();
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Examples:\n {2}# /);
      assert.match(r.stdout, /Addresses \(KIND:BODY/);
    }
  });
});
