/**
 * The names a capture filter may use for numbers: libpcap's named constants
 * (`tcpflags`, `tcp-syn`, `icmp-echo`, ...), IP protocol names for
 * `ip proto NAME`, EtherType names for `ether proto NAME`, and service names
 * for `port NAME` from /etc/services as getservbyname(3) reads them.
 *
 * @see https://man7.org/linux/man-pages/man7/pcap-filter.7.html
 * @see https://man7.org/linux/man-pages/man5/services.5.html
 */
import { readFileSync } from "node:fs";
import { ETH_P, IPPROTO } from "../constants.js";

/** The constants libpcap's scanner turns into numbers (scanner.l), for byte tests. */
export const FILTER_CONSTANTS: Readonly<Record<string, number>> = Object.freeze({
  icmptype: 0,
  icmpcode: 1,
  "icmp-echoreply": 0,
  "icmp-unreach": 3,
  "icmp-sourcequench": 4,
  "icmp-redirect": 5,
  "icmp-echo": 8,
  "icmp-routeradvert": 9,
  "icmp-routersolicit": 10,
  "icmp-timxceed": 11,
  "icmp-paramprob": 12,
  "icmp-tstamp": 13,
  "icmp-tstampreply": 14,
  "icmp-ireq": 15,
  "icmp-ireqreply": 16,
  "icmp-maskreq": 17,
  "icmp-maskreply": 18,
  icmp6type: 0,
  icmp6code: 1,
  "icmp6-destinationunreach": 1,
  "icmp6-packettoobig": 2,
  "icmp6-timeexceeded": 3,
  "icmp6-parameterproblem": 4,
  "icmp6-echo": 128,
  "icmp6-echoreply": 129,
  "icmp6-multicastlistenerquery": 130,
  "icmp6-multicastlistenerreportv1": 131,
  "icmp6-multicastlistenerdone": 132,
  "icmp6-routersolicit": 133,
  "icmp6-routeradvert": 134,
  "icmp6-neighborsolicit": 135,
  "icmp6-neighboradvert": 136,
  "icmp6-redirect": 137,
  "icmp6-routerrenum": 138,
  "icmp6-nodeinformationquery": 139,
  "icmp6-nodeinformationresponse": 140,
  "icmp6-ineighbordiscoverysolicit": 141,
  "icmp6-ineighbordiscoveryadvert": 142,
  "icmp6-multicastlistenerreportv2": 143,
  tcpflags: 13,
  "tcp-fin": 0x01,
  "tcp-syn": 0x02,
  "tcp-rst": 0x04,
  "tcp-push": 0x08,
  "tcp-ack": 0x10,
  "tcp-urg": 0x20,
  "tcp-ece": 0x40,
  "tcp-cwr": 0x80,
});

/** IP protocol names for `ip proto NAME` / `ip6 proto NAME` (the /etc/protocols names libpcap accepts). */
export const IP_PROTOCOL_NAMES: Readonly<Record<string, number>> = Object.freeze({
  icmp: IPPROTO.ICMP,
  igmp: IPPROTO.IGMP!,
  tcp: IPPROTO.TCP,
  udp: IPPROTO.UDP,
  gre: IPPROTO.GRE!,
  esp: IPPROTO.ESP!,
  ah: IPPROTO.AH!,
  icmp6: IPPROTO.ICMPV6,
  "ipv6-icmp": IPPROTO.ICMPV6,
  pim: IPPROTO.PIM!,
  vrrp: 112, // no IPPROTO_VRRP in Linux's headers: IANA's number, as libpcap
  sctp: IPPROTO.SCTP,
});

/** EtherType names for `ether proto NAME`. */
export const ETHER_TYPE_NAMES: Readonly<Record<string, number>> = Object.freeze({
  ip: ETH_P.IP,
  ip6: ETH_P.IPV6,
  arp: ETH_P.ARP,
  rarp: ETH_P.RARP!,
});

let services: Map<string, { tcp?: number; udp?: number; sctp?: number }> | undefined;

/**
 * Looks up a service name as libpcap's pcap_nametoport does (getservbyname for
 * tcp, udp and sctp): the port, and the one protocol it is limited to when the
 * name exists for one protocol only. Reads /etc/services once.
 */
export function lookupService(name: string): { port: number; proto?: "tcp" | "udp" | "sctp" } | undefined {
  if (services === undefined) {
    services = new Map();
    let text = "";
    try {
      text = readFileSync("/etc/services", "utf8");
    } catch {
      /* no services database: numbers only */
    }
    for (const line of text.split("\n")) {
      const [entry] = line.split("#");
      const f = entry!.trim().split(/\s+/);
      const m = /^(\d+)\/(tcp|udp|sctp)$/.exec(f[1] ?? "");
      if (!m) continue;
      for (const n of [f[0]!, ...f.slice(2)]) {
        const e = services.get(n) ?? {};
        const proto = m[2] as "tcp" | "udp" | "sctp";
        if (e[proto] === undefined) e[proto] = Number(m[1]);
        services.set(n, e);
      }
    }
  }
  const e = services.get(name);
  if (!e) return undefined;
  // pcap_nametoport: tcp first; "any transport" when udp has the same number.
  if (e.tcp !== undefined) return e.udp === e.tcp ? { port: e.tcp } : { port: e.tcp, proto: "tcp" };
  if (e.udp !== undefined) return { port: e.udp, proto: "udp" };
  return { port: e.sctp!, proto: "sctp" };
}
