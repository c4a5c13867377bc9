/**
 * The pcap-filter(7) grammar's common core, parsed as libpcap's grammar.y
 * does: `and`/`&&` and `or`/`||` have the same precedence and group left to
 * right, `not`/`!` binds tighter; a bare address after `and`/`or` repeats
 * the qualifiers before it (`host a or b`, `tcp port 22 or 80`); `vlan`
 * moves every later primitive 4 bytes on. Byte tests `proto[expr:size] op
 * expr` take `+ - * / % & | ^ << >>`, unary `-`, `len` and libpcap's named
 * constants.
 *
 * @see https://man7.org/linux/man-pages/man7/pcap-filter.7.html
 */
import { parseIPv4, parseIPv6 } from "../address.js";
import type { Arith, Direction, FilterNode, LoadProto, Primitive, RelOp, Span } from "./ast.js";
import { FilterSyntaxError } from "./error.js";
import { type Token, tokenize } from "./lexer.js";
import { ETHER_TYPE_NAMES, FILTER_CONSTANTS, IP_PROTOCOL_NAMES, lookupService } from "./names.js";

/** Protocol qualifiers (pname in grammar.y). */
const PNAMES = new Set([
  "ether",
  "link",
  "ip",
  "ip6",
  "arp",
  "rarp",
  "tcp",
  "udp",
  "sctp",
  "icmp",
  "icmp6",
  "igmp",
  "ah",
  "esp",
  "vrrp",
  "pim",
]);
/** Words that can never be an address or a name. */
const KEYWORDS = new Set([
  ...PNAMES,
  "and",
  "or",
  "not",
  "src",
  "dst",
  "host",
  "net",
  "port",
  "portrange",
  "proto",
  "less",
  "greater",
  "len",
  "vlan",
  "broadcast",
  "multicast",
  "mask",
]);
const ADDR_QUALS = new Set(["host", "net", "port", "portrange", "proto"]);
/** Protocols whose header a load (`tcp[13]`, `ip[0] & 0xf`) can index: every pname but these. */
const NOT_LOADABLE = new Set(["ah", "esp", "vrrp", "pim"]);
const LOAD_PROTOS = new Set([...PNAMES].filter((p) => !NOT_LOADABLE.has(p)));
const ARITH_OPS: Record<string, number> = {
  "|": 1,
  "^": 1,
  "&": 2,
  "<<": 3,
  ">>": 3,
  "+": 4,
  "-": 4,
  "*": 5,
  "/": 5,
  "%": 5,
};
const RELOPS: Record<string, RelOp> = { ">": ">", "<": "<", ">=": ">=", "<=": "<=", "=": "=", "==": "=", "!=": "!=" };

/** A primitive without its position and shift. */
type PrimitiveBody = Primitive extends infer P ? (P extends unknown ? Omit<P, "shift" | "span"> : never) : never;

/** The qualifiers of a `head` (pqual dqual aqual), which a bare address after and/or repeats. */
interface Qualifiers {
  proto?: string;
  dir?: Direction;
  addr?: string;
}

function isAnd(t: Token): boolean {
  return (t.kind === "word" && !t.escaped && t.text.toLowerCase() === "and") || (t.kind === "op" && t.text === "&&");
}
function isOr(t: Token): boolean {
  return (t.kind === "word" && !t.escaped && t.text.toLowerCase() === "or") || (t.kind === "op" && t.text === "||");
}
function isNot(t: Token): boolean {
  return (t.kind === "word" && !t.escaped && t.text.toLowerCase() === "not") || (t.kind === "op" && t.text === "!");
}

class Parser {
  readonly toks: Token[];
  i = 0;
  /** Bytes every later link-layer payload offset moves on (4 per `vlan`). */
  shift = 0;
  /** The qualifiers of the last term, for an address after and/or (null: none to repeat). */
  lastQual: Qualifiers | null = null;

  constructor(readonly text: string) {
    this.toks = tokenize(text);
  }

  peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }
  next(): Token {
    return this.toks[Math.min(this.i++, this.toks.length - 1)]!;
  }
  fail(reason: string, t: Token = this.peek()): never {
    throw new FilterSyntaxError(reason, this.text, t.start, t.end);
  }
  kw(t: Token): string | undefined {
    if (t.kind !== "word" || t.escaped) return undefined;
    const w = t.text.toLowerCase();
    return KEYWORDS.has(w) || w === "icmpv6" ? (w === "icmpv6" ? "icmp6" : w) : undefined;
  }
  isOp(t: Token, op: string): boolean {
    return t.kind === "op" && t.text === op;
  }
  expectOp(op: string, what: string): Token {
    const t = this.peek();
    if (!this.isOp(t, op)) this.fail(`expected ${JSON.stringify(op)} ${what}`);
    return this.next();
  }

  parse(): FilterNode {
    if (this.peek().kind === "end") return { type: "true" };
    const node = this.expr();
    const t = this.peek();
    if (t.kind !== "end") {
      if (this.isOp(t, ")")) this.fail("unbalanced parenthesis", t);
      this.fail(`expected "and" or "or" before this word`, t);
    }
    return node;
  }

  expr(): FilterNode {
    let left = this.term();
    for (;;) {
      const t = this.peek();
      const type = isAnd(t) ? "and" : isOr(t) ? "or" : undefined;
      if (!type) return left;
      this.next();
      if (this.peek().kind === "end") this.fail(`"${t.text}" needs a primitive after it`);
      let right: FilterNode;
      const q = this.lastQual;
      if (this.startsId() && (q || this.peek().kind !== "word")) {
        if (!q) this.fail("an address needs a qualifier (host, net, port ...) before it");
        right = this.id(q);
      } else right = this.term();
      left = { type, left, right };
    }
  }

  /** Whether the tokens ahead are an `id` (an address that repeats the last qualifiers), not a term. */
  startsId(): boolean {
    let j = 0;
    while (isNot(this.peek(j))) j++;
    let t = this.peek(j);
    if (this.isOp(t, "(")) {
      j++;
      while (isNot(this.peek(j))) j++;
      t = this.peek(j);
    }
    const after = this.peek(j + 1);
    const addressLike =
      t.kind === "ipv4" ||
      t.kind === "ipv6" ||
      t.kind === "mac" ||
      t.kind === "num" ||
      (t.kind === "word" && !this.kw(t) && FILTER_CONSTANTS[t.text] === undefined);
    if (!addressLike) return false;
    // A number followed by an operator starts a byte test (`and 1 + 1 = 2`); an address may take `/len`.
    if (after.kind === "op" && (ARITH_OPS[after.text] !== undefined || RELOPS[after.text] !== undefined)) {
      return this.isOp(after, "/") && t.kind !== "num";
    }
    return true;
  }

  /** `id` in grammar.y: an address with the given qualifiers, `not id`, `( id and|or id ... )`. */
  id(q: Qualifiers): FilterNode {
    const t = this.peek();
    if (isNot(t)) {
      this.next();
      return { type: "not", operand: this.id(q) };
    }
    if (this.isOp(t, "(")) {
      this.next();
      let n = this.id(q);
      for (;;) {
        const o = this.peek();
        const type = isAnd(o) ? "and" : isOr(o) ? "or" : undefined;
        if (!type) break;
        this.next();
        n = { type, left: n, right: this.id(q) };
      }
      this.expectOp(")", "to close the parenthesis");
      return n;
    }
    return { type: "primitive", primitive: this.primitive(q, this.next()) };
  }

  term(): FilterNode {
    const t = this.peek();
    if (isNot(t)) {
      this.next();
      if (this.peek().kind === "end") this.fail(`"${t.text}" needs a primitive after it`);
      return { type: "not", operand: this.term() };
    }
    if (this.isOp(t, "(")) {
      // A parenthesised expression, unless what follows the matching ")" makes it arithmetic.
      let depth = 0;
      let j = 0;
      for (; ; j++) {
        const u = this.peek(j);
        if (u.kind === "end") break;
        if (this.isOp(u, "(")) depth++;
        else if (this.isOp(u, ")") && --depth === 0) break;
      }
      const after = this.peek(j + 1);
      if (!(after.kind === "op" && (ARITH_OPS[after.text] !== undefined || RELOPS[after.text] !== undefined))) {
        this.next();
        const e = this.expr();
        if (!this.isOp(this.peek(), ")")) {
          if (this.peek().kind === "end") this.fail(`unbalanced parenthesis: no ")" for this "("`, t);
          this.fail(`expected "and", "or" or ")" before this word`);
        }
        this.next();
        return e;
      }
      this.lastQual = null;
      return this.relation();
    }
    const k = this.kw(t);
    this.lastQual = null;
    if (k !== undefined && PNAMES.has(k)) {
      const n = this.peek(1);
      const nk = this.kw(n);
      if (this.isOp(n, "[")) return this.relation();
      if (nk === "src" || nk === "dst" || (nk !== undefined && ADDR_QUALS.has(nk))) return this.head();
      if (nk === "broadcast" || nk === "multicast") {
        this.next();
        this.next();
        return { type: "primitive", primitive: this.castMulti(k, nk, t, n) };
      }
      this.next();
      if (k === "ether" || k === "link")
        this.fail(`"${t.text}" needs host, src, dst, proto, broadcast or [offset] after it`, t);
      return this.prim({ kind: "abbrev", name: k }, t, t);
    }
    if (k === "src" || k === "dst" || (k !== undefined && ADDR_QUALS.has(k))) return this.head();
    if (k === "less" || k === "greater") {
      this.next();
      const v = this.next();
      if (v.kind !== "num") this.fail(`"${t.text}" needs a number (a length in bytes)`, v);
      return this.prim({ kind: "length", op: k, value: v.value! }, t, v);
    }
    if (k === "vlan") {
      this.next();
      let id: number | undefined;
      let end = t;
      if (this.peek().kind === "num") {
        end = this.next();
        id = end.value!;
        if (id > 4095) this.fail(`VLAN tag ${id} greater than maximum 4095`, end);
      }
      const p = this.prim({ kind: "vlan", ...(id !== undefined ? { id } : {}) }, t, end);
      this.shift += 4;
      return p;
    }
    if (k === "broadcast" || k === "multicast") {
      this.next();
      return { type: "primitive", primitive: this.castMulti("ether", k, t, t) };
    }
    if (
      t.kind === "num" ||
      this.isOp(t, "-") ||
      k === "len" ||
      (t.kind === "word" && !t.escaped && FILTER_CONSTANTS[t.text] !== undefined)
    ) {
      return this.relation();
    }
    if (t.kind === "end") this.fail("expected a primitive");
    if (t.kind === "ipv4" || t.kind === "ipv6" || t.kind === "mac") {
      this.fail("an address needs a qualifier (host, net, ether host ...) before it", t);
    }
    if (t.kind === "op") this.fail(`unexpected ${JSON.stringify(t.text)}`, t);
    if (k !== undefined) this.fail(`"${t.text}" cannot start a primitive`, t);
    this.fail(
      "unknown word (expected a primitive: host, net, port, portrange, ip, ip6, arp, tcp, udp, icmp, ether, vlan, less, greater, proto[...] ...)",
      t,
    );
  }

  prim(p: PrimitiveBody, from: Token, to: Token): FilterNode {
    return {
      type: "primitive",
      primitive: { ...p, shift: this.shift, span: { start: from.start, end: to.end } } as Primitive,
    };
  }

  castMulti(proto: string, what: string, from: Token, to: Token): Primitive {
    const span = { start: from.start, end: to.end };
    if (proto === "ether" || proto === "link") {
      if (what === "broadcast")
        return { kind: "ether-host", dir: "dst", mac: new Uint8Array(6).fill(0xff), shift: this.shift, span };
      return { kind: "ether-multicast", shift: this.shift, span };
    }
    if ((proto === "ip" || proto === "ip6") && what === "multicast") {
      return { kind: "ip-multicast", family: proto, shift: this.shift, span };
    }
    return this.fail(
      `"${proto} ${what}" is not supported (ether broadcast, multicast, ip multicast, ip6 multicast are)`,
      from,
    );
  }

  /** `head id`: [pname] [src|dst|src or dst|src and dst] [host|net|port|portrange|proto] ID. */
  head(): FilterNode {
    const q: Qualifiers = {};
    const first = this.peek();
    let k = this.kw(this.peek());
    if (k !== undefined && PNAMES.has(k)) {
      q.proto = k === "link" ? "ether" : k;
      this.next();
      k = this.kw(this.peek());
    }
    if (k === "src" || k === "dst") {
      this.next();
      q.dir = k;
      const o = this.peek();
      const other = this.kw(this.peek(1));
      if ((isOr(o) || isAnd(o)) && (other === "src" || other === "dst") && other !== k) {
        this.next();
        this.next();
        q.dir = isOr(o) ? "or" : "and";
      }
      k = this.kw(this.peek());
    }
    if (k !== undefined && ADDR_QUALS.has(k)) {
      q.addr = k;
      this.next();
    }
    const node = this.id(q);
    if (node.type === "primitive") node.primitive.span.start = first.start;
    this.lastQual = q;
    return node;
  }

  /** Builds the primitive for an address token under qualifiers (gen_scode / gen_ncode in gencode.c). */
  primitive(q: Qualifiers, t: Token): Primitive {
    const proto = q.proto;
    const dir: Direction = q.dir ?? "or";
    const addr = q.addr;
    const shift = this.shift;
    let end = t.end;
    const span = (): Span => ({ start: t.start, end });
    if (t.kind === "end") this.fail(`expected ${addr === "port" || addr === "portrange" ? "a port" : "an address"}`, t);
    if (t.kind === "op") this.fail(`expected an address or a number, not ${JSON.stringify(t.text)}`, t);
    if (this.kw(t)) this.fail(`expected ${addr ? `a value after "${addr}"` : "an address"}, not the keyword`, t);

    if (addr === "proto") {
      let v: number | undefined = t.kind === "num" ? t.value : undefined;
      const name = t.text.toLowerCase();
      if (proto === "ether") {
        v ??= t.kind === "word" ? ETHER_TYPE_NAMES[name] : undefined;
        if (v === undefined || v > 0xffff)
          this.fail("ether proto needs an EtherType (a number up to 0xffff, or ip, ip6, arp, rarp)", t);
        return { kind: "ether-proto", etherType: v, shift, span: span() };
      }
      v ??= t.kind === "word" ? IP_PROTOCOL_NAMES[name] : undefined;
      if (v === undefined || v > 255)
        this.fail("proto needs an IP protocol (a number up to 255, or a name such as \\tcp)", t);
      if (proto !== undefined && proto !== "ip" && proto !== "ip6")
        this.fail(`"${proto} proto" is not supported (ip proto, ip6 proto, ether proto, proto are)`, t);
      return { kind: "ipproto", family: proto ?? "default", protocol: v, shift, span: span() };
    }

    if (addr === "port" || addr === "portrange") {
      if (proto !== undefined && proto !== "tcp" && proto !== "udp" && proto !== "sctp")
        this.fail(`illegal qualifier of '${addr}': ${proto}`, t);
      let pproto = (proto ?? "default") as "default" | "tcp" | "udp" | "sctp";
      const port = (text: string, tok: Token): number => {
        const n = /^\d+$/.test(text) || /^0x/i.test(text) ? (tok.kind === "num" ? tok.value : Number(text)) : undefined;
        if (n !== undefined) {
          if (!(n <= 0xffff)) this.fail(`illegal port number ${n} > 65535`, tok);
          return n;
        }
        const s = lookupService(text);
        if (!s) this.fail(`unknown port name (not in /etc/services)`, tok);
        if (s.proto) {
          if (pproto !== "default" && pproto !== s.proto) this.fail(`port ${text} is ${s.proto}, not ${pproto}`, tok);
          pproto = s.proto;
        }
        return s.port;
      };
      if (t.kind !== "num" && t.kind !== "word") this.fail(`${addr} needs a port number or name`, t);
      if (addr === "port") {
        const p = port(t.text, t);
        return { kind: "port", proto: pproto, dir, low: p, high: p, range: false, shift, span: span() };
      }
      const m = /^([^-]+)-([^-]+)$/.exec(t.text);
      let lo: number, hi: number;
      if (m) {
        lo = port(m[1]!, t);
        hi = port(m[2]!, t);
      } else lo = hi = port(t.text, t);
      if (lo > hi) [lo, hi] = [hi, lo];
      return { kind: "port", proto: pproto, dir, low: lo, high: hi, range: true, shift, span: span() };
    }

    // host, net, or no address qualifier (the kind of token decides).
    if (proto === "ether") {
      if (t.kind !== "mac") this.fail("ether host needs a MAC address (aa:bb:cc:dd:ee:ff)", t);
      if (addr === "net") this.fail("ether net is not a thing; use ether host", t);
      return { kind: "ether-host", dir, mac: macBytes(t.text), shift, span: span() };
    }
    if (t.kind === "mac") this.fail("a MAC address needs the ether qualifier (ether host ...)", t);
    if (proto !== undefined && proto !== "ip" && proto !== "ip6" && proto !== "arp" && proto !== "rarp") {
      this.fail(`'${proto}' modifier applied to ${addr ?? "host"}`, t);
    }
    const hproto = (proto ?? "default") as "default" | "ip" | "ip6" | "arp" | "rarp";
    // An optional "/len" or "mask M" after the address.
    let maskBits: number | undefined;
    let maskBytes: Uint8Array | undefined;
    if (this.isOp(this.peek(), "/")) {
      const slash = this.next();
      const n = this.next();
      if (n.kind !== "num") this.fail("expected a prefix length after /", n);
      maskBits = n.value!;
      end = n.end;
      if (addr === "host") this.fail("mask syntax for networks only", slash);
    } else if (this.kw(this.peek()) === "mask") {
      const mk = this.next();
      const m = this.next();
      if (m.kind !== "ipv4" || !parseIPv4(m.text)) this.fail("mask needs an IPv4 netmask (255.255.255.0)", m);
      if (t.kind !== "ipv4") this.fail("mask goes with an IPv4 network", mk);
      if (addr === "host") this.fail("mask syntax for networks only", mk);
      maskBytes = parseIPv4(m.text)!;
      end = m.end;
    }
    let bytes: Uint8Array;
    let mask: Uint8Array;
    if (t.kind === "ipv6") {
      if (hproto !== "default" && hproto !== "ip6") this.fail(`an IPv6 address with '${hproto}'`, t);
      bytes = parseIPv6(t.text)!;
      const bits = maskBits ?? 128;
      if (bits > 128) this.fail(`prefix length ${bits} is over 128`, t);
      mask = prefixMask(16, bits);
    } else if (t.kind === "ipv4" || t.kind === "num") {
      if (hproto === "ip6") this.fail("an IPv4 address with 'ip6'", t);
      let value: number;
      let bits: number;
      if (t.kind === "num") {
        // A bare number (gen_ncode): a short network number moves up (net 10 = 10.0.0.0/8); a host is a 32-bit value.
        value = t.value!;
        bits = 32;
        if (addr === "net" && maskBits === undefined && !maskBytes) {
          while (value && (value & 0xff000000) === 0) {
            value = (value << 8) >>> 0;
            bits -= 8;
          }
        }
      } else {
        const parts = t.text.split(".").map(Number);
        if (parts.some((p) => p > 255)) this.fail("not an IPv4 address", t);
        value = 0;
        for (const p of parts) value = ((value << 8) | p) >>> 0;
        bits = parts.length * 8;
        value = bits === 32 ? value : (value << (32 - bits)) >>> 0;
      }
      if (maskBits !== undefined) {
        if (maskBits > 32) this.fail(`prefix length ${maskBits} is over 32`, t);
        bits = maskBits;
      }
      bytes = u32(value);
      mask = maskBytes ?? prefixMask(4, bits);
    } else {
      this.fail(
        addr === "net"
          ? "net needs a numeric network (10.0.0.0/8, 10.0.0.0 mask 255.0.0.0, fe80::/10)"
          : "host names are not resolved: give a numeric IPv4 or IPv6 address",
        t,
      );
    }
    for (let i = 0; i < bytes.length; i++) {
      if ((bytes[i]! & ~mask[i]!) !== 0) this.fail(`non-network bits set in "${this.text.slice(t.start, end)}"`, t);
    }
    return { kind: "host", proto: hproto, dir, bytes, mask, shift, span: span() };
  }

  relation(): FilterNode {
    const start = this.peek();
    const left = this.arith(1);
    const t = this.peek();
    const op = t.kind === "op" ? RELOPS[t.text] : undefined;
    if (!op) this.fail("expected a comparison (=, !=, <, <=, >, >=) after the value", t);
    this.next();
    const right = this.arith(1);
    return { type: "relation", op, left, right, span: { start: start.start, end: this.toks[this.i - 1]!.end } };
  }

  arith(minPrec: number): Arith {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const prec = t.kind === "op" ? ARITH_OPS[t.text] : undefined;
      if (prec === undefined || prec < minPrec) return left;
      this.next();
      const right = this.arith(prec + 1);
      left = { type: "binary", op: t.text as Extract<Arith, { type: "binary" }>["op"], left, right };
    }
  }

  unary(): Arith {
    const t = this.peek();
    if (this.isOp(t, "-")) {
      this.next();
      return { type: "neg", operand: this.unary() };
    }
    if (this.isOp(t, "(")) {
      this.next();
      const a = this.arith(1);
      this.expectOp(")", "to close the parenthesis");
      return a;
    }
    if (t.kind === "num") {
      this.next();
      return { type: "num", value: t.value! };
    }
    if (t.kind === "word" && !t.escaped && FILTER_CONSTANTS[t.text] !== undefined) {
      this.next();
      return { type: "num", value: FILTER_CONSTANTS[t.text]! };
    }
    const k = this.kw(t);
    if (k === "len") {
      this.next();
      return { type: "len" };
    }
    if (k !== undefined && LOAD_PROTOS.has(k) && this.isOp(this.peek(1), "[")) {
      this.next();
      this.next();
      const index = this.arith(1);
      let size: 1 | 2 | 4 = 1;
      if (this.isOp(this.peek(), ":")) {
        this.next();
        const s = this.next();
        if (s.kind !== "num" || (s.value !== 1 && s.value !== 2 && s.value !== 4))
          this.fail("data size must be 1, 2, or 4", s);
        size = s.value;
      }
      const close = this.expectOp("]", "to close the byte offset");
      const proto = (k === "ether" ? "link" : k) as LoadProto;
      return { type: "load", proto, index, size, shift: this.shift, span: { start: t.start, end: close.end } };
    }
    if (t.kind === "end") this.fail("expected a value");
    this.fail("expected a value (a number, len, a named constant or proto[offset])", t);
  }
}

function macBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split(":").map((h) => parseInt(h, 16)));
}
function u32(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}
function prefixMask(len: number, bits: number): Uint8Array {
  const m = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const b = Math.max(0, Math.min(8, bits - i * 8));
    m[i] = (0xff00 >> b) & 0xff;
  }
  return m;
}

/**
 * Parses a filter expression in the pcap-filter(7) syntax to a tree. An
 * empty expression is `{ type: "true" }` (everything). Does not correspond
 * to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/pcap-filter.7.html
 * @throws FilterSyntaxError (a TypeError, code ERR_INVALID_ARG_VALUE) with
 *   the span of the offending word; ERR_INVALID_ARG_TYPE for a non-string.
 */
export function parseFilter(expression: string): FilterNode {
  return new Parser(expression).parse();
}
