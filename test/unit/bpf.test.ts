/**
 * The classic BPF assembler, the ready filters and the interpreter
 * (src/bpf.ts): opcodes as tcpdump -dd prints them, the kernel's rules
 * (forward jumps, a final ret, 4096 instructions), and compiled filters that
 * accept exactly the packets they name — on Ethernet frames (SOCK_RAW) and
 * cooked packets (SOCK_DGRAM) alike. The kernel runs the same programs in
 * test/integration/packet.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  ACCEPT_ALL,
  assemble,
  encodeProgram,
  formatProgram,
  runFilter,
  toProgram,
  type BpfInstruction,
} from "../../src/bpf.js";
import { BPF, ETH_P, IPPROTO, STRUCTS } from "../../src/constants.js";
import { compileFilter, parseFilterExpression } from "../../src/filter/compile.js";
import { encodeEthernet, encodeICMP, encodeIPv4, encodeIPv6, encodeTCP, encodeUDP } from "../../src/packets/index.js";

function throwsCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.equal((e as { code?: unknown }).code, code, String(e));
    if (message) assert.match((e as Error).message, message);
    return true;
  });
}

const tuples = (p: BpfInstruction[]): number[][] => p.map((i) => [i.code, i.jt, i.jf, i.k]);

describe("assemble", () => {
  test("tcpdump -dd ip, instruction for instruction", () => {
    const p = assemble(`
      ldh [12]                ; the EtherType
      jeq #0x800, yes, no
      yes: ret #262144
      no:  ret #0`);
    assert.deepEqual(tuples(p), [
      [0x28, 0, 0, 0x0000000c],
      [0x15, 0, 1, 0x00000800],
      [0x06, 0, 0, 0x00040000],
      [0x06, 0, 0, 0x00000000],
    ]);
  });

  test("every addressing mode and operation encodes as linux/filter.h says", () => {
    const p = assemble(`
      ld #len
      ld #0x10
      ld M[3]
      ld [x + 2]
      ldb [0]
      ld proto
      ldx #4
      ldx M[1]
      ldxb 4*([14]&0xf)
      st M[1]
      stx M[2]
      add #5
      sub x
      mul #3
      div #2
      mod #7
      and #0xff
      or x
      xor #1
      lsh #2
      rsh #1
      neg
      tax
      txa
      ja end
      jgt #1, end
      jge x, end, end
      jset #0x1fff, end
      jlt #9, end
      end: ret a
      ret x`);
    const B = BPF;
    const want = [
      B.LD | B.W | B.LEN,
      B.LD | B.IMM,
      B.LD | B.MEM,
      B.LD | B.W | B.IND,
      B.LD | B.B | B.ABS,
      B.LD | B.W | B.ABS,
      B.LDX | B.IMM,
      B.LDX | B.MEM,
      B.LDX | B.B | B.MSH,
      B.ST,
      B.STX,
      B.ALU | B.ADD! | B.K,
      B.ALU | B.SUB! | B.X,
      B.ALU | B.MUL! | B.K,
      B.ALU | B.DIV! | B.K,
      B.ALU | B.MOD! | B.K,
      B.ALU | B.AND! | B.K,
      B.ALU | B.OR! | B.X,
      B.ALU | B.XOR! | B.K,
      B.ALU | B.LSH! | B.K,
      B.ALU | B.RSH! | B.K,
      B.ALU | B.NEG!,
      B.MISC | B.TAX!,
      B.MISC | B.TXA!,
      B.JMP | B.JA,
      B.JMP | B.JGT | B.K,
      B.JMP | B.JGE | B.X,
      B.JMP | B.JSET | B.K,
      B.JMP | B.JGE | B.K,
      B.RET | B.A,
      B.RET | B.X,
    ];
    assert.deepEqual(
      p.map((i) => i.code),
      want,
    );
    assert.equal(p[5]!.k, (BPF.SKF_AD_OFF! + BPF.SKF_AD_PROTOCOL!) >>> 0, "ld proto is an ancillary load");
    assert.deepEqual(
      [p[24]!.k, p[25]!.jt, p[25]!.jf],
      [4, 3, 0],
      "ja counts instructions; a missing false label falls through",
    );
    const jlt = assemble("ld #5\njlt #9, yes\nret #0\nyes: ret #1");
    assert.deepEqual(tuples(jlt)[1], [BPF.JMP | BPF.JGE | BPF.K, 0, 1, 9], "jlt is jge with the branches swapped");
    assert.equal(runFilter(jlt, { data: Buffer.alloc(1) }), 1);
  });

  test("the kernel's rules: forward jumps only, known labels, ≤ 255 per branch, a final ret", () => {
    throwsCode(() => assemble("a: ld #1\njeq #1, a\nret #0"), "ERR_INVALID_ARG_VALUE", /backward/);
    throwsCode(() => assemble("jeq #1, nowhere\nret #0"), "ERR_INVALID_ARG_VALUE", /unknown label/);
    throwsCode(() => assemble(`jeq #1, far\n${"ld #0\n".repeat(256)}far: ret #0`), "ERR_INVALID_ARG_VALUE", /over 255/);
    throwsCode(() => assemble("ldh [12"), "ERR_INVALID_ARG_VALUE", /line 1/);
    throwsCode(() => assemble("bogus #1"), "ERR_INVALID_ARG_VALUE");
    throwsCode(() => toProgram("ld #1"), "ERR_INVALID_ARG_VALUE", /ret/);
    throwsCode(() => toProgram([]), "ERR_OUT_OF_RANGE");
    throwsCode(() => toProgram(Array(BPF.MAXINSNS + 1).fill([6, 0, 0, 0])), "ERR_OUT_OF_RANGE");
    throwsCode(
      () =>
        toProgram([
          [0x15, 5, 0, 1],
          [6, 0, 0, 0],
        ]),
      "ERR_INVALID_ARG_VALUE",
      /past the end/,
    );
    throwsCode(() => toProgram([[0x10000, 0, 0, 0]]), "ERR_OUT_OF_RANGE");
    throwsCode(() => toProgram([{ code: "6" } as unknown as BpfInstruction]), "ERR_INVALID_ARG_TYPE");
  });

  test("raw instruction arrays and tuples are accepted; encodeProgram lays out struct sock_filter", () => {
    const p = toProgram([[6, 0, 0, 0xffffffff], { code: 6, jt: 0, jf: 0, k: 0 }]);
    const b = encodeProgram(p);
    assert.equal(b.length, 2 * STRUCTS.sock_filter!.size);
    assert.equal(b.readUInt16LE(STRUCTS.sock_filter!.code!), 6);
    assert.equal(b.readUInt32LE(STRUCTS.sock_filter!.k!), 0xffffffff);
    assert.equal(formatProgram(p).split("\n")[0], "{ 0x06, 0, 0, 0xffffffff },");
  });
});

describe("runFilter", () => {
  test("loads past the end drop the packet; division by zero too; ret a returns A", () => {
    assert.equal(runFilter("ld [100]\nret #1", { data: Buffer.alloc(10) }), 0);
    assert.equal(runFilter("ld #len\nret a", { data: Buffer.alloc(42) }), 42);
    assert.equal(runFilter("ldx #0\nld #5\ndiv x\nret #1", { data: Buffer.alloc(1) }), 0);
    assert.equal(runFilter("ld #0xfffffff0\nadd #0x20\nret a", { data: Buffer.alloc(1) }), 0x10);
    assert.equal(runFilter("ld proto\nret a", { data: Buffer.alloc(1), protocol: ETH_P.IPV6 }), ETH_P.IPV6);
    assert.equal(runFilter("st M[3]\nld #9\nst M[3]\nldx M[3]\ntxa\nret a", { data: Buffer.alloc(1) }), 9);
  });

  test("random programs never throw; random text assembles or is ERR_INVALID_ARG_VALUE", () => {
    const insn = fc.tuple(fc.integer({ min: 0, max: 0xff }), fc.nat(3), fc.nat(3), fc.nat(0xffffffff));
    fc.assert(
      fc.property(fc.array(insn, { minLength: 1, maxLength: 12 }), fc.uint8Array({ maxLength: 64 }), (list, data) => {
        const prog = [...list.map(([c, jt, jf, k]) => [c, jt, jf, k] as const), [6, 0, 0, 1] as const];
        let checked;
        try {
          checked = toProgram(prog);
        } catch (e) {
          assert.match(String((e as { code?: string }).code), /^ERR_/);
          return;
        }
        const r = runFilter(checked, { data, protocol: 0x800, networkOffset: 0 });
        assert.ok(Number.isInteger(r) && r >= 0);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          assemble(text);
        } catch (e) {
          assert.equal((e as { code?: string }).code, "ERR_INVALID_ARG_VALUE", String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("compileFilter: ready filters for host, port and protocol", () => {
  const v4 = { source: "10.0.0.1", destination: "10.0.0.2" };
  const v6 = { source: "fd00::1", destination: "fd00::2" };
  const packets = {
    udp53: encodeIPv4({ ...v4, protocol: IPPROTO.UDP }, encodeUDP({ sourcePort: 5000, destinationPort: 53 })),
    udp99: encodeIPv4({ ...v4, protocol: IPPROTO.UDP }, encodeUDP({ sourcePort: 5000, destinationPort: 99 })),
    tcp80: encodeIPv4(
      { ...v4, protocol: IPPROTO.TCP, options: Buffer.alloc(4, 1) },
      encodeTCP({ sourcePort: 80, destinationPort: 6000 }),
    ),
    icmp: encodeIPv4({ ...v4, protocol: IPPROTO.ICMP }, encodeICMP({ type: 8 })),
    frag53: encodeIPv4(
      { ...v4, protocol: IPPROTO.UDP, fragmentOffset: 8 },
      encodeUDP({ sourcePort: 53, destinationPort: 53 }),
    ),
    udp6_53: encodeIPv6({ ...v6, nextHeader: IPPROTO.UDP }, encodeUDP({ sourcePort: 53, destinationPort: 7 })),
    icmp6: encodeIPv6({ ...v6, nextHeader: IPPROTO.ICMPV6 }, encodeICMP({ type: 128 })),
    other: encodeIPv4(
      { source: "10.9.9.9", destination: "10.9.9.8", protocol: IPPROTO.UDP },
      encodeUDP({ sourcePort: 1, destinationPort: 53 }),
    ),
  };
  type Name = keyof typeof packets;
  const cases: [string, Name[]][] = [
    ["", Object.keys(packets) as Name[]],
    ["udp", ["udp53", "udp99", "frag53", "udp6_53", "other"]],
    ["port 53", ["udp53", "udp6_53", "other"]],
    ["udp and dst port 53", ["udp53", "other"]],
    ["src port 53", ["udp6_53"]],
    ["tcp and port 80", ["tcp80"]],
    ["icmp", ["icmp"]],
    ["icmp6", ["icmp6"]],
    ["ip6", ["udp6_53", "icmp6"]],
    ["ip and udp", ["udp53", "udp99", "frag53", "other"]],
    ["host 10.0.0.2", ["udp53", "udp99", "tcp80", "icmp", "frag53"]],
    ["src host 10.0.0.2", []],
    ["dst host 10.9.9.8 && port 53", ["other"]],
    ["host fd00::1 and icmp6", ["icmp6"]],
    ["proto 17 and ip", ["udp53", "udp99", "frag53", "other"]],
    ["arp", []],
  ];
  for (const [expr, want] of cases) {
    test(`"${expr || "(empty)"}" accepts ${want.join(", ") || "nothing"} — on Ethernet frames and cooked packets`, () => {
      const program = compileFilter(expr);
      for (const [name, ip] of Object.entries(packets)) {
        const proto = ip[0]! >> 4 === 6 ? ETH_P.IPV6 : ETH_P.IP;
        const frame = encodeEthernet(
          { destination: "02:00:00:00:00:02", source: "02:00:00:00:00:01", etherType: proto },
          ip,
        );
        const cooked = runFilter(program, { data: ip, protocol: proto });
        const raw = runFilter(program, { data: frame, protocol: proto, networkOffset: 14 });
        const expected = want.includes(name as Name) ? ACCEPT_ALL : 0;
        assert.equal(cooked, expected, `${name} cooked`);
        assert.equal(raw, expected, `${name} raw`);
      }
    });
  }

  test("snaplen is what an accepting program returns; bad expressions are ERR_INVALID_ARG_VALUE", () => {
    assert.equal(runFilter(compileFilter("udp", 96), { data: packets.udp53, protocol: ETH_P.IP }), 96);
    throwsCode(() => compileFilter("udp or"), "ERR_INVALID_ARG_VALUE", /needs a primitive/);
    throwsCode(() => compileFilter("host example.com"), "ERR_INVALID_ARG_VALUE", /numeric/);
    throwsCode(() => compileFilter("port 70000"), "ERR_INVALID_ARG_VALUE", /illegal port number 70000/);
    throwsCode(() => compileFilter("and udp"), "ERR_INVALID_ARG_VALUE");
    throwsCode(() => compileFilter("src"), "ERR_INVALID_ARG_VALUE");
    // No packet is both: the program rejects everything (tcpdump refuses such an expression).
    assert.equal(runFilter(compileFilter("ip and ip6"), { data: packets.udp53, protocol: ETH_P.IP }), 0);
    assert.deepEqual(parseFilterExpression("src host 1.2.3.4 and icmp"), {
      type: "and",
      left: {
        type: "primitive",
        primitive: {
          kind: "host",
          proto: "default",
          dir: "src",
          bytes: Uint8Array.of(1, 2, 3, 4),
          mask: Uint8Array.of(255, 255, 255, 255),
          shift: 0,
          span: { start: 0, end: 16 },
        },
      },
      right: { type: "primitive", primitive: { kind: "abbrev", name: "icmp", shift: 0, span: { start: 21, end: 25 } } },
    });
  });
});
