/**
 * rtnetlink, sock_diag, uevents and generic netlink on the real kernel, inside
 * network namespaces the test creates (and deletes) with `ip netns`; only
 * addresses inside those namespaces are used, and no traffic leaves them.
 * Compared against iproute2 (`ip -j`, `ss`). Needs root (CAP_NET_ADMIN and
 * CAP_SYS_ADMIN for setns); skips with the reason otherwise.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  GENL,
  RTNLGRP,
  NetlinkConnection,
  NetlinkError,
  Socket,
  addAddress,
  addLink,
  addNeighbour,
  addRoute,
  deleteAddress,
  deleteLink,
  deleteNeighbour,
  deleteRoute,
  getGenlFamily,
  getLink,
  listAddresses,
  listLinks,
  listNeighbours,
  listRoutes,
  listSockets,
  monitorRoute,
  monitorUevents,
  setLink,
  type RouteEvent,
} from "../../src/index.js";
import { type FdSet, newFds, openFds, which, within } from "../helpers.js";

const root = process.getuid?.() === 0;
const skip = !root ? "needs root (network namespaces, CAP_NET_ADMIN)" : !which("ip") ? "needs iproute2's ip" : false;
const NS = `sockit-nl-${process.pid}`;

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
function ipJson<T>(...args: string[]): T {
  return JSON.parse(ip("-j", ...args)) as T;
}

describe("rtnetlink in a test namespace", { skip }, () => {
  let fdsBefore: FdSet;
  before(() => {
    ip("netns", "add", NS);
    ip("-n", NS, "link", "set", "lo", "up");
    fdsBefore = openFds();
  });
  after(() => {
    try {
      ip("netns", "del", NS);
    } catch {
      /* already gone */
    }
  });

  test("links and addresses match ip -j", async () => {
    const links = await listLinks({ netns: NS });
    const theirs = ipJson<{ ifindex: number; ifname: string; mtu: number; operstate: string }[]>("-n", NS, "link");
    assert.deepEqual(
      links.map((l) => [l.index, l.name, l.mtu, l.operstate]),
      theirs.map((l) => [l.ifindex, l.ifname, l.mtu, l.operstate]),
    );
    const addrs = await listAddresses({}, { netns: NS });
    const theirAddrs = ipJson<{ ifindex: number; addr_info: { local: string; prefixlen: number; scope: string }[] }[]>(
      "-n",
      NS,
      "addr",
    ).flatMap((l) => l.addr_info.map((a) => [l.ifindex, a.local, a.prefixlen, a.scope]));
    assert.deepEqual(
      addrs.map((a) => [a.index, a.local, a.prefixlen, a.scope]),
      theirAddrs,
    );
    assert.ok(addrs.some((a) => a.local === "127.0.0.1"));
  });

  test("veth pair: add, set up, address, route, neighbour — and delete — seen by ip", async () => {
    const o = { netns: NS };
    await addLink({ name: "snl0", kind: "veth", peer: "snl1" }, o);
    const link = await getLink("snl0", o);
    assert.equal(link.kind, "veth");
    await setLink("snl0", { up: true, mtu: 1400 }, o);
    await setLink("snl1", { up: true }, o);
    assert.equal(ipJson<{ mtu: number }[]>("-n", NS, "link", "show", "snl0")[0]!.mtu, 1400);

    await addAddress({ link: "snl0", address: "10.77.0.1/24" }, o);
    await addAddress({ link: "snl0", address: "fd77::1/64", nodad: true }, o);
    const a = ipJson<{ addr_info: { local: string; prefixlen: number }[] }[]>("-n", NS, "addr", "show", "snl0")[0]!;
    assert.ok(a.addr_info.some((x) => x.local === "10.77.0.1" && x.prefixlen === 24));
    assert.ok(a.addr_info.some((x) => x.local === "fd77::1" && x.prefixlen === 64));
    await assert.rejects(addAddress({ link: "snl0", address: "10.77.0.1/24" }, o), (e: NetlinkError) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.code, "EEXIST");
      assert.equal(e.op, "RTM_NEWADDR");
      return true;
    });

    await addRoute({ dst: "10.78.0.0/24", gateway: "10.77.0.2", link: "snl0" }, o);
    await addRoute({ dst: "fd78::/64", gateway: "fd77::2" }, o);
    const routes = ipJson<{ dst: string; gateway?: string; dev: string }[]>("-n", NS, "route");
    assert.ok(routes.some((r) => r.dst === "10.78.0.0/24" && r.gateway === "10.77.0.2" && r.dev === "snl0"));
    const ours = await listRoutes({ family: "inet" }, o);
    assert.ok(ours.some((r) => r.dst === "10.78.0.0/24" && r.gateway === "10.77.0.2" && r.oif === link.index));
    assert.ok((await listRoutes({ family: "inet6" }, o)).some((r) => r.dst === "fd78::/64" && r.gateway === "fd77::2"));
    await assert.rejects(addRoute({ dst: "10.78.0.0/24", gateway: "10.77.0.2" }, o), {
      name: "NetlinkError",
      code: "EEXIST",
    });
    // A gateway on no link: the kernel says why (extended ack).
    await assert.rejects(addRoute({ dst: "10.79.0.0/24", gateway: "192.0.2.99" }, o), (e: NetlinkError) => {
      assert.equal(e.code, "ENETUNREACH");
      assert.equal(typeof e.kernelMessage, "string");
      return true;
    });
    await deleteRoute({ dst: "10.78.0.0/24" }, o);
    await deleteRoute({ dst: "fd78::/64" }, o);
    assert.ok(!ipJson<{ dst: string }[]>("-n", NS, "route").some((r) => r.dst === "10.78.0.0/24"));
    await assert.rejects(deleteRoute({ dst: "10.78.0.0/24" }, o), { code: "ESRCH" });

    await addNeighbour({ link: "snl0", address: "10.77.0.9", lladdr: "02:00:00:00:77:09" }, o);
    const neigh = await listNeighbours({ family: "inet" }, o);
    assert.ok(
      neigh.some((n) => n.dst === "10.77.0.9" && n.lladdr === "02:00:00:00:77:09" && n.state.includes("PERMANENT")),
    );
    assert.match(ip("-n", NS, "neigh", "show", "dev", "snl0"), /10\.77\.0\.9 lladdr 02:00:00:00:77:09 PERMANENT/);
    await deleteNeighbour({ link: "snl0", address: "10.77.0.9" }, o);

    await deleteAddress({ link: "snl0", address: "10.77.0.1/24" }, o);
    assert.ok(!(await listAddresses({ family: "inet" }, o)).some((x) => x.local === "10.77.0.1"));
    await deleteLink("snl0", o);
    await assert.rejects(getLink("snl0", o), { code: "ENODEV" });
    assert.deepEqual(newFds(fdsBefore), []);
  });

  test("monitorRoute sees a link and an address event caused in the namespace", async () => {
    const events: RouteEvent[] = [];
    const ac = new AbortController();
    const it = monitorRoute({ netns: NS, groups: ["link", "ipv4-address"], signal: ac.signal });
    const done = (async () => {
      for await (const ev of it) {
        events.push(ev);
        if (ev.kind === "address" && ev.address.local === "10.66.0.1") break;
      }
    })();
    ip("-n", NS, "link", "add", "smon0", "type", "veth", "peer", "name", "smon1");
    ip("-n", NS, "addr", "add", "10.66.0.1/24", "dev", "smon0");
    await within(done, "the address event", 5000);
    ac.abort();
    const newLink = events.find((e) => e.kind === "link" && e.action === "new" && e.link.name === "smon0");
    assert.ok(newLink, `a link event for smon0 in ${JSON.stringify(events.map((e) => e.kind))}`);
    const addr = events.find((e) => e.kind === "address");
    assert.ok(addr && addr.kind === "address" && addr.action === "new" && addr.address.prefixlen === 24);
    ip("-n", NS, "link", "del", "smon0");
  });

  test("monitorUevents sees the uevent of a device added in the namespace", async () => {
    const ac = new AbortController();
    const it = monitorUevents({ netns: NS, signal: ac.signal });
    const seen = (async () => {
      for await (const ev of it)
        if (ev.subsystem === "net" && ev.env.INTERFACE === "suev0" && ev.action === "add") return ev;
      return undefined;
    })();
    ip("-n", NS, "link", "add", "suev0", "type", "veth", "peer", "name", "suev1");
    const ev = await within(seen, "the uevent", 5000);
    ac.abort();
    assert.ok(ev);
    assert.match(ev.devpath, /\/net\/suev0$/);
    ip("-n", NS, "link", "del", "suev0");
  });

  test("listSockets finds this process's sockets with their inodes, states and Unix peers", async () => {
    const tcp = new Socket("inet", "stream");
    tcp.bind("127.0.0.1:0");
    tcp.listen(7);
    const udp = new Socket("inet6", "dgram");
    udp.bind("[::1]:0");
    const path = `@sockit-diag-${process.pid}`;
    const ux = new Socket("unix", "stream");
    ux.bind(path);
    ux.listen();
    const nl = NetlinkConnection.open("route");
    const inode = (s: Socket): number => Number(/socket:\[(\d+)\]/.exec(readlinkSync(`/proc/self/fd/${s.fd}`))![1]);
    try {
      const all = await listSockets();
      const t = all.find((s) => s.inode === inode(tcp))!;
      assert.equal(t.kind, "tcp");
      assert.equal(t.state, "LISTEN");
      assert.equal(t.sendQ, 7);
      assert.equal(t.localPort, (tcp.getsockname() as { port: number }).port);
      assert.equal(t.uid, process.getuid!());
      const u = all.find((s) => s.inode === inode(udp))!;
      assert.equal(u.kind, "udp");
      assert.equal(u.family, "inet6");
      assert.equal(u.state, "UNCONN");
      const x = all.find((s) => s.inode === inode(ux))!;
      assert.equal(x.kind, "unix");
      assert.equal(x.path, path);
      assert.equal(x.state, "LISTEN");
      const n = all.find((s) => s.inode === inode(nl.socket!))!;
      assert.equal(n.kind, "netlink");
      assert.equal(n.portid, nl.pid);
      // A connected pair: each names the other as peer.
      const c = new Socket("unix", "stream");
      await c.connect(path);
      const srv = await ux.accept();
      const pairs = await listSockets({ kinds: ["unix"] });
      const mine = pairs.find((s) => s.inode === inode(c))!;
      assert.equal(mine.peerInode, inode(srv));
      assert.equal(mine.state, "ESTAB");
      c.close();
      srv.close();
      // Only the namespace's own sockets: an empty namespace has no TCP listener.
      assert.deepEqual(
        (await listSockets({ netns: NS, kinds: ["tcp"] })).filter((s) => s.state === "LISTEN"),
        [],
      );
      // ss agrees on the inodes. Asked about our sockets only (by port, by path), so that
      // its output does not grow with how busy the host is (20,000 TIME-WAIT lines are 1.5 MB).
      const ss = (...args: string[]): string =>
        execFileSync("ss", ["-a", "-e", "-n", "-H", ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
      const port = (x: Socket): string => String((x.getsockname() as { port: number }).port);
      const ssOut = [
        ss("-t", "sport", "=", `:${port(tcp)}`),
        ss("-u", "sport", "=", `:${port(udp)}`),
        ss("-x", "src", path),
      ].join("\n");
      for (const s of [tcp, udp, ux]) assert.match(ssOut, new RegExp(`ino:${inode(s)}\\b|\\s${inode(s)}\\s`));
    } finally {
      tcp.close();
      udp.close();
      ux.close();
      nl.close();
    }
  });

  test("SOL_NETLINK options: memberships joined at open are listed; EXT_ACK is on", () => {
    const c = NetlinkConnection.open("route", { groups: [RTNLGRP.LINK, RTNLGRP.IPV4_IFADDR] });
    try {
      const s = c.socket!;
      assert.deepEqual(s.getsockopt("SOL_NETLINK", "NETLINK_LIST_MEMBERSHIPS"), [RTNLGRP.LINK, RTNLGRP.IPV4_IFADDR]);
      assert.equal(s.getsockopt("SOL_NETLINK", "NETLINK_EXT_ACK"), true);
      s.setsockopt("SOL_NETLINK", "NETLINK_DROP_MEMBERSHIP", RTNLGRP.LINK);
      assert.deepEqual(s.getsockopt("SOL_NETLINK", "NETLINK_LIST_MEMBERSHIPS"), [RTNLGRP.IPV4_IFADDR]);
      assert.throws(() => s.setsockopt("SOL_NETLINK", "NETLINK_LIST_MEMBERSHIPS", 1 as never));
    } finally {
      c.close();
    }
  });

  test("generic netlink: the controller finds itself", async () => {
    const f = await getGenlFamily("nlctrl");
    assert.equal(f.id, GENL.GENL_ID_CTRL);
    assert.equal(f.name, "nlctrl");
    assert.ok(f.ops.length > 0);
    await assert.rejects(getGenlFamily("sockit-none"), { name: "NetlinkError", code: "ENOENT" });
  });

  test("monitors close their socket on abort or return(), even before the first event", async () => {
    const fds = openFds();
    const ac = new AbortController();
    monitorRoute({ netns: NS, signal: ac.signal });
    monitorUevents({ netns: NS, signal: ac.signal });
    assert.equal(newFds(fds).length, 2);
    ac.abort();
    assert.deepEqual(newFds(fds), []);
    const it = monitorRoute({ groups: ["link"] });
    await it.return(undefined);
    assert.deepEqual(newFds(fds), []);
    assert.deepEqual(newFds(fdsBefore), []);
  });

  test("bad input is rejected at once", () => {
    assert.throws(() => addRoute({ dst: "10.0.0.0/99" }), { code: "ERR_INVALID_ADDRESS" });
    assert.throws(() => getLink(""), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => listAddresses({ family: "ipx" as never }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => listSockets({ kinds: ["sctp" as never] }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => monitorRoute({ groups: ["nope" as never] }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => getGenlFamily(""), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => NetlinkConnection.open("nosuch"), { code: "ERR_INVALID_ARG_VALUE" });
  });
});
