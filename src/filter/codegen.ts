/**
 * Code generation for capture filters: the filter tree becomes a tree of
 * tests ("leaves": loads, then one conditional jump), joined by and / or /
 * not, shaped as libpcap's gencode.c shapes them — the same tests in the same
 * order, so a packet too short for a load is dropped exactly when tcpdump's
 * program drops it. {@link layoutProgram} lays the tree out as instructions.
 *
 * Two link layouts: "ethernet" reads the EtherType and headers at fixed
 * offsets of an Ethernet frame (DLT_EN10MB, as tcpdump on an Ethernet or
 * loopback interface; `vlan` moves later offsets 4 bytes on); "any" reads the
 * EtherType from skb->protocol and the network header at SKF_NET_OFF, so one
 * program serves SOCK_RAW and SOCK_DGRAM packet sockets of every link type
 * (but has no link header: ether and vlan primitives are refused).
 *
 * @see https://man7.org/linux/man-pages/man7/pcap-filter.7.html
 * @see https://www.kernel.org/doc/html/latest/networking/filter.html
 */
import { BPF, ETH_P, IPPROTO } from "../constants.js";
import type { Arith, FilterNode, LoadProto, Primitive, Span } from "./ast.js";
import { FilterSyntaxError } from "./error.js";
import type { BpfInstruction } from "../bpf.js";

/** A test: statements that load A (and maybe X), then a conditional jump on A. */
export interface Leaf {
  t: "leaf";
  stmts: BpfInstruction[];
  /** BPF.JEQ, JGT, JGE or JSET. */
  op: number;
  k: number;
  /** Compare with X instead of k. */
  x: boolean;
}
/** A predicate: leaves joined by and / or / not, or a constant. */
export type Pred =
  | Leaf
  | { t: "and" | "or"; a: Pred; b: Pred }
  | { t: "not"; a: Pred }
  | { t: "const"; v: boolean }
  /** Statements with an effect (a store), then a predicate: run only where control reaches them. */
  | { t: "do"; stmts: BpfInstruction[]; then: Pred };

/** Which link-layer layout the program reads. */
export type FilterLink = "ethernet" | "any";

const RAR_P = ETH_P.RARP!;
const ETH_P_8021Q = ETH_P["8021Q"]!;
const ETH_P_8021AD = ETH_P["8021AD"]!;
const ETH_P_QINQ1 = ETH_P.QINQ1!;
/** The largest 802.3 length field: a smaller "EtherType" is a length, and an LLC header follows. */
const ETHERMTU = ETH_P.ETH_DATA_LEN!;
const IPPROTO_FRAGMENT = IPPROTO.FRAGMENT!;
/** VRRP has no IPPROTO_ constant in Linux's headers; 112 is IANA's number (libpcap's IPPROTO_VRRP). */
const IPPROTO_VRRP = 112;
const AD_PROTOCOL = (BPF.SKF_AD_OFF! + BPF.SKF_AD_PROTOCOL!) >>> 0;
const AD_VLAN_TAG = (BPF.SKF_AD_OFF! + BPF.SKF_AD_VLAN_TAG!) >>> 0;
const AD_VLAN_TAG_PRESENT = (BPF.SKF_AD_OFF! + BPF.SKF_AD_VLAN_TAG_PRESENT!) >>> 0;
/** The scratch word holding the VLAN offset (0 or 4) when the first `vlan` may find its tag in metadata. */
const VLAN_REG = BPF.MEMWORDS! - 1;
const NET = BPF.SKF_NET_OFF!;

const st = (code: number, k = 0): BpfInstruction => ({ code, jt: 0, jf: 0, k: k >>> 0 });
const SIZE: Record<number, number> = { 1: BPF.B!, 2: BPF.H!, 4: BPF.W! };
const ldAbs = (size: number, k: number): BpfInstruction => st(BPF.LD! | SIZE[size]! | BPF.ABS!, k);
const ldInd = (size: number, k: number): BpfInstruction => st(BPF.LD! | SIZE[size]! | BPF.IND!, k);
const ALU: Record<string, number> = {
  "+": BPF.ADD!,
  "-": BPF.SUB!,
  "*": BPF.MUL!,
  "/": BPF.DIV!,
  "%": BPF.MOD!,
  "&": BPF.AND!,
  "|": BPF.OR!,
  "^": BPF.XOR!,
  "<<": BPF.LSH!,
  ">>": BPF.RSH!,
};

export function leaf(stmts: BpfInstruction[], op: number, k: number, x = false): Leaf {
  return { t: "leaf", stmts, op, k: k >>> 0, x };
}
export function and(...ps: Pred[]): Pred {
  return ps.reduce((a, b) => {
    if (a.t === "const") return a.v ? b : a;
    if (b.t === "const" && b.v) return a;
    return { t: "and", a, b };
  });
}
export function or(...ps: Pred[]): Pred {
  return ps.reduce((a, b) => {
    if (a.t === "const") return a.v ? a : b;
    if (b.t === "const" && !b.v) return a;
    return { t: "or", a, b };
  });
}
export function not(a: Pred): Pred {
  if (a.t === "const") return { t: "const", v: !a.v };
  return { t: "not", a };
}

/** Turns a filter tree into a predicate over packets of the given link layout. */
export class CodeGen {
  /** Whether the program uses the VLAN offset register (then it must start by zeroing it). */
  usesVlanRegister = false;

  constructor(
    readonly expression: string,
    readonly link: FilterLink,
    /**
     * Whether the first VLAN tag may be in skb metadata rather than in the
     * frame (as Linux delivers frames to packet sockets); libpcap's Linux
     * code. Offsets after the first `vlan` then depend on where the tag was,
     * kept in M[VLAN_REG].
     */
    readonly vlanMetadata = false,
  ) {}

  /** The statements that must run before the predicate (zero the VLAN offset register). */
  prologue(): BpfInstruction[] {
    return this.usesVlanRegister ? [st(BPF.LD! | BPF.IMM!, 0), st(BPF.ST!, VLAN_REG)] : [];
  }

  /** Whether loads at VLAN shift `shift` are relative to the register (the first tag's place is known only at run time). */
  viaRegister(shift: number): boolean {
    return this.vlanMetadata && shift > 0 && this.link === "ethernet";
  }

  /** The constant part of the offset of network-header byte `off` at VLAN shift `shift`. */
  netK(shift: number, off: number): number {
    if (this.link !== "ethernet") return (NET + off) >>> 0;
    return this.viaRegister(shift) ? 14 + shift - 4 + off : 14 + shift + off;
  }

  /** Loads `size` bytes of the network header at `off` into A. */
  ldNet(size: number, shift: number, off: number): BpfInstruction[] {
    if (this.viaRegister(shift)) return [st(BPF.LDX! | BPF.MEM!, VLAN_REG), ldInd(size, this.netK(shift, off))];
    return [ldAbs(size, this.netK(shift, off))];
  }

  /** Loads the EtherType field (the one after `shift` bytes of VLAN tags) into A. */
  ldType(shift: number): BpfInstruction[] {
    if (this.link !== "ethernet") return [ldAbs(2, AD_PROTOCOL)];
    if (this.viaRegister(shift)) return [st(BPF.LDX! | BPF.MEM!, VLAN_REG), ldInd(2, 12 + shift - 4)];
    return [ldAbs(2, 12 + shift)];
  }

  /** X = where the transport header starts, less netK(shift, 0): the IPv4 header length (plus the VLAN register). */
  xTransport(shift: number): BpfInstruction[] {
    if (!this.viaRegister(shift)) return [st(BPF.LDX! | BPF.B! | BPF.MSH!, this.netK(shift, 0))];
    return [
      st(BPF.LDX! | BPF.MEM!, VLAN_REG),
      ldInd(1, this.netK(shift, 0)),
      st(BPF.ALU! | BPF.AND! | BPF.K!, 0xf),
      st(BPF.ALU! | BPF.LSH! | BPF.K!, 2),
      st(BPF.ALU! | BPF.ADD! | BPF.X!),
      st(BPF.MISC! | BPF.TAX!),
    ];
  }

  fail(reason: string, span: Span): never {
    throw new FilterSyntaxError(reason, this.expression, span.start, span.end);
  }

  node(n: FilterNode): Pred {
    switch (n.type) {
      case "true":
        return { t: "const", v: true };
      case "and":
        return and(this.node(n.left), this.node(n.right));
      case "or":
        return or(this.node(n.left), this.node(n.right));
      case "not":
        return not(this.node(n.operand));
      case "primitive":
        return this.primitive(n.primitive);
      case "relation":
        return this.relation(n);
    }
  }

  needEthernet(what: string, span: Span): void {
    if (this.link !== "ethernet") {
      this.fail(
        `${what} needs the Ethernet header, which this capture does not have (cooked: -i any or --dgram)`,
        span,
      );
    }
  }

  /** gen_linktype: the frame carries EtherType `type`. */
  ethertype(type: number, shift: number, span: Span): Pred {
    if (this.link === "any") {
      if (type <= ETHERMTU) this.fail("an 802.3 length/LLC protocol needs the Ethernet header", span);
      return leaf(this.ldType(shift), BPF.JEQ!, type);
    }
    if (type <= ETHERMTU) {
      // An 802.3 frame (length, not type) whose LLC DSAP is `type`, as gen_llc_linktype.
      return and(not(leaf(this.ldType(shift), BPF.JGT!, ETHERMTU)), leaf(this.ldNet(1, shift, 0), BPF.JEQ!, type));
    }
    return leaf(this.ldType(shift), BPF.JEQ!, type);
  }

  /** gen_proto: IPv4 protocol / IPv6 next header `v` (IPv6 also after one fragment header). */
  ipproto(v: number, family: "default" | "ip" | "ip6", shift: number, span: Span): Pred {
    const ip = (): Pred => and(this.ethertype(ETH_P.IP, shift, span), leaf(this.ldNet(1, shift, 9), BPF.JEQ!, v));
    const ip6 = (): Pred =>
      and(
        this.ethertype(ETH_P.IPV6, shift, span),
        or(
          leaf(this.ldNet(1, shift, 6), BPF.JEQ!, v),
          and(leaf(this.ldNet(1, shift, 6), BPF.JEQ!, IPPROTO_FRAGMENT), leaf(this.ldNet(1, shift, 40), BPF.JEQ!, v)),
        ),
      );
    if (family === "ip") return ip();
    if (family === "ip6") return ip6();
    return or(ip(), ip6());
  }

  /** gen_ipfrag: not a fragment after the first (the IPv4 fragment offset is 0). */
  notFragment(shift: number): Pred {
    return not(leaf(this.ldNet(2, shift, 6), BPF.JSET!, 0x1fff));
  }

  primitive(p: Primitive): Pred {
    const s = p.shift;
    switch (p.kind) {
      case "abbrev":
        switch (p.name) {
          case "ip":
            return this.ethertype(ETH_P.IP, s, p.span);
          case "ip6":
            return this.ethertype(ETH_P.IPV6, s, p.span);
          case "arp":
            return this.ethertype(ETH_P.ARP, s, p.span);
          case "rarp":
            return this.ethertype(RAR_P, s, p.span);
          case "icmp":
            return this.ipproto(IPPROTO.ICMP, "ip", s, p.span);
          case "igmp":
            return this.ipproto(IPPROTO.IGMP!, "ip", s, p.span);
          case "vrrp":
            return this.ipproto(IPPROTO_VRRP, "ip", s, p.span);
          case "icmp6":
            return this.ipproto(IPPROTO.ICMPV6, "ip6", s, p.span);
          case "tcp":
            return this.ipproto(IPPROTO.TCP, "default", s, p.span);
          case "udp":
            return this.ipproto(IPPROTO.UDP, "default", s, p.span);
          case "sctp":
            return this.ipproto(IPPROTO.SCTP, "default", s, p.span);
          case "ah":
            return this.ipproto(IPPROTO.AH!, "default", s, p.span);
          case "esp":
            return this.ipproto(IPPROTO.ESP!, "default", s, p.span);
          case "pim":
            return this.ipproto(IPPROTO.PIM!, "default", s, p.span);
        }
        return this.fail(`unknown protocol ${p.name}`, p.span);
      case "ipproto":
        return this.ipproto(p.protocol, p.family, s, p.span);
      case "ether-proto":
        this.needEthernet("ether proto", p.span);
        return this.ethertype(p.etherType, s, p.span);
      case "host":
        return this.host(p);
      case "ether-host": {
        this.needEthernet("ether host", p.span);
        const cmp = (off: number): Pred =>
          and(
            leaf([ldAbs(4, off + 2)], BPF.JEQ!, Buffer.from(p.mac).readUInt32BE(2)),
            leaf([ldAbs(2, off)], BPF.JEQ!, Buffer.from(p.mac).readUInt16BE(0)),
          );
        return this.direction(
          p.dir,
          () => cmp(6),
          () => cmp(0),
        );
      }
      case "ether-multicast":
        this.needEthernet("multicast", p.span);
        return leaf([ldAbs(1, 0)], BPF.JSET!, 1);
      case "ip-multicast":
        return p.family === "ip"
          ? and(this.ethertype(ETH_P.IP, s, p.span), leaf(this.ldNet(1, s, 16), BPF.JGE!, 224))
          : and(this.ethertype(ETH_P.IPV6, s, p.span), leaf(this.ldNet(1, s, 24), BPF.JEQ!, 255));
      case "port":
        return this.port(p);
      case "length":
        return p.op === "less"
          ? not(leaf([st(BPF.LD! | BPF.W! | BPF.LEN!)], BPF.JGT!, p.value))
          : leaf([st(BPF.LD! | BPF.W! | BPF.LEN!)], BPF.JGE!, p.value);
      case "vlan":
        return this.vlan(p);
    }
  }

  /**
   * gen_vlan: a VLAN tag (802.1Q, 802.1ad or 0x9100) with VLAN ID `id` if
   * given; later primitives look 4 bytes further on. With vlanMetadata, the
   * first tag may be in skb metadata, where Linux puts the outer tag of a
   * received frame before packet sockets see it (skb_vlan_untag): then the
   * frame has no tag and later offsets stay; else the tag is looked for in
   * the frame and the register moves them on by 4 (as libpcap on Linux).
   */
  vlan(p: Extract<Primitive, { kind: "vlan" }>): Pred {
    this.needEthernet("vlan", p.span);
    const s = p.shift;
    const inFrame = (): Pred => {
      const tpid = or(
        leaf(this.ldType(s), BPF.JEQ!, ETH_P_8021Q),
        leaf(this.ldType(s), BPF.JEQ!, ETH_P_8021AD),
        leaf(this.ldType(s), BPF.JEQ!, ETH_P_QINQ1),
      );
      if (p.id === undefined) return tpid;
      return and(tpid, leaf([...this.ldNet(2, s, 0), st(BPF.ALU! | BPF.AND! | BPF.K!, 0xfff)], BPF.JEQ!, p.id));
    };
    if (!this.vlanMetadata || s > 0) return inFrame();
    this.usesVlanRegister = true;
    const present = (): Leaf => leaf([ldAbs(1, AD_VLAN_TAG_PRESENT)], BPF.JEQ!, 1);
    const inMeta =
      p.id === undefined
        ? present()
        : and(present(), leaf([ldAbs(2, AD_VLAN_TAG), st(BPF.ALU! | BPF.AND! | BPF.K!, 0xfff)], BPF.JEQ!, p.id));
    return or(
      inMeta,
      and(not(present()), {
        t: "do",
        stmts: [st(BPF.LD! | BPF.IMM!, 4), st(BPF.ST!, VLAN_REG)],
        then: inFrame(),
      }),
    );
  }

  direction(dir: "src" | "dst" | "or" | "and", src: () => Pred, dst: () => Pred): Pred {
    if (dir === "src") return src();
    if (dir === "dst") return dst();
    if (dir === "and") return and(src(), dst());
    return or(src(), dst());
  }

  /** gen_host / gen_hostop / gen_hostop6. */
  host(p: Extract<Primitive, { kind: "host" }>): Pred {
    const s = p.shift;
    const one = (type: number, srcOff: number, dstOff: number): Pred => {
      const cmp = (off: number): Pred => {
        const tests: Pred[] = [];
        for (let w = 0; w < p.bytes.length; w += 4) {
          const m = Buffer.from(p.mask).readUInt32BE(w);
          if (m === 0) continue;
          const v = (Buffer.from(p.bytes).readUInt32BE(w) & m) >>> 0;
          const stmts = this.ldNet(4, s, off + w);
          if (m !== 0xffffffff) stmts.push(st(BPF.ALU! | BPF.AND! | BPF.K!, m));
          tests.push(leaf(stmts, BPF.JEQ!, v));
        }
        return tests.length ? and(...tests) : { t: "const", v: true };
      };
      return and(
        this.ethertype(type, s, p.span),
        this.direction(
          p.dir,
          () => cmp(srcOff),
          () => cmp(dstOff),
        ),
      );
    };
    if (p.bytes.length === 16) return one(ETH_P.IPV6, 8, 24);
    const ip = (): Pred => one(ETH_P.IP, 12, 16);
    const arp = (): Pred => one(ETH_P.ARP, 14, 24);
    const rarp = (): Pred => one(RAR_P, 14, 24);
    if (p.proto === "ip") return ip();
    if (p.proto === "arp") return arp();
    if (p.proto === "rarp") return rarp();
    return or(ip(), arp(), rarp());
  }

  /** gen_port / gen_port6 / gen_portrange: transport ports over IPv6 and IPv4 (first fragments only). */
  port(p: Extract<Primitive, { kind: "port" }>): Pred {
    const s = p.shift;
    const protos =
      p.proto === "tcp"
        ? [IPPROTO.TCP]
        : p.proto === "udp"
          ? [IPPROTO.UDP]
          : p.proto === "sctp"
            ? [IPPROTO.SCTP]
            : [IPPROTO.TCP, IPPROTO.UDP, IPPROTO.SCTP];
    const atom = (load: () => BpfInstruction[]): Pred =>
      p.range ? and(leaf(load(), BPF.JGE!, p.low), not(leaf(load(), BPF.JGT!, p.high))) : leaf(load(), BPF.JEQ!, p.low);
    const v6 = and(
      this.ethertype(ETH_P.IPV6, s, p.span),
      or(...protos.map((pr) => leaf(this.ldNet(1, s, 6), BPF.JEQ!, pr))),
      this.direction(
        p.dir,
        () => atom(() => this.ldNet(2, s, 40)),
        () => atom(() => this.ldNet(2, s, 42)),
      ),
    );
    const v4 = and(
      this.ethertype(ETH_P.IP, s, p.span),
      or(...protos.map((pr) => leaf(this.ldNet(1, s, 9), BPF.JEQ!, pr))),
      this.notFragment(s),
      this.direction(
        p.dir,
        () => atom(() => [...this.xTransport(s), ldInd(2, this.netK(s, 0))]),
        () => atom(() => [...this.xTransport(s), ldInd(2, this.netK(s, 2))]),
      ),
    );
    return or(v6, v4);
  }

  // -------------------------------------------------------------------------
  // Byte tests.

  /** The tests a load of `proto[...]` needs first (gen_load's protocol checks). */
  loadCheck(a: Extract<Arith, { type: "load" }>): Pred {
    const s = a.shift;
    switch (a.proto) {
      case "link":
        this.needEthernet("link[...] / ether[...]", a.span);
        return { t: "const", v: true };
      case "ip":
        return this.ethertype(ETH_P.IP, s, a.span);
      case "ip6":
        return this.ethertype(ETH_P.IPV6, s, a.span);
      case "arp":
        return this.ethertype(ETH_P.ARP, s, a.span);
      case "rarp":
        return this.ethertype(RAR_P, s, a.span);
      case "icmp6":
        return and(this.ethertype(ETH_P.IPV6, s, a.span), leaf(this.ldNet(1, s, 6), BPF.JEQ!, IPPROTO.ICMPV6));
      default: {
        const v = TRANSPORT[a.proto]!;
        return and(this.ethertype(ETH_P.IP, s, a.span), leaf(this.ldNet(1, s, 9), BPF.JEQ!, v), this.notFragment(s));
      }
    }
  }

  checks(a: Arith): Pred {
    switch (a.type) {
      case "load":
        return and(this.checks(a.index), this.loadCheck(a));
      case "binary":
        return and(this.checks(a.left), this.checks(a.right));
      case "neg":
        return this.checks(a.operand);
      default:
        return { t: "const", v: true };
    }
  }

  /** Folds a constant expression to its 32-bit value; undefined when it loads anything. */
  constant(a: Arith, span: Span): number | undefined {
    switch (a.type) {
      case "num":
        return a.value >>> 0;
      case "len":
      case "load":
        return undefined;
      case "neg": {
        const v = this.constant(a.operand, span);
        return v === undefined ? undefined : -v >>> 0;
      }
      case "binary": {
        const r = this.constant(a.right, span);
        if (r !== undefined && (a.op === "/" || a.op === "%") && r === 0) this.fail("division by zero", span);
        if (r !== undefined && (a.op === "<<" || a.op === ">>") && r > 31)
          this.fail("shift by more than 31 bits", span);
        const l = this.constant(a.left, span);
        if (l === undefined || r === undefined) return undefined;
        return alu(a.op, l, r);
      }
    }
  }

  /** Statements leaving the value of `a` in A, using M[depth..] for intermediates. */
  arith(a: Arith, depth: number, span: Span): BpfInstruction[] {
    const c = this.constant(a, span);
    if (c !== undefined) return [st(BPF.LD! | BPF.IMM!, c)];
    if (depth >= VLAN_REG) this.fail("byte test nested too deeply for the BPF scratch memory", span);
    switch (a.type) {
      case "len":
        return [st(BPF.LD! | BPF.W! | BPF.LEN!)];
      case "neg":
        return [...this.arith(a.operand, depth, span), st(BPF.ALU! | BPF.NEG!)];
      case "binary": {
        const r = this.constant(a.right, span);
        if (r !== undefined) return [...this.arith(a.left, depth, span), st(BPF.ALU! | ALU[a.op]! | BPF.K!, r)];
        return [
          ...this.arith(a.right, depth, span),
          st(BPF.ST!, depth),
          ...this.arith(a.left, depth + 1, span),
          st(BPF.LDX! | BPF.MEM!, depth),
          st(BPF.ALU! | ALU[a.op]! | BPF.X!),
        ];
      }
      case "load": {
        const s = a.shift;
        const idx = this.constant(a.index, span);
        const transport = TRANSPORT[a.proto] !== undefined;
        const base = a.proto === "link" ? 0 : a.proto === "icmp6" ? this.netK(s, 40) : this.netK(s, 0);
        // X: the header's start beyond `base` (IPv4 header length, VLAN register), or nothing.
        const x = transport
          ? this.xTransport(s)
          : a.proto !== "link" && this.viaRegister(s)
            ? [st(BPF.LDX! | BPF.MEM!, VLAN_REG)]
            : undefined;
        if (idx !== undefined) return x ? [...x, ldInd(a.size, base + idx)] : [ldAbs(a.size, base + idx)];
        if (depth >= VLAN_REG) this.fail("byte test nested too deeply for the BPF scratch memory", span);
        const out = this.arith(a.index, depth, span);
        if (x) out.push(st(BPF.ST!, depth), ...x, st(BPF.LD! | BPF.MEM!, depth), st(BPF.ALU! | BPF.ADD! | BPF.X!));
        out.push(st(BPF.MISC! | BPF.TAX!), ldInd(a.size, base));
        return out;
      }
      default:
        return [];
    }
  }

  relation(n: Extract<FilterNode, { type: "relation" }>): Pred {
    const checks = this.checks({ type: "binary", op: "+", left: n.left, right: n.right });
    const l = this.constant(n.left, n.span);
    const r = this.constant(n.right, n.span);
    const [op, negate] = REL[n.op]!;
    let test: Pred;
    if (l !== undefined && r !== undefined) {
      const v = op === BPF.JEQ ? l === r : op === BPF.JGT ? l > r : l >= r;
      test = { t: "const", v };
    } else if (r !== undefined) {
      test = leaf(this.arith(n.left, 0, n.span), op, r);
    } else {
      test = leaf(
        [
          ...this.arith(n.right, 0, n.span),
          st(BPF.ST!, 0),
          ...this.arith(n.left, 1, n.span),
          st(BPF.LDX! | BPF.MEM!, 0),
        ],
        op,
        0,
        true,
      );
    }
    return and(checks, negate ? not(test) : test);
  }
}

const TRANSPORT: Partial<Record<LoadProto, number>> = {
  tcp: IPPROTO.TCP,
  udp: IPPROTO.UDP,
  sctp: IPPROTO.SCTP,
  icmp: IPPROTO.ICMP,
  igmp: IPPROTO.IGMP!,
};
const REL: Record<string, [number, boolean]> = {
  ">": [BPF.JGT!, false],
  ">=": [BPF.JGE!, false],
  "=": [BPF.JEQ!, false],
  "<": [BPF.JGE!, true],
  "<=": [BPF.JGT!, true],
  "!=": [BPF.JEQ!, true],
};

function alu(op: string, l: number, r: number): number {
  switch (op) {
    case "+":
      return (l + r) >>> 0;
    case "-":
      return (l - r) >>> 0;
    case "*":
      return Number((BigInt(l) * BigInt(r)) & 0xffffffffn);
    case "/":
      return Math.floor(l / r) >>> 0;
    case "%":
      return (l % r) >>> 0;
    case "&":
      return (l & r) >>> 0;
    case "|":
      return (l | r) >>> 0;
    case "^":
      return (l ^ r) >>> 0;
    case "<<":
      return (l << r) >>> 0;
    default:
      return l >>> r;
  }
}
