/**
 * The message examples, run as a reader would run them (each its own
 * process, `node --import tsx`), and the UDP one again inside a fresh network
 * namespace with two IPv4 and two IPv6 addresses of its own (root only), where
 * a wildcard-bound server would answer from the wrong one without IP_PKTINFO.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { TWO_ADDRESS_NETNS, canUnshare } from "../helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function run(
  cmd: string,
  args: string[],
  timeoutMs = 30000,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

function example(name: string, args: string[] = []): Promise<{ code: number | null; out: string; err: string }> {
  return run(process.execPath, ["--import", "tsx", join(ROOT, "examples", name), ...args]);
}

test("udp-reply-from-dst answers from the address each query was sent to", async () => {
  const r = await example("udp-reply-from-dst.ts");
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /asked 127\.0\.0\.2, the answer came from 127\.0\.0\.2/);
  assert.match(r.out, /asked ::1, the answer came from ::1/);
});

test(
  "udp-reply-from-dst in a network namespace with two addresses per family",
  { skip: canUnshare ? false : "needs root, unshare(1) and ip(8)" },
  async () => {
    const script = [
      ...TWO_ADDRESS_NETNS,
      `exec "${process.execPath}" --import tsx examples/udp-reply-from-dst.ts 10.77.0.1 10.77.0.2 fd77::1 fd77::2`,
    ].join("\n");
    const r = await run("unshare", ["-n", "sh", "-c", script]);
    assert.equal(r.code, 0, r.out + r.err);
    for (const a of ["10.77.0.1", "10.77.0.2", "fd77::1", "fd77::2"]) {
      assert.match(
        r.out,
        new RegExp(`asked ${a.replace(/\./g, "\\.")}, the answer came from ${a.replace(/\./g, "\\.")}\\n`),
      );
    }
  },
);

test("pass-listener hands its listener to a successor without refusing a connection", async () => {
  const r = await example("pass-listener.ts", ["15"]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /15 answers \(\d+ by the old server, \d+ by the new one\), 0 failures/);
  assert.match(r.out, /new server \d+: got the listener/);
});

test("privsep-opener passes the allowed file and refuses the rest", async () => {
  const r = await example("privsep-opener.ts");
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /got an fd, the file says "the helper opened this for you"/);
  assert.match(r.out, /asked for \/etc\/hostname: denied: not in the policy/);
  if (process.getuid?.() === 0) assert.match(r.out, /cannot open .* myself: EACCES/);
});
