/**
 * Sockets created inside another network namespace: `createSocket(..., { netns })`
 * and `runInNetns`. The test makes its own namespace with `ip netns add` and
 * deletes it after; a TCP listener created there serves clients created there,
 * its address does not exist outside, and
 * the thread is always back in its own namespace afterwards. Needs root.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { openSync, closeSync, readlinkSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Socket, createSocket, listLinks, netnsPath, runInNetns } from "../../src/index.js";
import { type FdSet, newFds, openFds, which } from "../helpers.js";

const root = process.getuid?.() === 0;
const skip = !root ? "needs root (setns needs CAP_SYS_ADMIN)" : !which("ip") ? "needs iproute2's ip" : false;
const NS = `sockit-ns-${process.pid}`;
const here = (): string => readlinkSync("/proc/thread-self/ns/net");

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe("network namespaces", { skip }, () => {
  let fdsBefore: FdSet;
  before(() => {
    ip("netns", "add", NS);
    ip("-n", NS, "link", "set", "lo", "up");
    ip("-n", NS, "addr", "add", "10.55.0.1/32", "dev", "lo");
    fdsBefore = openFds();
  });
  after(() => {
    try {
      ip("netns", "del", NS);
    } catch {
      /* gone */
    }
  });

  test("a listener created in the namespace serves there, and only there", async () => {
    const before = here();
    const srv = createSocket("inet", "stream", "tcp", { netns: NS });
    assert.equal(here(), before, "back in our own namespace");
    srv.bind("10.55.0.1:0"); // an address that exists only inside the namespace
    srv.listen();
    const { port } = srv.getsockname() as { port: number };
    // A client created in the namespace reaches it; one created here cannot.
    const c = createSocket("inet", "stream", undefined, { netns: NS });
    await c.connect(`10.55.0.1:${port}`);
    const conn = await srv.accept();
    await c.send("across");
    assert.equal((await conn.recv()).toString(), "across");
    // ss inside the namespace sees the listener.
    assert.match(ip("netns", "exec", NS, "ss", "-ltn"), new RegExp(`10\\.55\\.0\\.1:${port}`));
    // Out here the address does not exist: binding it fails (no packet is sent anywhere).
    const outside = new Socket("inet", "stream");
    assert.throws(() => outside.bind("10.55.0.1:0"), { code: "EADDRNOTAVAIL" });
    for (const s of [outside, c, conn, srv]) s.close();
    assert.deepEqual(newFds(fdsBefore), []);
  });

  test("runInNetns runs synchronously inside and always comes back (also when fn throws)", () => {
    const before = here();
    const inside = runInNetns(NS, () => here());
    assert.notEqual(inside, before);
    assert.equal(here(), before);
    assert.throws(
      () =>
        runInNetns(`/run/netns/${NS}`, () => {
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.equal(here(), before);
    // An fd of the namespace works too (and stays the caller's).
    const fd = openSync(`/run/netns/${NS}`, "r");
    try {
      assert.equal(
        runInNetns(fd, () => here()),
        inside,
      );
    } finally {
      closeSync(fd);
    }
    assert.deepEqual(newFds(fdsBefore), []);
  });

  test("netlink connections open in the namespace see its links", async () => {
    const names = (await listLinks({ netns: NS })).map((l) => l.name);
    assert.deepEqual(names, ["lo"]);
  });

  test("errors: a missing namespace is ENOENT; bad arguments throw at once", () => {
    assert.throws(() => createSocket("inet", "stream", undefined, { netns: "sockit-no-such-ns" }), {
      name: "SocketError",
      code: "ENOENT",
      syscall: "open",
    });
    assert.throws(() => runInNetns("/proc/self/status", () => 1), { code: "EINVAL", syscall: "setns" });
    assert.throws(() => createSocket("inet", "stream", undefined, { netns: "" }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => createSocket("inet", "stream", undefined, { netns: {} as never }), {
      code: "ERR_INVALID_ARG_TYPE",
    });
    assert.throws(() => runInNetns(NS, "x" as never), { code: "ERR_INVALID_ARG_TYPE" });
    assert.throws(() => runInNetns(-1, () => 1), { code: "ERR_OUT_OF_RANGE" });
    assert.equal(netnsPath("blue"), "/run/netns/blue");
    assert.equal(netnsPath("/proc/1/ns/net"), "/proc/1/ns/net");
    assert.deepEqual(newFds(fdsBefore), []);
  });
});
