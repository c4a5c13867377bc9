/**
 * The message examples, run as a reader would run them (each its own
 * process, `node --import tsx`), and the UDP one again inside a fresh network
 * namespace with two IPv4 and two IPv6 addresses of its own (root only), where
 * a wildcard-bound server would answer from the wrong one without IP_PKTINFO.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { TWO_ADDRESS_NETNS, canUnshare } from "../helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function run(
  cmd: string,
  args: string[],
  timeoutMs = 30000,
  cwd = ROOT,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
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

/**
 * Where privsep-opener can run from. As root its worker runs as nobody, which
 * cannot read a checkout inside a private (0700) folder, as `mktemp -d` makes
 * one: then the files the worker loads — the example, src/, the addon,
 * package.json and tsx with esbuild — are copied to a temporary folder anyone
 * can read, and the example runs from there.
 */
function privsepRoot(): { root: string; cleanup: () => void } {
  const probe = spawnSync(
    process.execPath,
    ["-e", "require('fs').accessSync(process.argv[1], 4)", join(ROOT, "package.json")],
    {
      uid: 65534,
      gid: 65534,
    },
  );
  if (process.getuid?.() !== 0 || probe.status === 0) return { root: ROOT, cleanup: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), "sockit-privsep-tree-"));
  chmodSync(dir, 0o755);
  for (const part of [
    "package.json",
    "src",
    "examples/privsep-opener.ts",
    "build/Release/sockit.node",
    "node_modules/tsx",
    "node_modules/esbuild",
    "node_modules/@esbuild",
  ])
    cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  return { root: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test("privsep-opener passes the allowed file and refuses the rest", async () => {
  const { root, cleanup } = privsepRoot();
  after(cleanup);
  const r = await run(process.execPath, ["--import", "tsx", join(root, "examples", "privsep-opener.ts")], 30000, root);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /got an fd, the file says "the helper opened this for you"/);
  assert.match(r.out, /asked for \/etc\/hostname: denied: not in the policy/);
  if (process.getuid?.() === 0) assert.match(r.out, /cannot open .* myself: EACCES/);
});
