/**
 * Capture filters: the pcap-filter(7) language compiled to classic BPF, as
 * tcpdump compiles it (see parse.ts for the grammar, codegen.ts for what each
 * primitive tests, layout.ts for the jumps).
 *
 * @see https://man7.org/linux/man-pages/man7/pcap-filter.7.html
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
import { parseIPv4, parseIPv6 } from "../address.js";
import { BPF } from "../constants.js";
import { codedError } from "../errors.js";
import * as raw from "../raw/index.js";
import { ACCEPT_ALL, type BpfInstruction } from "../bpf.js";
import type { FilterNode } from "./ast.js";
import { CodeGen, type FilterLink } from "./codegen.js";
import { layoutProgram } from "./layout.js";
import { parseFilter } from "./parse.js";

/**
 * One primitive of the older structured form of a filter, still accepted by
 * {@link compileFilter} as an array (the primitives are joined by `and`).
 */
export type FilterPrimitive =
  | { kind: "ip" }
  | { kind: "ip6" }
  | { kind: "arp" }
  | { kind: "proto"; protocol: number; family?: "ip" | "ip6" }
  | { kind: "host"; address: string; direction?: "src" | "dst" }
  | { kind: "port"; port: number; direction?: "src" | "dst" };

/** Options of {@link compileFilter}. */
export interface CompileFilterOptions {
  /**
   * The layout of the packets the program will see. "ethernet": Ethernet
   * frames from their first byte (a SOCK_RAW packet socket on an Ethernet
   * or loopback interface; tcpdump's DLT_EN10MB) — every primitive works.
   * "any" (the default): the EtherType from skb->protocol and the network
   * header at SKF_NET_OFF, which works on SOCK_RAW and SOCK_DGRAM packet
   * sockets of any link type; ether and vlan primitives are refused.
   */
  link?: FilterLink;
  /**
   * With link "ethernet": whether the outer VLAN tag may have been moved from
   * the frame to skb metadata, as Linux does for every frame it hands to a
   * packet socket (skb_vlan_untag; also hardware VLAN offload) — `vlan` then
   * tests SKF_AD_VLAN_TAG_PRESENT / SKF_AD_VLAN_TAG as well as the frame, as
   * libpcap does on Linux. Default true; false reads tags only in the frame,
   * as in a pcap file (tcpdump -r).
   */
  vlanMetadata?: boolean;
}

function primitiveText(p: FilterPrimitive): string {
  if (typeof p !== "object" || p === null)
    throw codedError("ERR_INVALID_ARG_TYPE", "a filter primitive must be an object");
  switch (p.kind) {
    case "ip":
    case "ip6":
    case "arp":
      return p.kind;
    case "proto":
      if (p.family !== undefined && p.family !== "ip" && p.family !== "ip6") {
        throw codedError("ERR_INVALID_ARG_VALUE", `family must be "ip" or "ip6", got ${raw.describe(p.family)}`);
      }
      return `${p.family ? `${p.family} ` : ""}proto ${raw.checkInt(p.protocol, "protocol", 0, 255)}`;
    case "host":
      if (typeof p.address !== "string") throw codedError("ERR_INVALID_ARG_TYPE", "host address must be a string");
      // Only an address: the text becomes part of an expression.
      if (!parseIPv4(p.address) && !parseIPv6(p.address)) {
        throw codedError(
          "ERR_INVALID_ARG_VALUE",
          `host address must be a numeric IPv4 or IPv6 address, got ${raw.describe(p.address)}`,
        );
      }
      if (p.direction !== undefined && p.direction !== "src" && p.direction !== "dst") {
        throw codedError("ERR_INVALID_ARG_VALUE", `direction must be "src" or "dst", got ${raw.describe(p.direction)}`);
      }
      return `${p.direction ? `${p.direction} ` : ""}host ${p.address}`;
    case "port":
      if (p.direction !== undefined && p.direction !== "src" && p.direction !== "dst") {
        throw codedError("ERR_INVALID_ARG_VALUE", `direction must be "src" or "dst", got ${raw.describe(p.direction)}`);
      }
      return `${p.direction ? `${p.direction} ` : ""}port ${raw.checkInt(p.port, "port", 0, 0xffff)}`;
    default:
      throw codedError(
        "ERR_INVALID_ARG_VALUE",
        `unknown filter primitive kind ${raw.describe((p as { kind?: unknown }).kind)}`,
      );
  }
}

/**
 * Parses a capture filter in the pcap-filter(7) syntax to its tree (what
 * {@link compileFilter} compiles). Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/pcap-filter.7.html
 * @throws TypeError ERR_INVALID_ARG_VALUE (a FilterSyntaxError with the
 *   offending word's `start`/`end` and a `caret()` drawing) for a filter it
 *   cannot parse; ERR_INVALID_ARG_TYPE for a non-string.
 */
export function parseFilterExpression(expression: string): FilterNode {
  if (typeof expression !== "string") throw codedError("ERR_INVALID_ARG_TYPE", "a filter expression must be a string");
  return parseFilter(expression);
}

/**
 * Compiles a capture filter — a pcap-filter(7) expression as tcpdump takes
 * it ("tcp port 80 and not host 10.0.0.1", "(icmp or arp) and net
 * 10.0.0.0/8", "tcp[tcpflags] & tcp-syn != 0"), or an array of primitives
 * joined by `and` — to a classic BPF program that returns `snaplen` for a
 * matching packet and 0 for the rest. Supported: and/&&, or/||, not/!
 * (and/or of equal precedence, left to right, as in libpcap), parentheses,
 * qualifier repetition (`host a or b`), host/net (CIDR, `mask`, abbreviated
 * IPv4) and port/portrange with src/dst/src or dst/src and dst, ip, ip6,
 * arp, rarp, tcp, udp, sctp, icmp, icmp6, igmp, ah, esp, pim, vrrp, ip/ip6
 * proto, ether host/src/dst/proto, broadcast, multicast, vlan [id],
 * less/greater, and byte tests proto[expr:size] with + - * / % & | ^ << >>,
 * len and the named constants (tcpflags, tcp-syn, icmptype, icmp-echo ...).
 * Host and port primitives match IPv4 and IPv6 unless qualified, and port
 * tests skip IPv4 fragments after the first — as tcpdump. An empty
 * expression accepts everything. Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/pcap-filter.7.html
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws TypeError ERR_INVALID_ARG_VALUE (a FilterSyntaxError pointing at
 *   the word) for a filter it cannot compile; RangeError ERR_OUT_OF_RANGE for
 *   a bad snaplen or a program over BPF_MAXINSNS instructions.
 */
export function compileFilter(
  filter: string | readonly FilterPrimitive[],
  snaplen: number = ACCEPT_ALL,
  options: CompileFilterOptions = {},
): BpfInstruction[] {
  const expression =
    typeof filter === "string"
      ? filter
      : Array.isArray(filter)
        ? (filter as readonly FilterPrimitive[]).map(primitiveText).join(" and ")
        : (() => {
            throw codedError("ERR_INVALID_ARG_TYPE", "a filter must be an expression string or an array of primitives");
          })();
  raw.checkInt(snaplen, "snaplen", 1, 0xffffffff);
  if (typeof options !== "object" || options === null)
    throw codedError("ERR_INVALID_ARG_TYPE", "options must be an object");
  const link = options.link ?? "any";
  if (link !== "ethernet" && link !== "any") {
    throw codedError("ERR_INVALID_ARG_VALUE", `link must be "ethernet" or "any", got ${raw.describe(link)}`);
  }
  const vlanMetadata = options.vlanMetadata ?? true;
  if (typeof vlanMetadata !== "boolean") throw codedError("ERR_INVALID_ARG_TYPE", "vlanMetadata must be a boolean");
  const tree = parseFilterExpression(expression);
  const gen = new CodeGen(expression, link, vlanMetadata);
  const pred = gen.node(tree);
  const program = layoutProgram(pred, snaplen, gen.prologue());
  if (program.length > BPF.MAXINSNS!) {
    throw codedError(
      "ERR_OUT_OF_RANGE",
      `filter: the program has ${program.length} instructions, over the kernel's limit of ${BPF.MAXINSNS}`,
    );
  }
  return program;
}
