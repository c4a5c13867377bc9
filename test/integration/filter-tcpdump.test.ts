/**
 * Capture filters against tcpdump: for a corpus of expressions, sockit's
 * program and tcpdump's own (`tcpdump -ddd`, DLT_EN10MB) run through the BPF
 * interpreter on the same frames, and must accept and reject the same ones
 * (the accept length may differ). Also for random expression trees
 * (fast-check) on the corpus and on random bytes. Needs tcpdump (Debian
 * package `tcpdump`; CI installs it); skips with that reason when absent.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { existsSync } from "node:fs";
import fc from "fast-check";
import { compileFilter, runFilter, type BpfInstruction, type FilterInput } from "../../src/index.js";
import { corpus, haveTcpdump, tcpdumpProgram, type CorpusPacket } from "../filter-corpus.js";

const skip = haveTcpdump() ? false : "tcpdump is not installed (apt-get install tcpdump)";
const packets = corpus();
/** Ethernet frames with VLAN tags in the frame, as a pcap file holds them (what tcpdump -r compiles for). */
const FILE = { link: "ethernet", vlanMetadata: false } as const;

/** The expressions checked one by one (each is also run through tcpdump). */
export const EXPRESSIONS = [
  "",
  "ip",
  "ip6",
  "arp",
  "rarp",
  "tcp",
  "udp",
  "icmp",
  "icmp6",
  "sctp",
  "igmp",
  "ah or esp",
  "pim or vrrp",
  "not port 22",
  "tcp or udp",
  "(icmp or arp) and host 10.0.0.1",
  "host 10.0.0.1",
  "src host 10.0.0.1",
  "dst host 10.0.0.2",
  "src or dst host 10.0.0.1",
  "src and dst host 10.0.0.1",
  "host 10.0.0.1 or 10.0.0.2",
  "host 10.0.0.1 and not 10.0.0.2",
  "ip host 10.0.0.1",
  "arp host 10.0.0.1",
  "host fe80::1",
  "ip6 host ::1",
  "src host fd00::1 or dst host fd00::2",
  "host fd00::1 or fd00::2 or 10.0.0.1",
  "net 10.0.0.0/8",
  "net 10.0.0.0 mask 255.0.0.0",
  "net 10",
  "net 192.168.1",
  "host 10.1",
  "src net 172.16.0.0/12",
  "dst net 224.0.0.0/4",
  "net fe80::/10",
  "ip6 net fd00::/8",
  "port 22",
  "port 22 or 80",
  "tcp port 80",
  "udp port 53",
  "tcp dst port 443",
  "udp src port 53",
  "src or dst port 80",
  "src and dst port 80",
  "portrange 20-30",
  "tcp portrange 1000-2000",
  "dst portrange 50-60",
  "sctp port 22",
  "tcp port 22 or 80 or 443",
  "not tcp and not udp",
  "!(tcp || udp)",
  "tcp && port 80 || udp && port 53",
  "tcp or udp and port 53",
  "not host 10.0.0.1 or 10.0.0.2",
  "ether host 02:00:00:00:00:01",
  "ether src 02:00:00:00:00:01",
  "ether dst ff:ff:ff:ff:ff:ff",
  "ether broadcast",
  "ether multicast",
  "multicast",
  "ether proto 0x800",
  "ether proto \\arp",
  "ether proto 100",
  "ether proto 0x42",
  "vlan",
  "vlan 10",
  "vlan 10 and tcp port 80",
  "vlan and vlan 20 and ip",
  "vlan 10 or arp",
  "less 60",
  "greater 100",
  "len > 64",
  "len <= 100 and udp",
  "ip proto 47",
  "ip proto \\tcp",
  "ip6 proto 17",
  "proto 6",
  "ip multicast",
  "ip6 multicast",
  "tcp[tcpflags] & tcp-syn != 0",
  "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn",
  "tcp[13] = 0x12",
  "tcp[tcpflags] & tcp-rst != 0 or tcp[tcpflags] & tcp-fin != 0",
  "tcp[tcpflags] & (tcp-push|tcp-urg) != 0",
  "icmp[icmptype] = icmp-echo",
  "icmp[icmptype] == icmp-echoreply",
  "icmp[0] != 8",
  "icmp6[icmp6type] = icmp6-echo",
  "ip[0] & 0xf = 5",
  "ip[0] & 0xf > 5",
  "ip[2:2] > 60",
  "ip[6:2] & 0x1fff != 0",
  "ip[8] < 64",
  "udp[4:2] >= 16",
  "tcp[12] >> 4 > 5",
  "ip[2:2] - ((ip[0]&0xf)<<2) > 40",
  "ether[0] & 1 = 1",
  "link[12:2] = 0x800",
  "ip[16:4] = 0x0a000002",
  "ip6[6] = 58",
  "arp[6:2] = 1",
  "tcp[tcp[12] >> 4] = 0",
  "ip[0] * 2 = 0x8a",
  "ip[1] % 4 = 0",
  "-ip[0] < 0",
  "ip[0] ^ 0x45 = 0",
  "udp[2:2] / 2 = 26",
  "ip[ip[0] & 0xf] = 0",
  "ip[2:2] = len - 14",
  "not (host 10.0.0.1 or host 10.0.0.2) and ip",
  "not not ip",
  "tcp and not port 22 and not port 80",
  "ip and (udp or icmp) and not dst net 224.0.0.0/4",
  "ip6 and (tcp or icmp6) or vlan 10 and udp",
  "src 10.0.0.1",
  "dst net 10",
  "host 10.0.0.1 and (port 22 or 80)",
  "ip and not net 10.0.0.0/8",
  "udp port 53 or 5353 and src host 10.0.0.1",
  "ether host 02:00:00:00:00:01 or 02:00:00:00:00:02",
  "icmp6 and ip6[40] = 128",
  "tcp[2:2] = 80",
  "((ip))",
  "ip and !tcp",
  "udp dst portrange 1-1000",
  "src port 22 or dst port 53",
  "arp and arp[7] = 2",
  "host 10.0.0.1 or fd00::1",
  "icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply",
  "ip[2:2] > 576 or less 50",
  "ip6 and udp port 53",
  "net 10.0.0.0 mask 255.255.255.0",
  "host 0x0a000001",
  "tcp[13] & 18 = 18",
  "broadcast or multicast",
  "port 22 or port 80 and not src 10.0.0.1",
  "vlan 10 and vlan 20",
  "vlan and ip6",
  "udp[udp[4:2] - 1] = 0",
  // Service names come from /etc/services (Debian's netbase), for tcpdump and sockit alike.
  ...(existsSync("/etc/services") ? ["port domain", "tcp port ssh"] : []),
];

/** What a program does with a packet: accepts it, drops it, or drops it because a load ran past the end. */
type Verdict = "accept" | "drop" | "short";

function verdicts(program: readonly (BpfInstruction | readonly number[])[], on: CorpusPacket[]): Verdict[] {
  return on.map((p) => {
    let short = false;
    const r = runFilter(program as BpfInstruction[], { data: p.data, onTruncated: () => (short = true) });
    return short ? "short" : r !== 0 ? "accept" : "drop";
  });
}

const theirCache = new Map<string, Map<CorpusPacket, Verdict>>();
/** tcpdump's verdict for `p` of the corpus under `expression` (computed once per expression). */
function theirVerdict(expression: string, program: readonly (readonly number[])[], p: CorpusPacket): Verdict {
  let m = theirCache.get(expression);
  if (!m) {
    const v = verdicts(program, packets);
    m = new Map(packets.map((q, i) => [q, v[i]!]));
    theirCache.set(expression, m);
  }
  return m.get(p) ?? verdicts(program, [p])[0]!;
}

/** Packets on which the two programs were compared, and how many were left out as cut short. */
export const tally = { compared: 0, short: 0, shortWhole: 0 };

/**
 * Asserts sockit's and tcpdump's programs for `expression` agree on every
 * packet of `on` that both read whole. libpcap's optimizer reorders loads
 * (`host a or b` tests both sources before loading a destination), so on a
 * frame cut inside a header one program can stop at a load past the end
 * where the other has already decided: those packets are counted, not
 * compared.
 */
function agree(expression: string, on: CorpusPacket[]): Verdict[] {
  const theirs = tcpdumpProgram(expression);
  const ours = compileFilter(expression, 262144, FILE);
  if ("error" in theirs) {
    // tcpdump refuses an expression its optimizer proves matches nothing; ours must match nothing.
    assert.match(theirs.error, /rejects all packets/, `tcpdump refused ${JSON.stringify(expression)}: ${theirs.error}`);
    assert.ok(
      verdicts(ours, on).every((v) => v !== "accept"),
      `${expression}: tcpdump says it rejects all packets`,
    );
    return verdicts(ours, on);
  }
  const a = verdicts(ours, on);
  const b = on.map((p) => theirVerdict(expression, theirs, p));
  const differ: string[] = [];
  on.forEach((p, i) => {
    if (a[i] === "short" || b[i] === "short") {
      tally.short++;
      if (!p.name.includes(" cut ")) tally.shortWhole++;
      return;
    }
    tally.compared++;
    if (a[i] !== b[i]) differ.push(`${p.name} (sockit: ${a[i]}, tcpdump: ${b[i]})`);
  });
  assert.deepEqual(
    differ,
    [],
    `${JSON.stringify(expression)}: sockit and tcpdump disagree on ${differ.length} packets`,
  );
  return a;
}

describe("capture filters give tcpdump's verdicts", { skip }, () => {
  test(`${EXPRESSIONS.length} expressions, each on ${packets.length} frames`, (t) => {
    assert.ok(EXPRESSIONS.length >= 60);
    const accepting = new Set<string>();
    for (const e of EXPRESSIONS) {
      const v = agree(e, packets);
      if (v.includes("accept") && v.includes("drop")) accepting.add(e);
    }
    // The corpus tells the expressions apart: nearly every one accepts some frames and drops others.
    const trivial = EXPRESSIONS.filter((e) => !accepting.has(e) && e !== "" && e !== "-ip[0] < 0");
    assert.ok(trivial.length === 0, `expressions that accept all or nothing of the corpus: ${trivial.join("; ")}`);
    t.diagnostic(`${tally.compared} verdicts compared; ${tally.short} left out (a load past the end of a cut frame)`);
    // Only frames cut short are ever left out: every whole frame is compared.
    assert.equal(tally.shortWhole, 0);
  });

  test("on random bytes and on structured frames with random bytes changed (fast-check)", () => {
    const frames = packets.filter((p) => p.data.length >= 14);
    const mutated = fc
      .tuple(fc.constantFrom(...frames), fc.array(fc.tuple(fc.nat(80), fc.nat(255)), { maxLength: 4 }))
      .map(([p, edits]) => {
        const d = Buffer.from(p.data);
        for (const [at, v] of edits) if (at < d.length) d[at] = v;
        return { name: `${p.name} edited ${JSON.stringify(edits)}`, data: d };
      });
    const randomBytes = fc
      .uint8Array({ maxLength: 100 })
      .map((u) => ({ name: `bytes ${Buffer.from(u).toString("hex")}`, data: Buffer.from(u) }));
    fc.assert(
      fc.property(
        fc.constantFrom(...EXPRESSIONS),
        fc.array(fc.oneof(mutated, randomBytes), { minLength: 1, maxLength: 40 }),
        (e, on) => {
          agree(e, on);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("random expression trees over the supported primitives (fast-check; tcpdump's programs cached)", () => {
    const atom = fc.constantFrom(
      "ip",
      "ip6",
      "arp",
      "tcp",
      "udp",
      "icmp",
      "icmp6",
      "host 10.0.0.1",
      "src host 10.0.0.2",
      "dst host fd00::2",
      "net 10.0.0.0/8",
      "net fd00::/8",
      "port 80",
      "src port 53",
      "dst port 22",
      "tcp port 443",
      "udp dst port 53",
      "portrange 20-30",
      "ether src 02:00:00:00:00:01",
      "ether broadcast",
      "ether proto 0x806",
      "vlan",
      "vlan 10",
      "less 64",
      "greater 80",
      "ip proto 47",
      "ip6 proto 6",
      "tcp[tcpflags] & tcp-syn != 0",
      "icmp[icmptype] = icmp-echo",
      "ip[8] > 50",
      "udp[4:2] > 20",
      "len < 70",
    );
    const tree: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
      e: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        atom,
        fc
          .tuple(tie("e"), fc.constantFrom(" and ", " or ", " && ", " || "), tie("e"))
          .map(([a, op, b]) => `${a}${op}${b}`),
        tie("e").map((a) => `not ${a}`),
        tie("e").map((a) => `(${a})`),
      ),
    })).e;
    let checked = 0;
    const some = packets.filter((_, i) => i % 3 === 0);
    fc.assert(
      fc.property(tree, (e) => {
        agree(e, some);
        checked++;
      }),
      { numRuns: 150 },
    );
    assert.equal(checked >= 150, true);
  });

  test("a long expression needs far jumps (> 255 instructions): sockit's trampolines keep tcpdump's verdicts", () => {
    const hosts = Array.from({ length: 40 }, (_, i) => `10.0.${i}.${i + 1}`);
    const e = `(host ${hosts.join(" or ")} or 10.0.0.2) and (tcp port 80 or 443 or 22 or 53 or 5353 or 25) and not ${EXPRESSIONS[16]}`;
    const ours = compileFilter(e, 262144, FILE);
    assert.ok(ours.length > 600, `${ours.length} instructions`);
    assert.ok(
      ours.some((i) => i.code === 0x05 && i.k > 255),
      "a ja trampoline carries a jump longer than 255",
    );
    agree(e, packets);
  });
});

describe("on a live Linux capture the outer VLAN tag is in skb metadata, not in the frame", { skip }, () => {
  test("vlan tests SKF_AD_VLAN_TAG_PRESENT / SKF_AD_VLAN_TAG: tcpdump's verdict for the tagged frame", () => {
    // What a packet socket sees (skb_vlan_untag): 802.1Q / 802.1ad outer tag moved out of the frame.
    const live = packets
      .filter((p) => p.data.length >= 18)
      .map((p) => {
        const tpid = p.data.readUInt16BE(12);
        if (tpid !== 0x8100 && tpid !== 0x88a8) return { p, data: p.data, vlanTci: undefined };
        return {
          p,
          data: Buffer.concat([p.data.subarray(0, 12), p.data.subarray(16)]),
          vlanTci: p.data.readUInt16BE(14),
        };
      });
    let compared = 0;
    let tagged = 0;
    for (const e of EXPRESSIONS) {
      const theirs = tcpdumpProgram(e);
      if ("error" in theirs) continue;
      const ours = compileFilter(e, 262144, { link: "ethernet" });
      for (const { p, data, vlanTci } of live) {
        // As tcpdump live on Linux: tests before the first "vlan" see the frame without its outer tag
        // ("ip" matches tagged IPv4); so tagged frames are compared for expressions starting with vlan.
        if (vlanTci !== undefined && !e.startsWith("vlan")) continue;
        let short = false;
        const onTruncated = (): void => void (short = true);
        const theirsSays = theirVerdict(e, theirs, p);
        if (theirsSays === "short") continue;
        const b = theirsSays === "accept";
        const a: boolean = runFilter(ours, { data, ...(vlanTci !== undefined ? { vlanTci } : {}), onTruncated }) !== 0;
        if (short) continue;
        assert.equal(a, b, `${JSON.stringify(e)} on ${p.name}${vlanTci !== undefined ? " (tag in metadata)" : ""}`);
        compared++;
        if (vlanTci !== undefined && /vlan/.test(e)) tagged++;
      }
    }
    assert.ok(compared > 50000 && tagged > 100, `${compared} compared, ${tagged} with a tag in metadata`);
  });
});

describe(
  "the cooked layout (-i any, --dgram) gives the same verdicts on untagged Ethernet-type frames",
  { skip },
  () => {
    test("EtherType from skb->protocol, network header at SKF_NET_OFF", () => {
      const plain = packets.filter(
        (p) => p.data.length >= 14 && [0x800, 0x86dd, 0x806, 0x8035].includes(p.data.readUInt16BE(12)),
      );
      let compared = 0;
      for (const e of EXPRESSIONS) {
        let cooked: BpfInstruction[];
        try {
          cooked = compileFilter(e);
        } catch (err) {
          assert.match(String(err), /needs the Ethernet header/, e);
          continue;
        }
        const theirs = tcpdumpProgram(e);
        if ("error" in theirs) continue;
        for (const p of plain) {
          const type = p.data.readUInt16BE(12);
          const run = (program: readonly (BpfInstruction | readonly number[])[], input: FilterInput): Verdict => {
            let short = false;
            const r = runFilter(program as BpfInstruction[], { ...input, onTruncated: () => (short = true) });
            return short ? "short" : r !== 0 ? "accept" : "drop";
          };
          const b = theirVerdict(e, theirs, p);
          const a = run(cooked, { data: p.data, protocol: type, networkOffset: 14 });
          if (a !== "short" && b !== "short") assert.equal(a, b, `${JSON.stringify(e)} on ${p.name}`);
          // SOCK_DGRAM: no link header at all (len then counts from the network header).
          const d = run(cooked, { data: p.data.subarray(14), protocol: type });
          if (d !== "short" && b !== "short" && !/len|less|greater/.test(e)) {
            assert.equal(d, b, `${JSON.stringify(e)} on ${p.name} without its link header`);
          }
        }
        compared++;
      }
      assert.ok(compared > 60, `${compared} expressions compared`);
    });
  },
);
