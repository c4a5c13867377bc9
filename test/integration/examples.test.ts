/**
 * The examples, run as a reader would run them: each is spawned as its own
 * process (node --import tsx, which is what `npx tsx` does), servers in the
 * background on a free loopback port, clients against them, and their output
 * is checked. Every child has a hard timeout and is killed when its test ends.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLES = join(ROOT, "examples");

interface Run {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();
after(() => {
  for (const c of running) c.kill("SIGKILL");
});

/** Starts an example; it is SIGKILLed after `timeoutMs` whatever happens. */
function start(name: string, args: string[] = [], timeoutMs = 20000): Run {
  const child = spawn(process.execPath, ["--import", "tsx", join(EXAMPLES, name), ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Runs an example to its end. */
async function run(
  name: string,
  args: string[] = [],
  timeoutMs = 20000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const r = start(name, args, timeoutMs);
  const { code, signal } = await r.exited;
  return { code, signal, stdout: r.stdout(), stderr: r.stderr() };
}

/** Waits until `pattern` shows up in the run's stdout; returns the match. */
async function waitForOutput(r: Run, pattern: RegExp, ms = 15000): Promise<RegExpExecArray> {
  const end = Date.now() + ms;
  for (;;) {
    const m = pattern.exec(r.stdout());
    if (m) return m;
    if (r.child.exitCode !== null || r.child.signalCode !== null) {
      throw new Error(`the example exited before printing ${pattern}:\n${r.stdout()}\n${r.stderr()}`);
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${pattern}; output so far:\n${r.stdout()}\n${r.stderr()}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function stop(r: Run, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill(signal);
  await r.exited;
}

test("every example starts with a comment saying what it shows and how to run it", () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith(".ts"));
  for (const want of [
    "stream-server.ts",
    "stream-client.ts",
    "talker.ts",
    "listener.ts",
    "select-chat-server.ts",
    "unix-seqpacket.ts",
    "node-interop.ts",
  ]) {
    assert.ok(files.includes(want), `examples/${want} exists`);
  }
  for (const f of files) {
    const text = readFileSync(join(EXAMPLES, f), "utf8");
    assert.ok(text.startsWith("/**"), `${f} starts with a doc comment`);
    const head = text.slice(0, text.indexOf("*/"));
    assert.ok(head.includes(`npx tsx examples/${f}`), `${f}'s comment says how to run it`);
    assert.ok(/from "\.\.\/src\/index\.js"/.test(text), `${f} imports sockit from ../src/index.js`);
  }
});

test("stream-server and stream-client: Beej's Hello, world! over TCP", { timeout: 60000 }, async () => {
  const server = start("stream-server.ts", ["127.0.0.1:0"]);
  try {
    const [, port] = await waitForOutput(server, /server: waiting for connections on 127\.0\.0\.1:(\d+)\.\.\./);
    // Two clients at once: the async server serves both.
    const [c1, c2] = await Promise.all([
      run("stream-client.ts", [`127.0.0.1:${port}`]),
      run("stream-client.ts", [`localhost:${port}`]),
    ]);
    for (const c of [c1, c2]) {
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stdout, /client: connecting to 127\.0\.0\.1\n/);
      assert.match(c.stdout, /client: received 'Hello, world!'\n/);
    }
    await waitForOutput(server, /(server: got connection from 127\.0\.0\.1\n[^]*){2}/);
    // SIGINT closes the listening socket; the accept loop ends and the process exits 0.
    server.child.kill("SIGINT");
    const { code } = await server.exited;
    assert.equal(code, 0, server.stderr());
    assert.match(server.stdout(), /server: bye\n$/);
  } finally {
    await stop(server);
  }
});

test("stream-client reports a refused connection and exits non-zero", { timeout: 30000 }, async () => {
  // A port nobody listens on: have the kernel pick one, then let it go.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const c = await run("stream-client.ts", [`127.0.0.1:${port}`]);
  assert.equal(c.code, 2);
  assert.match(c.stderr, new RegExp(`client: connect: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
  assert.match(c.stderr, /client: failed to connect/);
});

test("listener and talker: Beej's UDP pair", { timeout: 60000 }, async () => {
  const listener = start("listener.ts", ["127.0.0.1:0", "2"]);
  try {
    const [, port] = await waitForOutput(listener, /listener: waiting to recvfrom on 127\.0\.0\.1:(\d+)\.\.\./);
    const t1 = await run("talker.ts", [`127.0.0.1:${port}`, "hi there"]);
    assert.equal(t1.code, 0, t1.stderr);
    assert.equal(t1.stdout, "talker: sent 8 bytes to 127.0.0.1\n");
    const t2 = await run("talker.ts", [`127.0.0.1:${port}`]);
    assert.equal(t2.code, 0, t2.stderr);
    assert.equal(t2.stdout, "talker: sent 13 bytes to 127.0.0.1\n");
    const { code } = await listener.exited;
    assert.equal(code, 0, listener.stderr());
    assert.equal(
      listener.stdout().replace(/^listener: waiting.*\n/, ""),
      [
        "listener: got packet from 127.0.0.1",
        "listener: packet is 8 bytes long",
        'listener: packet contains "hi there"',
        "listener: got packet from 127.0.0.1",
        "listener: packet is 13 bytes long",
        'listener: packet contains "Hello, world!"',
        "",
      ].join("\n"),
    );
  } finally {
    await stop(listener);
  }
});

/** A chat client made with Node's net module, collecting what it receives. */
class ChatClient {
  received = "";
  readonly socket: net.Socket;
  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (this.received += d));
    socket.on("error", () => {});
  }
  static connect(port: number): Promise<ChatClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => resolve(new ChatClient(s)));
      s.once("error", reject);
    });
  }
  async waitFor(text: string, ms = 10000): Promise<void> {
    const end = Date.now() + ms;
    while (!this.received.includes(text)) {
      if (Date.now() > end)
        throw new Error(`chat client never got ${JSON.stringify(text)}; got ${JSON.stringify(this.received)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once("close", () => resolve());
      this.socket.end();
    });
  }
}

test("select-chat-server: Beej's selectserver relays each line to the other clients", { timeout: 60000 }, async () => {
  const server = start("select-chat-server.ts", ["127.0.0.1:0"]);
  const clients: ChatClient[] = [];
  try {
    const [, portText] = await waitForOutput(server, /selectserver: listening on 127\.0\.0\.1:(\d+)\n/);
    const port = Number(portText);
    for (let i = 0; i < 3; i++) {
      clients.push(await ChatClient.connect(port));
      // One at a time, so the server prints the connections in order.
      await waitForOutput(
        server,
        new RegExp(`(selectserver: new connection from 127\\.0\\.0\\.1 on socket \\d+\\n[^]*){${i + 1}}`),
      );
    }
    const [alice, bob, carol] = clients as [ChatClient, ChatClient, ChatClient];

    alice.socket.write("alice: hello, everyone\n");
    await bob.waitFor("alice: hello, everyone\n");
    await carol.waitFor("alice: hello, everyone\n");

    bob.socket.write("bob: hi alice\n");
    await alice.waitFor("bob: hi alice\n");
    await carol.waitFor("bob: hi alice\n");

    // Carol leaves; the server notices the EOF, and the others still talk.
    const fds = [...server.stdout().matchAll(/new connection from 127\.0\.0\.1 on socket (\d+)\n/g)].map((m) => m[1]);
    assert.equal(fds.length, 3);
    const carolFd = fds[2]!;
    await carol.close();
    await waitForOutput(server, new RegExp(`selectserver: socket ${carolFd} hung up\\n`));
    alice.socket.write("alice: bye carol\n");
    await bob.waitFor("alice: bye carol\n");

    // Nobody hears their own lines, and Carol heard nothing after she left.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(alice.received, "bob: hi alice\n");
    assert.equal(bob.received, "alice: hello, everyone\nalice: bye carol\n");
    assert.equal(carol.received, "alice: hello, everyone\nbob: hi alice\n");
    assert.equal(server.stderr(), "");
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await stop(server, "SIGTERM");
    await stop(server);
  }
});

test(
  "unix-seqpacket: echo keeps message boundaries (path in a temp dir, and abstract)",
  { timeout: 60000 },
  async () => {
    const r = await run("unix-seqpacket.ts");
    assert.equal(r.code, 0, r.stderr);
    const path = /server: listening on (.+)\n/.exec(r.stdout)![1]!;
    assert.ok(!existsSync(path), "the example removed its socket file");
    for (const n of [5, 1, 60000, 3]) {
      assert.match(r.stdout, new RegExp(`server: got a ${n}-byte message, echoing it\\n`));
      assert.match(r.stdout, new RegExp(`client: echo of ${n} bytes came back as one ${n}-byte message\\n`));
    }
    assert.match(r.stdout, /client: 4 messages, boundaries intact\n$/);

    const abstract = await run("unix-seqpacket.ts", [`@sockit-example-test-${process.pid}`]);
    assert.equal(abstract.code, 0, abstract.stderr);
    assert.match(abstract.stdout, /client: 4 messages, boundaries intact\n$/);
  },
);

test(
  "node-interop: two SO_REUSEPORT sockets served by http.createServer via toNetServer",
  { timeout: 60000 },
  async () => {
    const r = await run("node-interop.ts", ["127.0.0.1:0", "6"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /interop: two sockets with SO_REUSEPORT = true bound to 127\.0\.0\.1:\d+\n/);
    const answers =
      r.stdout.match(
        /interop: GET \/request\/\d -> hello from http server [12] \(pid \d+\), you asked for \/request\/\d\n/g,
      ) ?? [];
    assert.equal(answers.length, 6, r.stdout);
    assert.match(r.stdout, /interop: served by server \d: \d/);
    assert.match(r.stdout, /interop: done\n$/);
  },
);

test("examples also run through the tsx command line (what `npx tsx` starts)", { timeout: 60000 }, async () => {
  const tsx = join(ROOT, "node_modules", ".bin", "tsx");
  const child = spawn(tsx, [join(EXAMPLES, "unix-seqpacket.ts")], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30000);
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  clearTimeout(timer);
  running.delete(child);
  assert.equal(code, 0);
  assert.match(out, /boundaries intact/);
});
