/**
 * Socket activation the way systemd does it: a parent opens the sockets, starts
 * the service with them as fds 3, 4, 5 and LISTEN_FDS / LISTEN_PID /
 * LISTEN_FDNAMES set (LISTEN_PID is the child's own pid: `sh -c 'LISTEN_PID=$$
 * exec ...'`, as systemd sets it after fork), and listens on NOTIFY_SOCKET for
 * READY=1. The service is examples/activated-server.ts.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { Socket, createConnection, listenFds, notify, socketpair } from "../../src/index.js";
import { sleep, which } from "../helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "sockit-activation-"));
const children = new Set<ChildProcess>();
/** Launchers started in their own process group, killed with all they started. */
const groups = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill("SIGKILL");
  for (const g of groups) {
    try {
      process.kill(-g.pid!, "SIGKILL");
    } catch {
      // The group is gone already.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `fn` with process.env changed, then restores it. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T | Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe("listenFds", () => {
  test("not activated, or activated for another pid: nothing, and the variables are unset", async () => {
    await withEnv({ LISTEN_FDS: undefined, LISTEN_PID: undefined }, () => assert.deepEqual(listenFds(), []));
    await withEnv({ LISTEN_FDS: "2", LISTEN_PID: String(process.pid + 100000), LISTEN_FDNAMES: "a:b" }, () => {
      assert.deepEqual(listenFds(), []);
      assert.equal(process.env.LISTEN_FDS, undefined);
      assert.equal(process.env.LISTEN_FDNAMES, undefined);
    });
    await withEnv({ LISTEN_FDS: "1", LISTEN_PID: "1" }, () => {
      assert.deepEqual(listenFds({ unsetEnvironment: false }), []);
      assert.equal(process.env.LISTEN_FDS, "1");
    });
  });

  test("LISTEN_FDS for another process (here: the parent, as under npx): nothing adopted, and a warning says why", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on("warning", onWarning);
    try {
      await withEnv({ LISTEN_FDS: "1", LISTEN_PID: String(process.ppid) }, () => assert.deepEqual(listenFds(), []));
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    } finally {
      process.off("warning", onWarning);
    }
    const w = warnings.find(
      (x) =>
        (x as { code?: string }).code === "SOCKIT_LISTEN_PID_MISMATCH" &&
        x.message.includes(`LISTEN_PID=${process.ppid} `),
    );
    assert.ok(w, `no SOCKIT_LISTEN_PID_MISMATCH warning among ${warnings.map((x) => x.message).join("; ")}`);
    assert.equal(w.name, "SocketActivationWarning");
    assert.match(w.message, new RegExp(`LISTEN_PID=${process.ppid} is an ancestor of this process`));
    assert.match(w.message, /node --import tsx/);
  });

  test("malformed variables are EINVAL", async () => {
    await withEnv({ LISTEN_FDS: "x", LISTEN_PID: String(process.pid) }, () =>
      assert.throws(() => listenFds(), { code: "EINVAL", syscall: "sd_listen_fds" }),
    );
    await withEnv({ LISTEN_FDS: "1", LISTEN_PID: "me" }, () => assert.throws(() => listenFds(), { code: "EINVAL" }));
    assert.throws(() => listenFds(1 as never), { code: "ERR_INVALID_ARG_TYPE" });
  });

  test(
    "a parent passes TCP, Unix datagram and Unix seqpacket sockets as systemd does; the service adopts and serves all three",
    { timeout: 60_000 },
    async () => {
      const tcp = new Socket("inet", "stream");
      tcp.bind("127.0.0.1:0");
      tcp.listen();
      const dgramPath = join(dir, "echo.dgram");
      const dgram = new Socket("unix", "dgram");
      dgram.bind(dgramPath);
      const seqPath = `\0sockit-activation-${process.pid}`;
      const seq = new Socket("unix", "seqpacket");
      seq.bind({ family: "unix", path: seqPath });
      seq.listen();
      const notifyName = `@sockit-notify-${process.pid}`;
      const notifySock = new Socket("unix", "dgram");
      notifySock.bind(`\0${notifyName.slice(1)}`);

      const child = spawn(
        "sh",
        ["-c", 'LISTEN_PID=$$ exec "$0" --import tsx examples/activated-server.ts', process.execPath],
        {
          cwd: ROOT,
          env: { ...process.env, LISTEN_FDS: "3", LISTEN_FDNAMES: "web:echo-dgram:seq", NOTIFY_SOCKET: notifyName },
          stdio: ["ignore", "pipe", "pipe", tcp.fd, dgram.fd, seq.fd],
        },
      );
      children.add(child);
      let out = "";
      let err = "";
      child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
      child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
      const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
      // The parent's copies are no longer needed (systemd keeps its own; here the child has them).
      const port = (tcp.getsockname() as { port: number }).port;
      tcp.close();
      dgram.close();
      seq.close();

      const ready = await notifySock.recv(4096, { timeout: 30_000 });
      assert.equal(ready.toString(), "READY=1", err);
      assert.match(out, /serving web inet\/stream on 127\.0\.0\.1:\d+/);
      assert.match(out, /serving echo-dgram unix\/dgram/);
      assert.match(out, /serving seq unix\/seqpacket/);

      const c = await createConnection("127.0.0.1", port);
      await c.sendAll("over tcp");
      assert.equal((await c.recv(100, { timeout: 5000 })).toString(), "over tcp");
      c.close();

      const d = new Socket("unix", "dgram");
      d.bind(join(dir, "client.dgram"));
      await d.sendto("a datagram", dgramPath);
      assert.equal((await d.recv(100, { timeout: 5000 })).toString(), "a datagram");
      d.close();

      const s = new Socket("unix", "seqpacket");
      await s.connect({ family: "unix", path: seqPath });
      await s.send("a record");
      assert.equal((await s.recv(100, { timeout: 5000 })).toString(), "a record");
      s.close();

      child.kill("SIGTERM");
      assert.equal((await notifySock.recv(4096, { timeout: 10_000 })).toString(), "STOPPING=1");
      assert.equal(await exited, 0, err);
      assert.match(out, /activated-server: stopped/);
      notifySock.close();
    },
  );

  test("stand-alone, the example opens its own server", { timeout: 60_000 }, async () => {
    const path = join(dir, "standalone.sock");
    const env = { ...process.env };
    delete env.LISTEN_FDS;
    delete env.NOTIFY_SOCKET;
    const child = spawn(process.execPath, ["--import", "tsx", "examples/activated-server.ts", path], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let out = "";
    let err = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    const deadline = Date.now() + 20_000;
    while (!out.includes("ready")) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the example exited before printing 'ready'; stdout: ${out}; stderr: ${err}`);
      if (Date.now() > deadline)
        throw new Error(`the example did not print 'ready' within 20 s; stdout: ${out}; stderr: ${err}`);
      await sleep(20);
    }
    assert.match(out, /serving stand-alone on .*standalone\.sock/);
    assert.doesNotMatch(out, /told the service manager/);
    const c = new Socket("unix", "stream");
    await c.connect(path);
    await c.sendAll("hello");
    assert.equal((await c.recv(100, { timeout: 5000 })).toString(), "hello");
    c.close();
    child.kill("SIGINT");
    assert.equal(await exited, 0);
  });
});

/**
 * A stand-in for systemd-socket-activate (Debian's systemd package) where it
 * is not installed: binds and listens on each `-l` address (a port: [::]
 * dual-stack; a path: a Unix stream socket), puts them at fds 3…, sets
 * LISTEN_FDS and LISTEN_PID to its own pid and execs the command, as the real
 * one does (which waits for the first connection before it execs).
 */
const ACTIVATE = String.raw`
import fcntl, os, socket, sys
args = sys.argv[1:]
socks = []
while args and args[0] == "-l":
    a = args[1]; args = args[2:]
    if a.isdigit():
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", int(a)))
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(a)
    s.listen(16)
    socks.append(s)
# Out of the way first (a socket may sit at fd 3 or 4 already), then to 3, 4 ... inheritable.
high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD_CLOEXEC, 100) for s in socks]
for i, h in enumerate(high):
    os.dup2(h, 3 + i, inheritable=True)
    os.close(h)
os.environ["LISTEN_FDS"] = str(len(socks))
os.environ["LISTEN_PID"] = str(os.getpid())
print("Execing " + args[0], file=sys.stderr, flush=True)
os.execvp(args[0], args)
`;
const ACTIVATOR: string[] = which("systemd-socket-activate")
  ? ["systemd-socket-activate"]
  : ["python3", "-c", ACTIVATE];

/** The example's documented activated command line (its "Or:" line), with the port and path given. */
function documentedCommand(port: number, path: string): string[] {
  const text = readFileSync(join(ROOT, "examples/activated-server.ts"), "utf8");
  const line = /^ \* Or: +(systemd-socket-activate .*)$/m.exec(text);
  assert.ok(line, "the example documents a systemd-socket-activate command line");
  return line[1]!
    .replace(/\b7007\b/g, String(port))
    .replace("/tmp/echo.sock", path)
    .split(/\s+/);
}

async function freePort(): Promise<number> {
  const s = new Socket("inet6", "stream");
  s.bind("[::]:0");
  const port = (s.getsockname() as { port: number }).port;
  s.close();
  return port;
}

/** Starts `argv` with the activator in front (for the real one: a connection makes it exec). */
function activated(argv: string[]): {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
} {
  assert.equal(argv[0], "systemd-socket-activate");
  const cmd = [...ACTIVATOR, ...argv.slice(1)];
  // Its own process group: npx and tsx start children of their own, which a
  // kill of the launcher alone would leave running (with a port or socket).
  const child = spawn(cmd[0]!, cmd.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
  groups.add(child);
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function until(what: string, cond: () => boolean, info: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in 30 s: ${info()}`);
    await sleep(20);
  }
}

describe(`the example under ${ACTIVATOR[0] === "python3" ? "an emulated" : "the real"} systemd-socket-activate`, () => {
  test("its documented command line works: TCP and Unix connections are echoed", { timeout: 90_000 }, async () => {
    const port = await freePort();
    const path = join(dir, "documented.sock");
    const run = activated(documentedCommand(port, path));
    await until("listening", () => /Listening on|Execing/.test(run.err()) || existsSync(path), run.err);
    await sleep(200);
    // The real activator execs on the first connection; this one is the first.
    const c = await createConnection("127.0.0.1", port).catch((e: unknown) => {
      throw new Error(`${String(e)}; the activator said: ${run.err()}`);
    });
    await c.sendAll("over tcp");
    assert.equal((await c.recv(100, { timeout: 30_000 })).toString(), "over tcp", run.err() + run.out());
    c.close();
    await until(
      "ready",
      () => run.out().includes("ready"),
      () => run.err() + run.out(),
    );
    assert.match(run.out(), /serving \S+ inet6?\/stream on /);
    assert.match(run.out(), /serving \S+ unix\/stream on /);
    const u = new Socket("unix", "stream");
    await u.connect(path);
    await u.sendAll("over unix");
    assert.equal((await u.recv(100, { timeout: 10_000 })).toString(), "over unix");
    u.close();
    assert.doesNotMatch(run.err(), /SOCKIT_LISTEN_PID_MISMATCH/);
    run.child.kill("SIGTERM");
    await run.exited;
    rmSync(path, { force: true });
  });

  test(
    "started through npx (LISTEN_PID is npx's): a warning names the cause, and the fallback's EADDRINUSE is one line",
    { timeout: 90_000, skip: which("npx") ? false : "needs npx" },
    async () => {
      const port = await freePort();
      const run = activated([
        "systemd-socket-activate",
        "-l",
        String(port),
        "npx",
        "tsx",
        "examples/activated-server.ts",
        String(port),
      ]);
      await until("listening", () => /Listening on|Execing/.test(run.err()), run.err);
      await sleep(200);
      const c = new Socket("inet6", "stream");
      await c.connect(`[::1]:${port}`).catch(() => undefined);
      const code = await run.exited;
      c.close();
      assert.equal(code, 1, run.err());
      assert.match(
        run.err(),
        /\[SOCKIT_LISTEN_PID_MISMATCH\] SocketActivationWarning: LISTEN_FDS=1 is set, but LISTEN_PID=\d+ is an ancestor/,
      );
      assert.match(
        run.err(),
        new RegExp(
          `^activated-server: bind EADDRINUSE 127\\.0\\.0\\.1:${port} \\(something already listens there`,
          "m",
        ),
      );
      assert.doesNotMatch(run.err(), /^\s+at /m, "no stack trace");
    },
  );
});

describe("notify", () => {
  test("sends the state to a NOTIFY_SOCKET path; objects become KEY=value lines", async () => {
    const path = join(dir, "notify.sock");
    const manager = new Socket("unix", "dgram");
    manager.bind(path);
    await withEnv({ NOTIFY_SOCKET: path }, async () => {
      assert.equal(await notify("READY=1"), true);
      assert.equal((await manager.recv(100)).toString(), "READY=1");
      assert.equal(await notify({ STATUS: "warming up", MAINPID: 42 }), true);
      assert.equal((await manager.recv(100)).toString(), "STATUS=warming up\nMAINPID=42");
      // FDSTORE=1 with fds: the manager receives duplicates (SCM_RIGHTS); ours stay open.
      const [x, y] = socketpair("unix", "stream");
      assert.equal(await notify("FDSTORE=1\nFDNAME=conn", { fds: [x] }), true);
      const m = await manager.recvmsg({ size: 100, maxFds: 4 });
      assert.equal(m.data.toString(), "FDSTORE=1\nFDNAME=conn");
      assert.equal(m.fds.length, 1);
      const stored = Socket.fromFd(m.fds[0]!);
      await stored.send("via the stored fd");
      assert.equal((await y.recv(100)).toString(), "via the stored fd");
      for (const s of [stored, x, y]) s.close();
      assert.throws(() => notify("READY=1", { fds: 3 as never }), { code: "ERR_INVALID_ARG_TYPE" });
      assert.equal(await notify("WATCHDOG=1", { unsetEnvironment: true }), true);
      assert.equal(process.env.NOTIFY_SOCKET, undefined);
      assert.equal(await notify("READY=1"), false);
    });
    manager.close();
  });

  test("errors: nobody listening, a relative path, bad state", async () => {
    await withEnv({ NOTIFY_SOCKET: join(dir, "nobody.sock") }, () =>
      assert.rejects(notify("READY=1"), { code: "ENOENT" }),
    );
    await withEnv({ NOTIFY_SOCKET: "relative.sock" }, () => assert.rejects(notify("READY=1"), { code: "EINVAL" }));
    assert.throws(() => notify(""), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => notify(5 as never), { code: "ERR_INVALID_ARG_TYPE" });
  });
});
