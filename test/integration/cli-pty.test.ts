/**
 * The live stats line of `sockit relay`, seen in a real terminal: the relay
 * runs in a tmux pane (a pseudo-terminal), data flows through it, and
 * capture-pane shows the line with bytes and rate each way. Skipped, with the
 * reason, where tmux is not installed.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import net from "node:net";
import { after, describe, it } from "node:test";
import { ROOT, runCli, which } from "../helpers.js";

const TMUX = which("tmux");
const SERVER = `sockit-test-${process.pid}`;

function tmux(...args: string[]): string {
  return execFileSync("tmux", ["-L", SERVER, ...args], { encoding: "utf8" });
}

function pane(): string {
  return tmux("capture-pane", "-p", "-t", "relay");
}

async function waitForPane(re: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const text = pane();
    const m = re.exec(text);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no ${re} in the pane:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("sockit relay in a terminal", { skip: TMUX ? false : "tmux is not installed (apt-get install tmux)" }, () => {
  after(() => spawnSync("tmux", ["-L", SERVER, "kill-server"]));

  it("draws a live line with bytes and rates each way, and clears it at the end", async () => {
    // A sink that discards what it gets.
    const sink = net.createServer((c) => c.resume());
    await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
    const sinkPort = (sink.address() as net.AddressInfo).port;
    const cmd = `cd ${JSON.stringify(ROOT)} && ${JSON.stringify(process.execPath)} --import tsx cli/main.ts -v relay --stats tcp-listen:127.0.0.1:0 tcp:127.0.0.1:${sinkPort}; echo relay-exit=$?; sleep 30`;
    tmux("new-session", "-d", "-s", "relay", "-x", "160", "-y", "40", "sh", "-c", cmd);
    const m = await waitForPane(/bind fd \d+ 127\.0\.0\.1:0 → 127\.0\.0\.1:(\d+)/);
    const client = net.connect(Number(m[1]), "127.0.0.1");
    await new Promise<void>((r) => client.once("connect", r));
    const chunk = Buffer.alloc(64 * 1024, 120);
    const timer = setInterval(() => client.write(chunk), 5);
    try {
      const live = await waitForPane(
        /tcp-listen:127\.0\.0\.1:0 ⇄ tcp:127\.0\.0\.1:\d+ {2}→ [\d.]+ (KiB|MiB|GiB) [\d.]+ ?(B|KiB|MiB|GiB)\/s {2}← 0 0 B\/s/,
      );
      assert.ok(live);
    } finally {
      clearInterval(timer);
      client.end();
    }
    const done = await waitForPane(/relay-exit=(\d+)/);
    assert.equal(done[1], "0");
    const text = pane();
    assert.match(text, /tcp-listen:127\.0\.0\.1:0 → tcp:127\.0\.0\.1:\d+: \d+ bytes/, "the --stats summary");
    assert.doesNotMatch(text, /⇄.*\n.*relay-exit/, "the live line is cleared before the summary");
    sink.close();
  });
});

/**
 * Runs argv in a fresh pseudo-terminal of `cols` columns (0: a pty whose size
 * nobody set, as some CI runners and `script` give) through Python's pty
 * module; everything the program writes to the terminal is collected.
 */
const PTY = String.raw`
import os, pty, sys, fcntl, termios, struct, signal
cols = int(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24 if cols else 0, cols, 0, 0))
    os.execvp(sys.argv[2], sys.argv[2:])
# A watchdog of its own: whatever happens to the test, the child dies in 30 s.
signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
signal.alarm(30)
while True:
    try:
        b = os.read(fd, 65536)
    except OSError:
        break
    if not b:
        break
    sys.stdout.buffer.write(b)
    sys.stdout.buffer.flush()
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
`;

class PtyRun {
  out = "";
  readonly exited: Promise<number | null>;
  constructor(cols: number, args: string[]) {
    const child = spawn(
      "python3",
      ["-c", PTY, String(cols), process.execPath, "--import", "tsx", "cli/main.ts", ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", SOCKIT_NO_LIVE: "" }, stdio: ["ignore", "pipe", "inherit"] },
    );
    child.stdout.setEncoding("utf8").on("data", (d: string) => (this.out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    this.exited = new Promise((resolve) =>
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve(code);
      }),
    );
  }
  async waitFor(re: RegExp): Promise<RegExpMatchArray> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const m = re.exec(this.out);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`no ${re} in the terminal:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe("sockit in a pseudo-terminal (python3 pty)", { skip: which("python3") ? false : "needs python3" }, () => {
  it("send --reply and recv end a payload without a newline with one on a terminal (and only there)", async () => {
    const echo = dgram.createSocket("udp4");
    echo.on("message", (m, r) => echo.send(m, r.port, r.address));
    await new Promise<void>((r) => echo.bind(0, "127.0.0.1", r));
    const port = echo.address().port;
    try {
      const s = new PtyRun(80, ["send", "--reply", `udp:127.0.0.1:${port}`, "no newline"]);
      assert.equal(await s.exited, 0, s.out);
      assert.equal(s.out, "no newline\r\n");
      const piped = await runCli(["send", "--reply", `udp:127.0.0.1:${port}`, "no newline"]);
      assert.equal(piped.stdout, "no newline", "piped output stays byte-exact");
      const withNl = new PtyRun(80, ["send", "--reply", `udp:127.0.0.1:${port}`, "line\n"]);
      assert.equal(await withNl.exited, 0);
      assert.equal(withNl.out, "line\r\n", "no second newline");
    } finally {
      echo.close();
    }
    const r = new PtyRun(80, ["-v", "recv", "-c", "2", "udp-listen:127.0.0.1:0"]);
    const m = await r.waitFor(/bind fd \d+ 127\.0\.0\.1:0 → 127\.0\.0\.1:(\d+)/);
    const tx = dgram.createSocket("udp4");
    for (const d of ["one", "two"])
      await new Promise<void>((res) => tx.send(d, Number(m[1]), "127.0.0.1", () => res()));
    tx.close();
    assert.equal(await r.exited, 0, r.out);
    assert.match(r.out, /\r\none\r\n[^]*\r\ntwo\r\n/);
  });

  for (const cols of [0, 40]) {
    it(`the relay's live line in a ${cols}-column terminal keeps the numbers (not cut to the address)`, async () => {
      const sink = net.createServer((c) => c.resume());
      await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
      const sinkPort = (sink.address() as net.AddressInfo).port;
      const relay = new PtyRun(cols, ["-v", "relay", "tcp-listen:127.0.0.1:0", `tcp:127.0.0.1:${sinkPort}`]);
      const m = await relay.waitFor(/bind fd (\d+) 127\.0\.0\.1:0 → 127\.0\.0\.1:(\d+)/);
      // Connecting between bind and listen would be refused.
      await relay.waitFor(new RegExp(`listen fd ${m[1]} `));
      const client = net.connect(Number(m[2]), "127.0.0.1");
      await new Promise<void>((r) => client.once("connect", r));
      const chunk = Buffer.alloc(16 * 1024, 120);
      const timer = setInterval(() => client.write(chunk), 5);
      try {
        await relay.waitFor(/→ [\d.]+ (KiB|MiB|GiB) [\d.]+ (B|KiB|MiB|GiB)\/s {2}← 0 0 B\/s/);
      } finally {
        clearInterval(timer);
        client.end();
      }
      assert.equal(await relay.exited, 0, relay.out);
      sink.close();
      const drawn = relay.out
        .split(/\r|\n/)
        .map((l) => l.replaceAll("\u001b[K", ""))
        .filter((l) => l.includes("← "));
      assert.ok(drawn.length > 0, relay.out);
      for (const l of drawn) {
        if (cols === 0)
          assert.match(l, /^tcp-listen:127\.0\.0\.1:0 ⇄ tcp:127\.0\.0\.1:\d+ {2}→ .* ← /, "0 columns: the whole line");
        else assert.ok([...l].length < cols, `fits in ${cols} columns: ${l}`);
      }
    });
  }
});
