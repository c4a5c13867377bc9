/**
 * The pure parts of the resolver module: argument checks (thrown at once, before
 * any lookup), inet_aton/inet_ntoa against CPython, the EAI/AI/NI constants
 * against CPython, and the RFC 8305 interleaving order.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import {
  AI,
  EAI,
  NI,
  ResolveError,
  getaddrinfo,
  gethostbyaddr,
  gethostbyname_ex,
  getnameinfo,
  getprotobynumber,
  getservbyname,
  getservbyport,
  inet_aton,
  inet_ntoa,
  htons,
  ntohl,
} from "../../src/index.js";
import { interleave } from "../../src/connect.js";

const py = (code: string): string => execFileSync("python3", ["-c", code], { encoding: "utf8" }).trim();

function throwsCoded(fn: () => unknown, cls: typeof TypeError | typeof RangeError, code: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.equal((e as { code?: string }).code, code);
    return true;
  });
}

describe("resolver constants", () => {
  test("AI_*, NI_* and EAI_* match CPython's socket module", () => {
    const names = [
      ...Object.keys(AI).filter((k) => !k.includes("IDN")),
      ...Object.keys(NI).filter((k) => k.startsWith("NI_") && !k.includes("IDN") && !k.startsWith("NI_MAX")),
      ...Object.keys(EAI).filter((k) =>
        [
          "EAI_AGAIN",
          "EAI_BADFLAGS",
          "EAI_FAIL",
          "EAI_FAMILY",
          "EAI_MEMORY",
          "EAI_NONAME",
          "EAI_SERVICE",
          "EAI_SOCKTYPE",
          "EAI_SYSTEM",
          "EAI_OVERFLOW",
          "EAI_NODATA",
          "EAI_ADDRFAMILY",
        ].includes(k),
      ),
    ];
    const theirs = JSON.parse(
      py(
        `import socket, json; print(json.dumps({k: getattr(socket, k) for k in ${JSON.stringify(names)} if hasattr(socket, k)}))`,
      ),
    ) as Record<string, number>;
    const ours = { ...AI, ...NI, ...EAI } as Record<string, number>;
    assert.ok(Object.keys(theirs).length >= 20);
    for (const [k, v] of Object.entries(theirs)) assert.equal(ours[k], v, k);
  });

  test("ResolveError carries the EAI code, number, call and libc's message", () => {
    const e = new ResolveError(EAI.EAI_NONAME, "getaddrinfo", "nosuch.test", "http");
    assert.equal(e.code, "EAI_NONAME");
    assert.equal(e.errno, EAI.EAI_NONAME);
    assert.equal(e.syscall, "getaddrinfo");
    assert.equal(e.hostname, "nosuch.test");
    assert.equal(e.service, "http");
    assert.equal(e.message, "getaddrinfo EAI_NONAME nosuch.test http: Name or service not known");
    assert.ok(e instanceof Error);
  });
});

describe("bad input is refused at once", () => {
  test("getaddrinfo", () => {
    throwsCoded(() => getaddrinfo(42 as never), TypeError, "ERR_INVALID_ARG_TYPE");
    throwsCoded(() => getaddrinfo("a\0b"), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => getaddrinfo(null, null), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => getaddrinfo("localhost", 70000), RangeError, "ERR_OUT_OF_RANGE");
    throwsCoded(() => getaddrinfo("localhost", "http", { family: "ipx" as never }), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => getaddrinfo("localhost", "http", { flags: -1 }), TypeError, "ERR_INVALID_ARG_TYPE");
    throwsCoded(() => getaddrinfo("localhost", "http", null as never), TypeError, "ERR_INVALID_ARG_TYPE");
  });

  test("getnameinfo, gethostby*, getservby*, getprotobynumber", () => {
    throwsCoded(() => getnameinfo("/tmp/x.sock"), TypeError, "ERR_INVALID_ADDRESS");
    throwsCoded(() => getnameinfo("127.0.0.1:1", 1.5), TypeError, "ERR_INVALID_ARG_TYPE");
    throwsCoded(() => gethostbyname_ex(1 as never), TypeError, "ERR_INVALID_ARG_TYPE");
    throwsCoded(() => gethostbyname_ex("x", "unix" as never), TypeError, "ERR_INVALID_ARG_VALUE");
    throwsCoded(() => gethostbyaddr("not an address"), TypeError, "ERR_INVALID_ADDRESS");
    throwsCoded(() => getservbyname(undefined as never), TypeError, "ERR_INVALID_ARG_TYPE");
    throwsCoded(() => getservbyport(-1), RangeError, "ERR_OUT_OF_RANGE");
    throwsCoded(() => getservbyport(80, 6 as never), TypeError, "ERR_INVALID_ARG_TYPE");
    throwsCoded(() => getprotobynumber(1.5), RangeError, "ERR_OUT_OF_RANGE");
  });
});

describe("inet_aton / inet_ntoa", () => {
  const forms = ["127.0.0.1", "127.1", "0x7f.1", "010.0.0.1", "1", "255.255.255.255", "4294967295", "1.2.3"];
  const bad = ["256.0.0.0.1", "1.2.3.4.5", "0x100000000", "abc", "", "1.2.3.4 junk"];

  test("accepts the forms C accepts, with the bytes CPython gives", () => {
    const theirs = JSON.parse(
      py(`import socket, json
out = {}
for s in ${JSON.stringify([...forms, ...bad])}:
    try: out[s] = socket.inet_aton(s).hex()
    except OSError: out[s] = None
print(json.dumps(out))`),
    ) as Record<string, string | null>;
    for (const s of [...forms, ...bad]) {
      const ours = inet_aton(s);
      assert.equal(ours === null ? null : ours.toString("hex"), theirs[s], s);
    }
  });

  test("inet_ntoa formats 4 bytes; checks its input", () => {
    assert.equal(inet_ntoa(Buffer.from([192, 0, 2, 1])), "192.0.2.1");
    assert.equal(inet_ntoa(inet_aton("10.1")!), "10.0.0.1");
    throwsCoded(() => inet_ntoa(Buffer.alloc(3)), RangeError, "ERR_OUT_OF_RANGE");
    throwsCoded(() => inet_ntoa("1.2.3.4" as never), TypeError, "ERR_INVALID_ARG_TYPE");
    throwsCoded(() => inet_aton(7 as never), TypeError, "ERR_INVALID_ARG_TYPE");
  });

  test("byte order helpers are the posix ones", () => {
    assert.equal(htons(0x1234), 0x3412);
    assert.equal(ntohl(0x01020304), 0x04030201);
  });
});

describe("RFC 8305 interleaving", () => {
  test("alternates families, starting with the first result's", () => {
    const f = (family: string, n: number): { family: string; n: number } => ({ family, n });
    const list = [f("inet6", 1), f("inet6", 2), f("inet6", 3), f("inet", 4), f("inet", 5)];
    assert.deepEqual(
      interleave(list).map((x) => x.n),
      [1, 4, 2, 5, 3],
    );
    assert.deepEqual(
      interleave([f("inet", 1), f("inet6", 2), f("inet6", 3)]).map((x) => x.n),
      [1, 2, 3],
    );
    assert.deepEqual(interleave([]), []);
  });
});
