/**
 * The resolver against the system's own tools: names from /etc/hosts and numeric
 * hosts only (no network), compared with `getent ahosts` / `getent services` /
 * `getent protocols` / `getent hosts`, which call the same libc.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { describe, test } from "node:test";
import {
  AI,
  NI,
  ResolveError,
  getaddrinfo,
  gethostbyaddr,
  gethostbyname,
  gethostbyname_ex,
  gethostname,
  getnameinfo,
  getprotobyname,
  getprotobynumber,
  getservbyname,
  getservbyport,
  if_indextoname,
  if_nameindex,
  if_nametoindex,
  type AddrInfo,
} from "../../src/index.js";

/** `getent` output lines, or [] when it finds nothing (exit status 2). */
function getent(...args: string[]): string[] {
  try {
    return execFileSync("getent", args, { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  } catch (e) {
    if ((e as { status?: number }).status === 2) return [];
    throw e;
  }
}

/** The host names /etc/hosts lists (first few, no comments). */
const hostsNames = [
  ...new Set(
    readFileSync("/etc/hosts", "utf8")
      .split("\n")
      .map((l) => l.replace(/#.*/, "").trim())
      .filter(Boolean)
      .flatMap((l) => l.split(/\s+/).slice(1)),
  ),
].slice(0, 6);

/** "address SOCKTYPE" pairs, as getent ahosts prints them. */
function ours(list: AddrInfo[]): string[] {
  return list.map((a) => `${(a.address as { address: string }).address} ${String(a.socktype).toUpperCase()}`);
}

function theirs(lines: string[]): string[] {
  return lines.map((l) => {
    const [addr, type] = l.split(/\s+/);
    return `${addr} ${type}`;
  });
}

describe("getaddrinfo", () => {
  test("names from /etc/hosts give what getent ahosts/ahostsv4/ahostsv6 give, in order", async () => {
    assert.ok(hostsNames.length > 0);
    for (const name of hostsNames) {
      assert.deepEqual(ours(await getaddrinfo(name, null)), theirs(getent("ahosts", name)), name);
      // ahostsv6 asks for AF_INET6 with AI_V4MAPPED | AI_ALL.
      assert.deepEqual(
        ours(await getaddrinfo(name, null, { family: "inet6", flags: AI.AI_V4MAPPED | AI.AI_ALL })),
        theirs(getent("ahostsv6", name)),
        name,
      );
      assert.deepEqual(ours(await getaddrinfo(name, null, { family: "inet" })), theirs(getent("ahostsv4", name)), name);
    }
  });

  test("numeric hosts, with service names and ports", async () => {
    const r = await getaddrinfo("127.0.0.1", "http", { socktype: "stream" });
    assert.deepEqual(r, [
      {
        family: "inet",
        socktype: "stream",
        protocol: "tcp",
        address: { family: "inet", address: "127.0.0.1", port: 80 },
        flags: 0,
      },
    ]);
    const v6 = await getaddrinfo("::1", 8080, { socktype: "dgram", flags: AI.AI_NUMERICHOST | AI.AI_NUMERICSERV });
    assert.equal(v6.length, 1);
    assert.equal(v6[0]!.protocol, "udp");
    assert.deepEqual(v6[0]!.address, { family: "inet6", address: "::1", port: 8080, flowinfo: 0, scopeId: 0 });
    const scoped = await getaddrinfo("fe80::1%lo", null, { socktype: "stream" });
    assert.equal((scoped[0]!.address as { scopeId: number }).scopeId, if_nametoindex("lo"));
  });

  test("AI_PASSIVE with no host gives the wildcard; without it, loopback", async () => {
    const passive = await getaddrinfo(null, "80", { family: "inet", socktype: "stream", flags: AI.AI_PASSIVE });
    assert.equal((passive[0]!.address as { address: string }).address, "0.0.0.0");
    const active = await getaddrinfo(null, "80", { family: "inet6", socktype: "stream" });
    assert.equal((active[0]!.address as { address: string }).address, "::1");
  });

  test("AI_CANONNAME puts the canonical name on the first result", async () => {
    const r = await getaddrinfo("localhost", null, { flags: AI.AI_CANONNAME, socktype: "stream" });
    assert.equal(r[0]!.canonname, getent("ahosts", "localhost")[0]!.split(/\s+/)[2]);
  });

  test("AI_V4MAPPED maps IPv4 results for an inet6 query", async () => {
    const r = await getaddrinfo("127.0.0.1", null, { family: "inet6", flags: AI.AI_V4MAPPED, socktype: "stream" });
    assert.equal((r[0]!.address as { address: string }).address, "::ffff:127.0.0.1");
  });

  test("AI_ADDRCONFIG is accepted and still resolves loopback names", async () => {
    const r = await getaddrinfo("127.0.0.1", "22", { flags: AI.AI_ADDRCONFIG, socktype: "stream" });
    assert.equal(r.length, 1);
  });

  test("errors keep their EAI code and libc's message", async () => {
    await assert.rejects(getaddrinfo("not-a-number", null, { flags: AI.AI_NUMERICHOST }), (e: unknown) => {
      assert.ok(e instanceof ResolveError);
      assert.equal(e.code, "EAI_NONAME");
      assert.equal(e.syscall, "getaddrinfo");
      assert.equal(e.hostname, "not-a-number");
      assert.match(e.message, /^getaddrinfo EAI_NONAME not-a-number: Name or service not known$/);
      return true;
    });
    await assert.rejects(getaddrinfo("127.0.0.1", "no-such-service-x"), { code: "EAI_SERVICE" });
    await assert.rejects(getaddrinfo("127.0.0.1", "http", { flags: AI.AI_NUMERICSERV }), { code: "EAI_NONAME" });
    await assert.rejects(getaddrinfo("127.0.0.1", "http", { socktype: "raw", protocol: 250 }), (e: unknown) => {
      assert.ok(e instanceof ResolveError);
      assert.ok(["EAI_SERVICE", "EAI_SOCKTYPE"].includes(e.code), e.code);
      return true;
    });
    await assert.rejects(getaddrinfo("127.0.0.1", null, { family: 99 }), { code: "EAI_FAMILY" });
    await assert.rejects(getaddrinfo("::1", null, { family: "inet", flags: AI.AI_NUMERICHOST }), (e: unknown) => {
      assert.ok(e instanceof ResolveError);
      assert.ok(["EAI_ADDRFAMILY", "EAI_NONAME"].includes(e.code), e.code);
      return true;
    });
    // RFC 6761: .invalid never resolves; without network the answer may be "try again".
    await assert.rejects(getaddrinfo("nosuch.invalid", null), (e: unknown) => {
      assert.ok(e instanceof ResolveError);
      assert.ok(["EAI_NONAME", "EAI_AGAIN", "EAI_NODATA", "EAI_FAIL"].includes(e.code), e.code);
      return true;
    });
  });

  test("runs off the event loop: many lookups at once, the loop keeps ticking", async () => {
    let ticks = 0;
    const iv = setInterval(() => ticks++, 0);
    const all = await Promise.all(Array.from({ length: 64 }, () => getaddrinfo("localhost", "http")));
    clearInterval(iv);
    assert.equal(all.length, 64);
    assert.ok(all.every((r) => r.length === all[0]!.length));
    void ticks;
  });
});

describe("getnameinfo", () => {
  test("names and services match getent hosts / services", async () => {
    const host = getent("hosts", "127.0.0.1")[0]!.split(/\s+/)[1]!;
    assert.deepEqual(await getnameinfo("127.0.0.1:22"), {
      host,
      service: getent("services", "22/tcp")[0]!.split(/\s+/)[0]!,
    });
    assert.deepEqual(await getnameinfo({ family: "inet", address: "127.0.0.1", port: 53 }, NI.NI_DGRAM), {
      host,
      service: getent("services", "53/udp")[0]!.split(/\s+/)[0]!,
    });
  });

  test("NI_NUMERICHOST / NI_NUMERICSERV", async () => {
    assert.deepEqual(await getnameinfo("[::1]:22", NI.NI_NUMERICHOST | NI.NI_NUMERICSERV), {
      host: "::1",
      service: "22",
    });
    assert.deepEqual(await getnameinfo("127.0.0.1:65000", NI.NI_NUMERICHOST), { host: "127.0.0.1", service: "65000" });
  });

  test("NI_NAMEREQD with a numeric-only flag conflict still answers by name from /etc/hosts", async () => {
    const r = await getnameinfo("127.0.0.1:0", NI.NI_NAMEREQD | NI.NI_NUMERICSERV);
    assert.equal(r.host, getent("hosts", "127.0.0.1")[0]!.split(/\s+/)[1]);
    assert.equal(r.service, "0");
  });

  test("bad flags are EAI_BADFLAGS", async () => {
    await assert.rejects(getnameinfo("127.0.0.1:1", 0x40000000), { code: "EAI_BADFLAGS" });
  });
});

describe("gethostby*", () => {
  test("gethostbyname / gethostbyname_ex / gethostbyaddr agree with getent hosts", async () => {
    for (const name of hostsNames) {
      const line = getent("hosts", name)[0];
      if (line === undefined || line.includes(":")) continue;
      const [addr, official, ...aliases] = line.split(/\s+/);
      assert.equal(await gethostbyname(name), addr);
      const e = await gethostbyname_ex(name);
      assert.equal(e.name, official);
      assert.deepEqual(e.aliases, aliases);
      assert.equal(e.family, "inet");
      assert.ok(e.addresses.includes(addr!));
    }
    const byAddr = await gethostbyaddr("127.0.0.1");
    assert.equal(byAddr.name, getent("hosts", "127.0.0.1")[0]!.split(/\s+/)[1]);
    assert.deepEqual(byAddr.addresses, ["127.0.0.1"]);
  });

  test("numeric names resolve without lookup; unknown names are EAI_NONAME-like", async () => {
    assert.equal(await gethostbyname("192.0.2.7"), "192.0.2.7");
    const v6 = await gethostbyname_ex("::1", "inet6");
    assert.deepEqual(v6.addresses, ["::1"]);
    assert.equal(v6.family, "inet6");
    await assert.rejects(gethostbyname("nosuch.invalid"), (e: unknown) => {
      assert.ok(e instanceof ResolveError);
      assert.equal(e.syscall, "gethostbyname");
      assert.ok(["EAI_NONAME", "EAI_AGAIN", "EAI_NODATA", "EAI_FAIL"].includes(e.code), e.code);
      return true;
    });
  });
});

describe("services and protocols", () => {
  const services = getent("services")
    .map((l) => l.split(/\s+/))
    .filter((f) => f.length >= 2)
    .slice(0, 40);

  test("getservbyname/getservbyport agree with getent services", async () => {
    assert.ok(services.length > 10);
    for (const [name, portProto, ...aliases] of services) {
      const [port, proto] = portProto!.split("/");
      const byName = await getservbyname(name!, proto);
      assert.deepEqual(byName, { name, aliases, port: Number(port), proto }, name);
      const byPort = await getservbyport(Number(port), proto);
      assert.deepEqual(byPort, byName, `${port}/${proto}`);
      // By alias too.
      for (const alias of aliases) assert.equal((await getservbyname(alias, proto)).name, name);
    }
  });

  test("unknown services are EAI_NONAME", async () => {
    await assert.rejects(getservbyname("no-such-service-x", "tcp"), {
      code: "EAI_NONAME",
      syscall: "getservbyname",
    });
    await assert.rejects(getservbyport(1, "sctp-x"), { code: "EAI_NONAME" });
  });

  test("getprotobyname/getprotobynumber agree with getent protocols", async () => {
    for (const line of getent("protocols").slice(0, 20)) {
      const [name, num, ...aliases] = line.split(/\s+/);
      assert.deepEqual(await getprotobyname(name!), { name, number: Number(num), aliases });
      // A number may have several entries (0: ip and hopopt): by number gives the first, as getent does.
      const [first, , ...firstAliases] = getent("protocols", num!)[0]!.split(/\s+/);
      assert.deepEqual(await getprotobynumber(Number(num)), {
        name: first,
        number: Number(num),
        aliases: firstAliases,
      });
    }
    await assert.rejects(getprotobyname("no-such-proto"), { code: "EAI_NONAME" });
  });
});

describe("host name and interfaces", () => {
  test("gethostname is os.hostname()", async () => {
    assert.equal(await gethostname(), hostname());
  });

  test("if_nameindex lists what if_nametoindex/if_indextoname agree with", () => {
    const list = if_nameindex();
    assert.ok(list.some((i) => i.name === "lo"));
    for (const { index, name } of list) {
      assert.equal(if_nametoindex(name), index);
      assert.equal(if_indextoname(index), name);
    }
  });
});
