/**
 * The live stats line of `sockit relay`, seen in a real terminal: the relay
 * runs in a tmux pane (a pseudo-terminal), data flows through it, and
 * capture-pane shows the line with bytes and rate each way. Skipped, with the
 * reason, where tmux is not installed.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import net from "node:net";
import { after, describe, it } from "node:test";
import { ROOT, which } from "../helpers.js";

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
        /tcp-listen:127\.0\.0\.1:0 ⇄ tcp:127\.0\.0\.1:\d+ {2}→ [\d.]+ (KiB|MiB|GiB) [\d.]+ ?(KiB|MiB|GiB)?\/s {2}← 0 0\/s/,
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
