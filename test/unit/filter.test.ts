/**
 * The capture filter language (src/filter/): the grammar as libpcap parses it
 * (and/or of equal precedence, left to right; not tighter; qualifiers
 * repeated for a bare address), errors that point at the word, jumps past
 * 255 instructions, the kernel's size limit, and the cooked layout's refusal
 * of link-layer primitives. tcpdump's verdicts are compared in
 * test/integration/filter-tcpdump.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ACCEPT_ALL, runFilter, toProgram } from "../../src/bpf.js";
import { compileFilter, parseFilterExpression } from "../../src/filter/compile.js";
import { FilterSyntaxError } from "../../src/filter/error.js";
import type { FilterNode } from "../../src/filter/ast.js";
import { encodeEthernet, encodeIPv4, encodeUDP } from "../../src/packets/index.js";

/** The tree as a string: primitives by their text, (a and b), (a or b), !a. */
function shape(n: FilterNode, text: string): string {
  switch (n.type) {
    case "and":
    case "or":
      return `(${shape(n.left, text)} ${n.type} ${shape(n.right, text)})`;
    case "not":
      return `!${shape(n.operand, text)}`;
    case "primitive":
      return text.slice(n.primitive.span.start, n.primitive.span.end);
    case "relation":
      return text.slice(n.span.start, n.span.end);
    case "true":
      return "true";
  }
}

function udpFrame(dport: number, src = "10.0.0.1"): Buffer {
  return encodeEthernet(
    { destination: "02:00:00:00:00:02", source: "02:00:00:00:00:01", etherType: 0x800 },
    encodeIPv4(
      { source: src, destination: "10.0.0.2", protocol: 17 },
      encodeUDP({ sourcePort: 9, destinationPort: dport }),
    ),
  );
}

describe("filter grammar", () => {
  const cases: [string, string][] = [
    ["tcp or udp and port 53", "((tcp or udp) and port 53)"],
    ["tcp and udp or icmp", "((tcp and udp) or icmp)"],
    ["not tcp and udp", "(!tcp and udp)"],
    ["! tcp || ! udp", "(!tcp or !udp)"],
    ["not (tcp or udp)", "!(tcp or udp)"],
    ["tcp && (udp || icmp)", "(tcp and (udp or icmp))"],
    ["host 10.0.0.1 or 10.0.0.2", "(host 10.0.0.1 or 10.0.0.2)"],
    ["tcp port 22 or 80 or 443", "((tcp port 22 or 80) or 443)"],
    ["host 10.0.0.1 and not 10.0.0.2", "(host 10.0.0.1 and !10.0.0.2)"],
    ["src net 10.0.0.0/8 or 192.168.0.0/16", "(src net 10.0.0.0/8 or 192.168.0.0/16)"],
    ["host 10.0.0.1 or (10.0.0.2 or 10.0.0.3)", "(host 10.0.0.1 or (10.0.0.2 or 10.0.0.3))"],
    ["(icmp or arp) and host 10.0.0.1", "((icmp or arp) and host 10.0.0.1)"],
    [
      "tcp[tcpflags] & tcp-syn != 0 and not src and dst port 1",
      "(tcp[tcpflags] & tcp-syn != 0 and !src and dst port 1)",
    ],
    ["(ip[0] & 0xf) * 4 > 20 or vlan 3", "((ip[0] & 0xf) * 4 > 20 or vlan 3)"],
    ["", "true"],
  ];
  for (const [expr, want] of cases) {
    test(`${JSON.stringify(expr)} parses as ${want}`, () => {
      assert.equal(shape(parseFilterExpression(expr), expr), want);
    });
  }

  test("a bare address after and/or repeats the qualifiers: the same program as spelled out", () => {
    const pairs: [string, string][] = [
      ["host 10.0.0.1 or 10.0.0.2", "host 10.0.0.1 or host 10.0.0.2"],
      ["tcp dst port 22 or 80", "tcp dst port 22 or tcp dst port 80"],
      ["not host 10.0.0.1 and not 10.0.0.2", "not host 10.0.0.1 and not host 10.0.0.2"],
      [
        "ether src 02:00:00:00:00:01 or 02:00:00:00:00:02",
        "ether src 02:00:00:00:00:01 or ether src 02:00:00:00:00:02",
      ],
    ];
    for (const [short, long] of pairs) {
      assert.deepEqual(
        compileFilter(short, ACCEPT_ALL, { link: "ethernet" }),
        compileFilter(long, ACCEPT_ALL, { link: "ethernet" }),
        short,
      );
    }
  });

  test("precedence: and and or group left to right (pcap-filter(7)), checked on packets", () => {
    // "port 1 or port 2 and host 10.9.9.9" is (port 1 or port 2) and host 10.9.9.9: port 1 from 10.0.0.1 is out.
    const p = compileFilter("port 1 or port 2 and host 10.9.9.9", ACCEPT_ALL, { link: "ethernet" });
    assert.equal(runFilter(p, { data: udpFrame(1) }), 0);
    assert.equal(runFilter(p, { data: udpFrame(2, "10.9.9.9") }), ACCEPT_ALL);
  });
});

describe("filter errors point at the word", () => {
  const cases: [string, RegExp, string][] = [
    ["tcp and prot 80", /unknown word/, "prot"],
    ["udp or", /needs a primitive/, ""],
    ["port 70000", /illegal port number 70000 > 65535/, "70000"],
    ["host example.com", /host names are not resolved/, "example.com"],
    ["net 10.0.0.1/8", /non-network bits set in "10.0.0.1\/8"/, "10.0.0.1"],
    ["(tcp or udp", /unbalanced parenthesis/, "("],
    ["tcp or udp)", /unbalanced parenthesis/, ")"],
    ["tcp or 80", /needs a qualifier/, "80"],
    ["ip[0] / 0 = 1", /division by zero/, "ip[0] / 0 = 1"],
    ["ip[0] << 32 = 1", /shift by more than 31 bits/, "ip[0] << 32 = 1"],
    ["ip[1:3] = 1", /data size must be 1, 2, or 4/, "3"],
    ["vlan 5000", /VLAN tag 5000 greater than maximum 4095/, "5000"],
    ["tcp host 10.0.0.1", /'tcp' modifier applied to host/, "10.0.0.1"],
    ["ip port 80", /illegal qualifier of 'port'/, "80"],
    ["ether host 10.0.0.1", /MAC address/, "10.0.0.1"],
    ["ip6 host 10.0.0.1", /IPv4 address with 'ip6'/, "10.0.0.1"],
    ["ip[0] 5", /expected a comparison/, "5"],
    ["host 10.0.0.1 $", /unexpected character/, "$"],
    ["tcp udp", /expected "and" or "or"/, "udp"],
    ["host 10.0.0.1/24", /mask syntax for networks only/, "/"],
  ];
  for (const [expr, reason, word] of cases) {
    test(`${JSON.stringify(expr)}: ${reason.source}, at ${JSON.stringify(word)}`, () => {
      assert.throws(
        () => compileFilter(expr, ACCEPT_ALL, { link: "ethernet" }),
        (e: unknown) => {
          assert.ok(e instanceof FilterSyntaxError, String(e));
          assert.ok(e instanceof TypeError);
          assert.equal(e.code, "ERR_INVALID_ARG_VALUE");
          assert.match(e.message, reason);
          assert.equal(expr.slice(e.start, e.end), word);
          // The caret line puts one ^ under each character of the word (at least one).
          const [line, carets] = e.caret("").split("\n");
          assert.equal(line, expr);
          assert.equal(carets!.indexOf("^"), e.start);
          assert.equal(carets!.trim().length, Math.max(1, word.length));
          return true;
        },
      );
    });
  }

  test("any string either compiles to a program the kernel's rules accept or fails with a FilterSyntaxError (fast-check)", () => {
    const words = fc.constantFrom(
      "host",
      "net",
      "port",
      "portrange",
      "src",
      "dst",
      "and",
      "or",
      "not",
      "(",
      ")",
      "!",
      "&&",
      "||",
      "tcp",
      "udp",
      "ip",
      "ip6",
      "arp",
      "ether",
      "vlan",
      "proto",
      "less",
      "greater",
      "len",
      "10.0.0.1",
      "::1",
      "10",
      "0x10",
      "80",
      "20-30",
      "[",
      "]",
      ":",
      "=",
      "!=",
      ">",
      "<",
      "&",
      "|",
      "+",
      "-",
      "*",
      "/",
      "<<",
      "tcpflags",
      "tcp-syn",
      "02:00:00:00:00:01",
      "mask",
      "255.0.0.0",
      "broadcast",
      "multicast",
      "\\tcp",
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(words, { maxLength: 10 }).map((w) => w.join(" ")),
          fc.string({ maxLength: 30 }),
        ),
        (expr) => {
          try {
            const p = compileFilter(expr, ACCEPT_ALL, { link: "ethernet" });
            toProgram(p);
          } catch (e) {
            assert.ok(e instanceof FilterSyntaxError, `${JSON.stringify(expr)}: ${String(e)}`);
            assert.ok(e.start >= 0 && e.end <= expr.length && e.start <= e.end);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("filter programs", () => {
  test("a filter longer than a jump reaches: ja trampolines carry branches over 255 instructions", () => {
    const ports = Array.from({ length: 60 }, (_, i) => 1000 + i);
    const p = compileFilter(`udp and (dst port ${ports.join(" or ")})`, ACCEPT_ALL, { link: "ethernet" });
    assert.ok(p.length > 600, `${p.length} instructions`);
    toProgram(p); // every jt/jf fits 8 bits and lands inside the program
    assert.ok(
      p.some((i) => i.code === 0x05 && i.k > 255),
      "a ja jumps further than a conditional jump can",
    );
    for (const port of ports) assert.equal(runFilter(p, { data: udpFrame(port) }), ACCEPT_ALL, `port ${port}`);
    for (const port of [999, 1060, 53]) assert.equal(runFilter(p, { data: udpFrame(port) }), 0, `port ${port}`);
    // The same expression negated: every verdict flips.
    const n = compileFilter(`not (udp and (dst port ${ports.join(" or ")}))`, ACCEPT_ALL, { link: "ethernet" });
    for (const port of [1000, 1059, 999, 53]) {
      assert.equal(runFilter(n, { data: udpFrame(port) }) !== 0, runFilter(p, { data: udpFrame(port) }) === 0);
    }
  });

  test("a program over the kernel's 4096 instructions is a RangeError", () => {
    const hosts = Array.from({ length: 400 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    assert.throws(() => compileFilter(`host ${hosts.join(" or ")}`), { code: "ERR_OUT_OF_RANGE", name: "RangeError" });
  });

  test("the cooked layout (default) refuses link-layer primitives, pointing at them", () => {
    for (const [expr, word] of [
      ["udp and ether host 02:00:00:00:00:01", "ether host 02:00:00:00:00:01"],
      ["vlan 10", "vlan 10"],
      ["ether[0] = 1", "ether[0]"],
      ["ether proto 100", "ether proto 100"],
    ] as const) {
      assert.throws(
        () => compileFilter(expr),
        (e: unknown) =>
          e instanceof FilterSyntaxError && /Ethernet header/.test(e.message) && expr.slice(e.start, e.end) === word,
        expr,
      );
    }
  });

  test("the older array of primitives still compiles (joined by and)", () => {
    const a = compileFilter([
      { kind: "proto", protocol: 17 },
      { kind: "port", port: 53, direction: "dst" },
    ]);
    assert.deepEqual(a, compileFilter("proto 17 and dst port 53"));
    assert.throws(() => compileFilter([{ kind: "nope" } as never]), { code: "ERR_INVALID_ARG_VALUE" });
    // A field cannot smuggle in more expression.
    assert.throws(() => compileFilter([{ kind: "host", address: "10.0.0.1 or ip" }]), {
      code: "ERR_INVALID_ARG_VALUE",
    });
    assert.throws(() => compileFilter([{ kind: "port", port: 1, direction: "src or ip" as "src" }]), {
      code: "ERR_INVALID_ARG_VALUE",
    });
    assert.throws(() => compileFilter("ip", ACCEPT_ALL, { link: "fddi" as never }), { code: "ERR_INVALID_ARG_VALUE" });
    assert.throws(() => parseFilterExpression(5 as never), { code: "ERR_INVALID_ARG_TYPE" });
  });
});
