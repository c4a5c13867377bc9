/**
 * `sockit resolve`, run for real from source, checked against `getent ahosts`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function sockit(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "cli/main.ts", "resolve", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("sockit resolve", () => {
  test("--json gives getaddrinfo's results, as getent ahosts lists them", () => {
    const r = sockit("--json", "localhost");
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { address: string; type: string }[];
    const getent = spawnSync("getent", ["ahosts", "localhost"], { encoding: "utf8" })
      .stdout.trim()
      .split("\n")
      .map((l) => l.split(/\s+/).slice(0, 2).join(" "));
    assert.deepEqual(
      rows.map((x) => `${x.address} ${x.type.toUpperCase()}`),
      getent,
    );
  });

  test("a piped table: header and one row per result; service and type hints", () => {
    const r = sockit("-4", "-t", "stream", "127.0.0.1", "http");
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.deepEqual(lines[0]!.split(/\s+/), ["FAMILY", "TYPE", "PROTOCOL", "ADDRESS", "PORT"]);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/\s+/)),
      [["inet", "stream", "tcp", "127.0.0.1", "80"]],
    );
  });

  test("--reverse and --canonname add columns", () => {
    const r = sockit("--reverse", "--canonname", "-t", "stream", "127.0.0.1");
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.deepEqual(lines[0]!.split(/\s+/).slice(-2), ["CANONNAME", "NAME"]);
    const host = spawnSync("getent", ["hosts", "127.0.0.1"], { encoding: "utf8" }).stdout.trim().split(/\s+/)[1];
    assert.equal(lines[1]!.split(/\s+/).pop(), host);
  });

  test("--passive with an empty name: the wildcard addresses", () => {
    const r = sockit("--json", "--passive", "-t", "stream", "", "8080");
    assert.equal(r.code, 0, r.stderr);
    const addrs = (JSON.parse(r.stdout) as { address: string }[]).map((x) => x.address).sort();
    assert.ok(addrs.includes("0.0.0.0"));
  });

  test("a failed lookup is one line with the EAI code, exit 1; bad usage exits 2", () => {
    const r = sockit("--numeric-host", "not-an-address");
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, "sockit: getaddrinfo EAI_NONAME not-an-address: Name or service not known\n");
    assert.equal(sockit("-4", "-6", "localhost").code, 2);
    assert.equal(sockit("-t", "bogus", "localhost").code, 2);
  });
});
