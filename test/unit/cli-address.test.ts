/**
 * The CLI address grammar (cli/address.ts): every kind parses to the right
 * endpoint, every error names the bad character, and no input — fuzzed with
 * fast-check — makes the parser throw anything but an AddressError.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AddressError, parseEndpoint } from "../../cli/address.js";

describe("cli address grammar: good addresses", () => {
  const cases: [string, Record<string, unknown>][] = [
    [
      "tcp:127.0.0.1:80",
      {
        kind: "socket",
        family: "inet",
        type: "stream",
        listen: false,
        address: { family: "inet", address: "127.0.0.1", port: 80 },
      },
    ],
    ["TCP:localhost:80", { family: "inet", address: { family: "inet", address: "127.0.0.1", port: 80 } }],
    ["tcp6:localhost:80", { family: "inet6", address: { family: "inet6", address: "::1", port: 80 } }],
    ["tcp:[::1]:443", { family: "inet6", address: { family: "inet6", address: "::1", port: 443 } }],
    ["tcp6:[fe80::1%eth0]:22", { address: { family: "inet6", address: "fe80::1", port: 22, scopeId: "eth0" } }],
    // No host on a listen address: loopback (a wider address must be named).
    ["tcp-listen:8080", { listen: true, address: { family: "inet", address: "127.0.0.1", port: 8080 } }],
    ["tcp6-listen:0", { listen: true, address: { family: "inet6", address: "::1", port: 0 } }],
    ["tcp-listen:0.0.0.0:8080", { listen: true, address: { family: "inet", address: "0.0.0.0", port: 8080 } }],
    ["tcp6-listen:[::]:80", { listen: true, address: { family: "inet6", address: "::", port: 80 } }],
    ["udp-listen:53", { listen: true, address: { family: "inet", address: "127.0.0.1", port: 53 } }],
    ["tcp:127.0.0.1:9,bind=5000", { options: { so: [], bind: { family: "inet", address: "0.0.0.0", port: 5000 } } }],
    ["tcp-listen:127.0.0.1:0,reuseaddr,fork", { listen: true, options: { so: [], reuseaddr: true, fork: true } }],
    ["udp:127.0.0.1:53", { type: "dgram", listen: false }],
    ["udp-listen:5353,reuseport", { type: "dgram", listen: true, options: { so: [], reuseport: true } }],
    ["udp6:[::1]:9", { family: "inet6", type: "dgram" }],
    ["unix:/run/x.sock", { family: "unix", type: "stream", address: { family: "unix", path: "/run/x.sock" } }],
    ["unix:@name", { address: { family: "unix", path: "\0name" } }],
    [
      "unix-listen:/tmp/a\\,b.sock,mode=0600",
      { listen: true, address: { family: "unix", path: "/tmp/a,b.sock" }, options: { so: [], mode: 0o600 } },
    ],
    ["unix-dgram:/dev/log", { type: "dgram", listen: false }],
    ["unix-listen:/tmp/x,unlink", { options: { so: [], unlink: true } }],
    ["unix-dgram-listen:/tmp/d", { type: "dgram", listen: true }],
    ["unix-seqpacket:/tmp/s", { type: "seqpacket", listen: false }],
    ["unix-seqpacket-listen:/tmp/s,fork", { type: "seqpacket", listen: true, options: { so: [], fork: true } }],
    ["abstract:name", { family: "unix", type: "stream", address: { family: "unix", path: "\0name" } }],
    ["abstract-listen:x", { listen: true, address: { family: "unix", path: "\0x" } }],
    ["abstract-seqpacket-listen:x", { type: "seqpacket", listen: true }],
    ["abstract-dgram:x", { type: "dgram" }],
    ["tcp:example.com:80", { host: "example.com", address: { family: "inet", address: "0.0.0.0", port: 80 } }],
    ["udp6:dns.example:53", { host: "dns.example", family: "inet6" }],
    ["stdio", { kind: "stdio" }],
    ["-", { kind: "stdio" }],
    ["exec:sh -c 'echo a,b'", { kind: "exec", command: "sh -c 'echo a,b'" }],
    ["file:/tmp/out,append", { kind: "file", path: "/tmp/out", options: { so: [], append: true } }],
    ["fd:3", { kind: "fd", fd: 3 }],
    ["ws:ws://127.0.0.1:8080/x", { kind: "ws", url: "ws://127.0.0.1:8080/x" }],
    ["ws-listen:8765", { kind: "ws-listen", host: "127.0.0.1", port: 8765, path: "/" }],
    ["ws-listen:0.0.0.0:8765", { kind: "ws-listen", host: "0.0.0.0", port: 8765 }],
    [
      "ws-listen:8765,origin=https://A.example,origin=http://localhost:3000\\,https://b.example:8443/",
      {
        kind: "ws-listen",
        options: { so: [], origins: ["https://a.example", "http://localhost:3000", "https://b.example:8443"] },
      },
    ],
    ["ws-listen:8765,origin=*", { options: { so: [], origins: ["*"] } }],
    [
      "ws-listen:127.0.0.1:0/chat,fork",
      { kind: "ws-listen", host: "127.0.0.1", port: 0, path: "/chat", options: { so: [], fork: true } },
    ],
    [
      "tcp:127.0.0.1:9,bind=127.0.0.1:0",
      { options: { so: [], bind: { family: "inet", address: "127.0.0.1", port: 0 } } },
    ],
    ["unix-dgram:/x,bind=@me", { options: { so: [], bind: { family: "unix", path: "\0me" } } }],
    [
      "tcp:127.0.0.1:9,so=SOL_SOCKET:SO_RCVBUF=65536,so=IPPROTO_TCP:TCP_NODELAY=true",
      {
        options: {
          so: [
            { level: "SOL_SOCKET", name: "SO_RCVBUF", value: 65536 },
            { level: "IPPROTO_TCP", name: "TCP_NODELAY", value: true },
          ],
        },
      },
    ],
  ];
  for (const [text, expected] of cases) {
    it(text, () => {
      const ep = parseEndpoint(text) as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(ep[k], v, `${text}: ${k}`);
      assert.equal(ep.text, text);
    });
  }
});

describe("cli address grammar: addresses without a kind are TCP, as in ncat", () => {
  const tcp = (address: string, port: number, family = "inet"): Record<string, unknown> => ({
    kind: "socket",
    type: "stream",
    family,
    address: family === "inet" ? { family, address, port } : { family, address, port, flowinfo: 0, scopeId: 0 },
  });
  const cases: [string, boolean, string, Record<string, unknown>][] = [
    ["127.0.0.1:7007", false, "tcp", { ...tcp("127.0.0.1", 7007), listen: false }],
    ["localhost:7007", false, "tcp", tcp("127.0.0.1", 7007)],
    ["7007", false, "tcp", tcp("127.0.0.1", 7007)],
    ["[::1]:7007", false, "tcp", tcp("::1", 7007, "inet6")],
    ["db.example:5432", false, "tcp", { host: "db.example", type: "stream" }],
    ["127.0.0.1:7007,bind=127.0.0.1:0", false, "tcp", { options: { so: [], bind: tcp("127.0.0.1", 0).address } }],
    ["7007", true, "tcp-listen", { ...tcp("127.0.0.1", 7007), listen: true }], // listeners bind loopback unless an address is named
    ["127.0.0.1:7007", true, "tcp-listen", { ...tcp("127.0.0.1", 7007), listen: true }],
    ["[::1]:0,reuseaddr", true, "tcp-listen", { listen: true, options: { so: [], reuseaddr: true } }],
  ];
  for (const [text, listen, name, expected] of cases) {
    it(`${text}${listen ? " (listen)" : ""} → ${name}`, () => {
      const ep = parseEndpoint(text, { listen }) as unknown as Record<string, unknown>;
      assert.equal(ep.name, name);
      for (const [k, v] of Object.entries(expected)) {
        if (k === "address" && (v as { family: string }).family === "inet6") {
          assert.deepEqual({ ...(ep[k] as object), flowinfo: 0, scopeId: 0 }, v, `${text}: ${k}`);
        } else assert.deepEqual(ep[k], v, `${text}: ${k}`);
      }
      assert.equal(ep.text, text);
    });
  }

  it("a kind name before the colon stays that kind; errors point into the text as typed", () => {
    assert.equal(parseEndpoint("fd:3").kind, "fd");
    assert.equal((parseEndpoint("unix:80") as { name?: string }).name, "unix");
    for (const [text, column, reason] of [
      ["127.0.0.1:99999", 10, /port/],
      ["1.2.3:80", 0, /not an IPv4 address/],
      ["99999", 0, /port/],
    ] as const) {
      assert.throws(
        () => parseEndpoint(text),
        (e: unknown) => e instanceof AddressError && reason.test(e.reason) && e.column === column,
        text,
      );
    }
  });
});

describe("cli address grammar: errors point at the bad character", () => {
  const cases: [string, number, RegExp][] = [
    ["", 0, /empty address/],
    ["tcpx:1.2.3.4:5", 0, /unknown address kind "tcpx" \(did you mean tcp\?\)/],
    ["tcp:1.2.3:99", 4, /not an IPv4 address/],
    ["tcp:127.0.0.1:99999", 14, /port/],
    ["tcp:127.0.0.1:8x", 15, /port/],
    ["tcp:127.0.0.1", 13, /HOST:PORT/],
    ["tcp:127.0.0.1:0", 14, /port 0/],
    ["ws-listen:1,origin=", 19, /origin= takes/],
    ["ws-listen:1,origin=https://a.example/app", 19, /not an origin/],
    ["ws-listen:1,origin=a.example", 19, /not an origin/],
    ["tcp-listen:1,origin=*", 13, /does not take origin/],
    ["tcp:bad_host:80", 7, /a host name has only/],
    ["tcp:-x:80", 4, /not a valid host name/],
    ["tcp:[::1:80", 11, /missing '\]'/],
    ["tcp:::1:80", 4, /brackets/],
    ["unix:", 5, /unix needs a path: unix:PATH/],
    ["unix-listen:/x,mode=999", 20, /octal/],
    ["unix-listen:/x,bogus", 15, /unknown option "bogus"/],
    ["tcp:127.0.0.1:1,fork", 16, /does not take fork/],
    ["udp-listen:1,fork", 13, /does not take fork/],
    ["stdio:x", 5, /takes nothing/],
    ["unix:/x,unlink", 8, /does not take unlink/],
    ["fd:3x", 4, /file descriptor/],
    ["exec:", 4, /needs a command/],
    ["ws:http://x", 3, /ws:\/\//],
    ["tcp:127.0.0.1:1,so=SOL_SOCKET", 19, /LEVEL:NAME=VALUE/],
    ["tcp:127.0.0.1:1,so=SOL_SOCKET:SO_RCVBUF=abc", 40, /VALUE/],
    [`unix:/${"a".repeat(120)}`, 112, /at most 107 bytes/],
  ];
  for (const [text, column, reason] of cases) {
    it(JSON.stringify(text), () => {
      assert.throws(
        () => parseEndpoint(text),
        (e: unknown) => {
          assert.ok(e instanceof AddressError, String(e));
          assert.match(e.reason, reason);
          assert.equal(e.column, column, `${e.message}`);
          return true;
        },
      );
    });
  }

  it("renders the error, the address and a caret under the bad character", () => {
    try {
      parseEndpoint("tcp:127.0.0.1:8x");
      assert.fail("should throw");
    } catch (e) {
      const lines = (e as AddressError).render().split("\n");
      assert.match(lines[0]!, /^sockit: invalid address "tcp:127.0.0.1:8x": .* \(at character 16\)$/);
      assert.equal(lines[1], "  tcp:127.0.0.1:8x");
      assert.equal(lines[2], `  ${" ".repeat(15)}^`);
    }
  });
});

describe("cli address grammar: fuzzed", () => {
  const kinds = [
    "tcp",
    "tcp6",
    "udp",
    "tcp-listen",
    "udp-listen",
    "unix",
    "unix-listen",
    "unix-dgram",
    "unix-seqpacket-listen",
    "abstract",
    "stdio",
    "file",
    "fd",
    "ws",
    "ws-listen",
    "exec",
    "bogus",
  ];
  const piece = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      ":",
      ",",
      "[",
      "]",
      "%",
      "\\",
      "=",
      "@",
      "/",
      "0",
      "65536",
      "127.0.0.1",
      "::1",
      "fork",
      "mode=0600",
      "so=",
      "bind=",
    ),
  );
  const address = fc
    .tuple(fc.constantFrom(...kinds), fc.array(piece, { maxLength: 6 }))
    .map(([k, ps]) => `${k}:${ps.join("")}`);

  it("throws only AddressError, with a column inside the input and a caret under it", () => {
    fc.assert(
      fc.property(fc.oneof(address, fc.string({ maxLength: 40 })), (text) => {
        try {
          parseEndpoint(text);
        } catch (e) {
          assert.ok(e instanceof AddressError, `${JSON.stringify(text)} threw ${String(e)}`);
          assert.ok(e.column >= 0 && e.column <= text.length, `column ${e.column} of ${JSON.stringify(text)}`);
          const lines = e.render().split("\n");
          assert.equal(lines.length, 4); // three lines and the final newline
          assert.ok(!e.message.includes("\n"));
          assert.equal(lines[2]!.indexOf("^") - 2, [...text.slice(0, e.column)].length);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
