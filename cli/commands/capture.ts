/**
 * `sockit capture -i IF [filter]`: tcpdump-style capture on a packet socket —
 * a one-line summary per frame, or a pcap file with -w. The filter is
 * compiled to classic BPF and attached in the kernel before any frame is
 * queued. Needs CAP_NET_RAW.
 */
import { readFileSync } from "node:fs";
import {
  ARPHRD,
  ETH_P,
  IPPROTO,
  PACKET,
  PcapWriter,
  PcapngWriter,
  compileFilter,
  decodeEthernet,
  FilterSyntaxError,
  decodeICMP,
  decodeICMPv6,
  decodeIPv4,
  decodeIPv6,
  decodeTCP,
  decodeUDP,
  formatProgram,
  linkTypeFor,
  LINKTYPE,
  openCapture,
  posix,
  type BpfInstruction,
  type CapturedPacket,
  type CaptureStatistics,
} from "../../src/index.js";
import { type CommandSpec, intOption } from "../command.js";
import { EXIT } from "../errors.js";
import { runs } from "../runtime.js";

interface CaptureCliOptions {
  interface: string;
  write?: string;
  pcapng?: boolean;
  count?: number;
  bufferSize?: number;
  immediateMode?: boolean;
  snaplen: number;
  promisc?: boolean;
  dgram?: boolean;
  dumpFilter?: boolean;
  quiet?: boolean;
}

function hhmmss(p: CapturedPacket): string {
  const d = new Date(p.timestamp.sec * 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(Math.floor(p.timestamp.nsec / 1000), 6)}`;
}

function direction(pkttype: number): string {
  if (pkttype === PACKET.OUTGOING) return "Out";
  if (pkttype === PACKET.HOST) return "In ";
  if (pkttype === PACKET.BROADCAST) return "B  ";
  if (pkttype === PACKET.MULTICAST) return "M  ";
  return "P  ";
}

/** A tcpdump-like description of a network-layer packet of EtherType `etherType`. */
export function describePacket(etherType: number, data: Buffer): string {
  try {
    if (etherType === ETH_P.IP || etherType === ETH_P.IPV6) {
      const v6 = etherType === ETH_P.IPV6;
      const ip = v6 ? decodeIPv6(data) : decodeIPv4(data);
      const proto = v6
        ? (ip.header as { nextHeader: number }).nextHeader
        : (ip.header as { protocol: number }).protocol;
      const { source, destination } = ip.header;
      const tag = v6 ? "IP6" : "IP";
      if (proto === IPPROTO.UDP) {
        const u = decodeUDP(ip.payload);
        return `${tag} ${source}.${u.sourcePort} > ${destination}.${u.destinationPort}: UDP, length ${u.payload.length}`;
      }
      if (proto === IPPROTO.TCP) {
        const t = decodeTCP(ip.payload);
        const f = t.flags;
        const flags = `${f.syn ? "S" : ""}${f.fin ? "F" : ""}${f.rst ? "R" : ""}${f.psh ? "P" : ""}${f.urg ? "U" : ""}${f.ack ? "." : ""}`;
        return `${tag} ${source}.${t.sourcePort} > ${destination}.${t.destinationPort}: Flags [${flags}], seq ${t.sequence}, win ${t.window}, length ${t.payload.length}`;
      }
      if (proto === IPPROTO.ICMP && !v6) {
        const m = decodeICMP(ip.payload);
        return `${tag} ${source} > ${destination}: ICMP type ${m.type} code ${m.code}, id ${m.id}, seq ${m.sequence}, length ${ip.payload.length}`;
      }
      if (proto === IPPROTO.ICMPV6 && v6) {
        const m = decodeICMPv6(ip.payload);
        return `${tag} ${source} > ${destination}: ICMP6 type ${m.type} code ${m.code}, length ${ip.payload.length}`;
      }
      return `${tag} ${source} > ${destination}: proto ${proto}, length ${ip.payload.length}`;
    }
    if (etherType === ETH_P.ARP) return `ARP, length ${data.length}`;
    return `ethertype 0x${etherType.toString(16).padStart(4, "0")}, length ${data.length}`;
  } catch (e) {
    if ((e as { name?: unknown }).name === "PacketError") return `[malformed: ${(e as Error).message}]`;
    throw e;
  }
}

function summary(p: CapturedPacket, raw: boolean, ifname: string): string {
  let etherType = p.address.protocol;
  let body = p.data;
  if (raw && (p.address.hatype === ARPHRD.ETHER || p.address.hatype === ARPHRD.LOOPBACK)) {
    try {
      const e = decodeEthernet(p.data);
      etherType = e.etherType;
      body = e.payload;
    } catch {
      /* too short for a header: describe what is there */
    }
  }
  return `${hhmmss(p)} ${ifname} ${direction(p.address.pkttype)} ${describePacket(etherType, body)}`;
}

function interfaceType(name: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/type`, "utf8").trim());
  } catch {
    return undefined;
  }
}

export const captureCommand: CommandSpec = {
  name: "capture",
  summary: "capture packets on an interface, as tcpdump does (summaries or a pcap file)",
  description: `Captures frames on an interface with a packet socket (needs CAP_NET_RAW) and
prints one line per frame, or writes them to a pcap file (-w) that tcpdump,
tshark and Wireshark read. FILTER is tcpdump's language (pcap-filter(7)):
and/&&, or/||, not/!, parentheses; [src|dst] host/net ADDR (CIDR or mask),
[tcp|udp] [src|dst] port/portrange; ip, ip6, arp, tcp, udp, icmp, icmp6;
ether host/src/dst/proto, vlan [id], less/greater N, ip proto N, and byte
tests such as "tcp[tcpflags] & tcp-syn != 0" — compiled to classic BPF and
attached in the kernel (--dump-filter prints the program). A filter sockit
cannot compile exits 2 with a caret under the word. -i any captures on every
interface (cooked frames, LINKTYPE_LINUX_SLL). With --json, one JSON object per
frame.

Frames are read in blocks from a TPACKET_V3 ring shared with the kernel
(recvmmsg where the ring can't be had; -v says which), stamped by the
kernel; on the loopback each frame shows once (not its outgoing copy, as
tcpdump). At the end, tcpdump's counts: packets captured, received by
filter, dropped by kernel (with --json, a last {"statistics": ...} line).`,
  examples: [
    ["sockit capture -i lo -c 5 icmp", "five ICMP packets on the loopback"],
    ["sockit capture -i eth0 -w dns.pcap udp and port 53", "DNS traffic to a pcap file"],
    ["sockit capture -i any -w all.pcapng", "every interface to pcapng (interface and direction per packet)"],
    ["sockit capture --dump-filter -i lo tcp and port 80", "print the BPF program for a filter"],
    ["sockit capture -i eth0 'not port 22 and (icmp or arp)'", "everything but ssh, among ICMP and ARP"],
  ],
  define: (cmd) =>
    cmd
      .argument("[filter...]", "a filter expression (default: everything)")
      .requiredOption("-i, --interface <name>", "the interface (any: every interface)")
      .option("-w, --write <file>", "write the frames to a pcap file instead of printing them")
      .option("--pcapng", "with -w: write pcapng (interface and direction per packet; the default for *.pcapng)")
      .option("-c, --count <n>", "stop after n frames (default: until Ctrl-C)", intOption(1))
      .option("-s, --snaplen <n>", "bytes kept of each frame", intOption(1, 262144), 262144)
      .option("-p, --promisc", "put the interface in promiscuous mode while capturing")
      .option(
        "-B, --buffer-size <KiB>",
        "the ring's size in KiB, in whole MiB blocks, at least 2 (default: 8192; tcpdump's is 2048)",
        intOption(64, 1 << 21),
      )
      .option(
        "--immediate-mode",
        "hand each frame over at once (a 1 ms block timeout; default: 50 ms, 1 s with -w as tcpdump)",
      )
      .option("--dgram", "capture cooked frames (no link header; LINKTYPE_LINUX_SLL)")
      .option("--dump-filter", "print the compiled BPF program and exit")
      .option("-q, --quiet", "do not print the counts at the end (captured, received by filter, dropped by kernel)")
      .action(
        runs<CaptureCliOptions>(async (ctx, opts, command) => {
          const words = (command.processedArgs[0] as string[] | undefined) ?? [];
          const expression = words.join(" ");
          const any = opts.interface === "any";
          const hatype = any ? undefined : interfaceType(opts.interface);
          // Cooked frames where a link header would not be Ethernet (or "any": several link types).
          const type = opts.dgram || any || linkTypeFor("raw", hatype) !== LINKTYPE.ETHERNET ? "dgram" : "raw";
          const linkType = linkTypeFor(type, hatype);
          let program: BpfInstruction[];
          try {
            // Ethernet frames: tcpdump's own layout (ether, vlan and link[] work); cooked: skb->protocol.
            program = compileFilter(expression, opts.snaplen, { link: type === "raw" ? "ethernet" : "any" });
          } catch (e) {
            if (!(e instanceof FilterSyntaxError)) throw e;
            // As a compiler: the message, then the expression with a caret under the word.
            ctx.out.stderr.write(`sockit: ${e.message}\n${e.caret()}\n`);
            return EXIT.USAGE;
          }
          if (opts.dumpFilter) {
            ctx.out.line(formatProgram(program));
            return EXIT.OK;
          }
          if (!any) posix.if_nametoindex(opts.interface); // ENODEV before anything is opened
          const names = new Map<number, string>();
          const ifname = (index: number): string => {
            let name = names.get(index);
            if (name === undefined) {
              try {
                name = posix.if_indextoname(index);
              } catch {
                name = String(index);
              }
              names.set(index, name);
            }
            return name;
          };
          let writer: PcapWriter | undefined;
          let ngWriter: PcapngWriter | undefined;
          if (opts.write !== undefined) {
            // The cooked header comes on top of the snap length.
            const snaplen = opts.snaplen + (linkType === LINKTYPE.LINUX_SLL ? 16 : 0);
            if (opts.pcapng || opts.write.endsWith(".pcapng")) {
              const w = (ngWriter = new PcapngWriter(opts.write, {
                linkType,
                snaplen,
                nanosecond: false,
                interfaceName: (i) => ifname(i),
              }));
              ctx.onCleanup(() => w.close());
            } else {
              const w = (writer = new PcapWriter(opts.write, { linkType, snaplen }));
              ctx.onCleanup(() => w.close());
            }
          }
          ctx.step(`capture on ${opts.interface} (${type}), filter ${JSON.stringify(expression || "(all)")}`);
          const cap = openCapture(any ? null : opts.interface, {
            type,
            program,
            snaplen: opts.snaplen,
            // pcap records as tcpdump -w writes them (microseconds), the cooked header where the link type wants it.
            microseconds: true,
            sllHeader: linkType === LINKTYPE.LINUX_SLL,
            ...(opts.promisc ? { promiscuous: true } : {}),
            ring: {
              // A block is handed over when full or after this long: fewer wakeups when writing a
              // file (libpcap's 1 s, as tcpdump -w), prompter lines when printing.
              timeout: opts.immediateMode ? 1 : opts.write !== undefined ? 1000 : 50,
              ...(opts.bufferSize !== undefined ? { blockCount: Math.max(2, Math.round(opts.bufferSize / 1024)) } : {}),
            },
          });
          ctx.onCleanup(() => cap.close());
          ctx.step(
            cap.ring
              ? `reading frames from a TPACKET_V3 ring (${cap.ring.blockCount} blocks of ${cap.ring.blockSize >> 10} KiB, mmap; blocks handed over when full or after ${cap.ring.timeout} ms)`
              : `reading frames with recvmmsg (no TPACKET_V3 ring: ${cap.fallbackReason ?? "not asked for"})`,
          );
          const limit = opts.count ?? Infinity;
          // With -w each batch is written before the next read: the ring copies into one buffer, reused.
          const into =
            (writer || ngWriter) && cap.readBufferSize > 0 ? Buffer.allocUnsafe(cap.readBufferSize) : undefined;
          let n = 0;
          try {
            while (n < limit) {
              let batch;
              try {
                batch = await cap.read({ signal: ctx.signal, ...(into ? { into } : {}) });
              } catch (e) {
                if (ctx.signal.aborted) break;
                throw e;
              }
              const take = Math.min(batch.count, limit - n);
              if (writer) {
                // The batch's records are pcap records already: one write for all of them.
                writer.writeRecords(batch.records.subarray(0, batch.recordOffset(take)), take);
              } else if (ngWriter) {
                ngWriter.writeBatch(batch, take);
              } else {
                for (let i = 0; i < take; i++) {
                  const p = batch.frame(i);
                  if (ctx.json) {
                    ctx.out.line(
                      JSON.stringify({
                        time: p.timestamp.sec + p.timestamp.nsec / 1e9,
                        interface: ifname(p.address.ifindex),
                        pkttype: p.address.pkttype,
                        protocol: p.address.protocol,
                        length: p.length,
                        data: p.data.toString("hex"),
                      }),
                    );
                  } else {
                    ctx.out.line(summary(p, type === "raw", ifname(p.address.ifindex)));
                  }
                }
              }
              n += take;
            }
          } finally {
            writer?.close();
            ngWriter?.close();
          }
          const stats: CaptureStatistics = { ...cap.statistics(), captured: n };
          cap.close();
          if (ctx.json) ctx.out.line(JSON.stringify({ statistics: { ...stats, method: cap.method } }));
          if (!opts.quiet) {
            const to = opts.write !== undefined ? ` to ${opts.write}` : "";
            ctx.out.note(`${stats.captured} packets captured${to}`);
            ctx.out.note(`${stats.received} packets received by filter`);
            ctx.out.note(`${stats.dropped} packets dropped by kernel`);
          }
          return EXIT.OK;
        }),
      ),
};
