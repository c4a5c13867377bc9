/**
 * The tree a capture filter parses to: boolean nodes over primitives and
 * byte-test relations, with every leaf keeping the span of text it came from
 * (for errors) and the VLAN shift in force where it was written (libpcap
 * moves the link-layer payload 4 bytes on for each `vlan` to its left).
 *
 * @see https://man7.org/linux/man-pages/man7/pcap-filter.7.html
 */

/** Where a node came from in the expression: [start, end). */
export interface Span {
  start: number;
  end: number;
}

/** Protocols a `proto[...]` byte test can read from. */
export type LoadProto = "link" | "ip" | "ip6" | "arp" | "rarp" | "tcp" | "udp" | "sctp" | "icmp" | "icmp6" | "igmp";

/** A direction qualifier: `src`, `dst`, `src or dst` (the default), `src and dst`. */
export type Direction = "src" | "dst" | "or" | "and";

/** An arithmetic expression of a byte test. */
export type Arith =
  | { type: "num"; value: number }
  | { type: "len" }
  | { type: "load"; proto: LoadProto; index: Arith; size: 1 | 2 | 4; shift: number; span: Span }
  | { type: "binary"; op: "+" | "-" | "*" | "/" | "%" | "&" | "|" | "^" | "<<" | ">>"; left: Arith; right: Arith }
  | { type: "neg"; operand: Arith };

/** One primitive of pcap-filter(7). `shift` is the VLAN shift (bytes) in force where it was written. */
export type Primitive = (
  | {
      /** `ip`, `ip6`, `arp`, `rarp`, `tcp`, `udp`, `sctp`, `icmp`, `icmp6`, `igmp`, `ah`, `esp`, `vrrp`, `pim`. */
      kind: "abbrev";
      name: string;
    }
  | {
      /** `[ip|ip6|arp|rarp] [dir] host|net ADDR`: `bytes` and `mask` are 4 or 16 bytes. */
      kind: "host";
      proto: "default" | "ip" | "ip6" | "arp" | "rarp";
      dir: Direction;
      bytes: Uint8Array;
      mask: Uint8Array;
    }
  | {
      /** `ether [dir] host MAC`, `ether broadcast` (dst ff:...). */ kind: "ether-host";
      dir: Direction;
      mac: Uint8Array;
    }
  | { /** `[ether] multicast`: the group bit of the destination. */ kind: "ether-multicast" }
  | { /** `ip multicast`, `ip6 multicast`. */ kind: "ip-multicast"; family: "ip" | "ip6" }
  | {
      /** `[tcp|udp|sctp] [dir] port N`, `portrange A-B`. */
      kind: "port";
      proto: "default" | "tcp" | "udp" | "sctp";
      dir: Direction;
      low: number;
      high: number;
      range: boolean;
    }
  | { /** `[ip|ip6] proto N`. */ kind: "ipproto"; family: "default" | "ip" | "ip6"; protocol: number }
  | { /** `ether proto N`. */ kind: "ether-proto"; etherType: number }
  | { /** `vlan [ID]`. */ kind: "vlan"; id?: number }
  | { /** `less N` (len <= N), `greater N` (len >= N). */ kind: "length"; op: "less" | "greater"; value: number }
) & { shift: number; span: Span };

/** A relational operator of a byte test. */
export type RelOp = ">" | "<" | ">=" | "<=" | "=" | "!=";

/** A node of the filter tree. */
export type FilterNode =
  | { type: "and" | "or"; left: FilterNode; right: FilterNode }
  | { type: "not"; operand: FilterNode }
  | { type: "primitive"; primitive: Primitive }
  | { type: "relation"; op: RelOp; left: Arith; right: Arith; span: Span }
  | { type: "true" };
