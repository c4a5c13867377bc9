/**
 * A real browser reaches a Unix seqpacket service through
 * `sockit relay ws-listen:… unix-seqpacket:…`: Debian's chromium, driven
 * headless by playwright-core, loads a page whose script sends two WebSocket
 * messages; a Python seqpacket peer answers each one, and the test reads the
 * answers from the page. Skipped, with the reason, where chromium is not
 * installed (apt-get install chromium) — CI machines do not have it.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT, which } from "../helpers.js";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p)) ?? which("chromium");

const SERVER = String.raw`
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(sys.argv[1]); s.listen()
print("ready", flush=True)
c, _ = s.accept()
while True:
    m = c.recv(65536)
    if not m:
        break
    c.send(b"seqpacket says: " + m)
`;

function collect(child: ChildProcess): { text: () => string } {
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (out += d));
  return { text: () => out };
}

async function waitFor(get: () => string, re: RegExp, what: string): Promise<RegExpMatchArray> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const m = re.exec(get());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`${what}: no ${re} in:\n${get()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe(
  "a browser through sockit's WebSocket relay",
  { skip: CHROMIUM ? false : "chromium is not installed (apt-get install chromium)" },
  () => {
    it("a page talks to a Python unix-seqpacket peer via ws-listen", { timeout: 60_000 }, async () => {
      const { chromium } = await import("playwright-core");
      const dir = mkdtempSync(join(tmpdir(), "sockit-browser-"));
      const sockPath = join(dir, "svc.sock");
      const py = spawn("python3", ["-u", "-c", SERVER, sockPath], { stdio: ["ignore", "pipe", "pipe"] });
      const pyOut = collect(py);
      // origin=*: the page is set with setContent (about:blank, an opaque origin); a browser page
      // is refused unless its origin is allowed (cli-relay.test.ts checks the refusal).
      const relay = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "cli/main.ts",
          "-v",
          "relay",
          "ws-listen:127.0.0.1:0/svc,origin=*",
          `unix-seqpacket:${sockPath}`,
        ],
        { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
      );
      const relayOut = collect(relay);
      // Listen for the exit now: the relay may end before the page's replies are read.
      const relayExit = new Promise<number | null>((r) => relay.once("close", r));
      const browser = await chromium.launch({
        executablePath: CHROMIUM!,
        headless: true,
        args: ["--no-sandbox"],
        timeout: 30_000,
      });
      try {
        await waitFor(pyOut.text, /ready/, "python");
        const m = await waitFor(relayOut.text, /websocket listen 127\.0\.0\.1:(\d+)\/svc/, "sockit relay");
        const page = await browser.newPage();
        await page.setContent(`<!doctype html><title>sockit</title><ul id="out"></ul>
<script>
const ws = new WebSocket("ws://127.0.0.1:${m[1]}/svc");
ws.binaryType = "arraybuffer";
const replies = [];
ws.onopen = () => { ws.send("hello from the page"); ws.send("second message"); };
ws.onmessage = (e) => {
  const text = new TextDecoder().decode(e.data);
  replies.push(text);
  const li = document.createElement("li"); li.textContent = text; document.getElementById("out").append(li);
  if (replies.length === 2) { window.replies = replies; ws.close(); }
};
ws.onerror = () => { window.replies = ["websocket error"]; };
</script>`);
        // Evaluated in the page (strings: this project's types have no DOM).
        await page.waitForFunction("window.replies !== undefined", undefined, { timeout: 20_000 });
        const replies = (await page.evaluate("window.replies")) as string[];
        assert.deepEqual(replies, ["seqpacket says: hello from the page", "seqpacket says: second message"]);
        assert.deepEqual(await page.locator("#out li").allTextContents(), replies);
        const code = await relayExit;
        assert.equal(code, 0, relayOut.text());
      } finally {
        await browser.close();
        relay.kill();
        py.kill();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
