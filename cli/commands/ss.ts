/**
 * `sockit ss`: every socket of the system (or of a network namespace), from
 * sock_diag, as iproute2's `ss` shows them — TCP, UDP, raw, Unix, packet and
 * netlink — with state, queues, addresses, inode and uid, and with -p the
 * processes that hold each socket (read from /proc where permitted).
 */
import { type SocketInfo, type SocketKind, type SocketOwner, listSockets, socketOwners } from "../../src/index.js";
import { type CommandSpec, intOption } from "../command.js";
import { UsageError } from "../errors.js";
import type { Column } from "../output.js";
import { runs } from "../runtime.js";

interface SsOptions {
  all?: boolean;
  listening?: boolean;
  tcp?: boolean;
  udp?: boolean;
  raw?: boolean;
  unix?: boolean;
  packet?: boolean;
  netlink?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  family?: string[];
  state?: string[];
  port?: number;
  processes?: boolean;
  numeric?: boolean;
  netns?: string;
}

/** A row of `sockit ss --json`: the sock_diag record, plus its processes with -p. */
export interface SsRow extends SocketInfo {
  /** `ss`'s Netid: tcp, udp, raw, u_str, u_dgr, u_seq, p_raw, p_dgr, nl. */
  netid: string;
  processes?: SocketOwner[];
}

const FAMILIES = ["inet", "inet6", "unix", "link", "netlink"];

const STATES = [
  "ESTAB",
  "SYN-SENT",
  "SYN-RECV",
  "FIN-WAIT-1",
  "FIN-WAIT-2",
  "TIME-WAIT",
  "UNCONN",
  "CLOSE-WAIT",
  "LAST-ACK",
  "LISTEN",
  "CLOSING",
];
/**
 * iproute2's state words (ss.c scan_state, case-insensitive) and the states
 * sockit shows for each: the single states, and the groups `all`,
 * `connected` (all but listening and closed), `synchronized` (connected but
 * not syn-sent), `bucket` (the minisockets: syn-recv and time-wait) and `big`
 * (all but bucket). The state names sockit prints (ESTAB, UNCONN, LISTEN ...)
 * are accepted too.
 */
const STATE_WORDS: Record<string, readonly string[]> = {
  established: ["ESTAB"],
  "syn-sent": ["SYN-SENT"],
  "syn-recv": ["SYN-RECV"],
  "syn-rcv": ["SYN-RECV"],
  "fin-wait-1": ["FIN-WAIT-1"],
  "fin-wait-2": ["FIN-WAIT-2"],
  "time-wait": ["TIME-WAIT"],
  closed: ["UNCONN"],
  close: ["UNCONN"],
  unconnected: ["UNCONN"],
  "close-wait": ["CLOSE-WAIT"],
  "last-ack": ["LAST-ACK"],
  listening: ["LISTEN"],
  closing: ["CLOSING"],
  all: STATES,
  connected: STATES.filter((s) => s !== "UNCONN" && s !== "LISTEN"),
  synchronized: STATES.filter((s) => s !== "UNCONN" && s !== "LISTEN" && s !== "SYN-SENT"),
  bucket: ["SYN-RECV", "TIME-WAIT"],
  big: STATES.filter((s) => s !== "SYN-RECV" && s !== "TIME-WAIT"),
};
const IPROUTE2_WORDS = Object.keys(STATE_WORDS);
for (const s of STATES) STATE_WORDS[s.toLowerCase()] ??= [s];

/** The states `words` (iproute2's words or sockit's names) select. @throws UsageError for an unknown word. */
export function statesOf(words: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const w of words) {
    const states = Object.hasOwn(STATE_WORDS, w.toLowerCase()) ? STATE_WORDS[w.toLowerCase()] : undefined;
    if (!states) {
      throw new UsageError(`unknown state '${w}' (known: ${IPROUTE2_WORDS.join(", ")}; or ${STATES.join(", ")})`);
    }
    for (const s of states) out.add(s);
  }
  return out;
}

/** What `ss` hides without -a: listening and unconnected sockets, and the short-lived TIME-WAIT/SYN-RECV. */
const HIDDEN_BY_DEFAULT = new Set(["LISTEN", "UNCONN", "TIME-WAIT", "SYN-RECV"]);

function netid(s: SocketInfo): string {
  if (s.kind === "unix")
    return s.type === "stream"
      ? "u_str"
      : s.type === "dgram"
        ? "u_dgr"
        : s.type === "seqpacket"
          ? "u_seq"
          : `u_${s.type}`;
  if (s.kind === "packet") return s.type === "raw" ? "p_raw" : "p_dgr";
  if (s.kind === "netlink") return "nl";
  return s.kind;
}

/** Commander's collector for a repeatable, comma-separated option. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(",").filter((s) => s !== "")];
}

export const ss: CommandSpec = {
  name: "ss",
  summary: "list sockets (TCP, UDP, raw, Unix, packet, netlink) as ss does, from sock_diag",
  description: `Lists the sockets of this network namespace (or of --netns) from the
kernel's sock_diag interface, as iproute2's ss does: kind, state, receive
and send queues, local and peer address, inode and owner uid. Without -a,
listening and unconnected sockets (and TIME-WAIT) are hidden, as in ss. Kind
options (-t -u -w -x -0 --netlink) combine; none means all kinds. -p adds
the processes holding each socket, read from /proc/PID/fd (only those this
user may read).`,
  examples: [
    ["sockit ss -tl", "listening TCP sockets"],
    ["sockit ss -a -x -p", "every Unix socket with its processes"],
    ["sockit ss -a --port 22", "sockets on port 22 (local or peer)"],
    ["sockit ss -a -f inet6", "every TCP, UDP and raw socket over IPv6"],
    ["sockit ss -t --state established,close-wait", "TCP connections in these states"],
    ["sockit ss -t --state connected", "TCP connections in any state but listening and closed, as ss state connected"],
    ["sockit ss -a --netns blue --json", "every socket of namespace blue, as JSON"],
  ],
  define: (cmd) =>
    cmd
      .option("-a, --all", "show every socket, listening and unconnected ones too")
      .option("-l, --listening", "show only listening (and unconnected datagram) sockets")
      .option("-t, --tcp", "TCP sockets")
      .option("-u, --udp", "UDP sockets")
      .option("-w, --raw", "raw IP sockets")
      .option("-x, --unix", "Unix sockets")
      .option("-0, --packet", "packet sockets")
      .option("--netlink", "netlink sockets")
      .option("-4, --ipv4", "only IPv4 (with -t/-u/-w or no kind)")
      .option("-6, --ipv6", "only IPv6")
      .option(
        "-f, --family <families>",
        "only these families (comma-separated: inet, inet6, unix, link, netlink)",
        collect,
      )
      .option(
        "--state <states>",
        "only these states, comma-separated: iproute2's words (established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait, closed, close-wait, last-ack, listening, closing) and groups (all, connected, synchronized, bucket, big), or the names shown (ESTAB, LISTEN, UNCONN ...)",
        collect,
      )
      .option("--port <port>", "only sockets with this local or peer port", intOption(0, 65535))
      .option("-p, --processes", "show the processes holding each socket")
      .option("-n, --numeric", "numeric addresses and ports (always; accepted for ss compatibility)")
      .option("--netns <name>", "list the sockets of this network namespace (name under /run/netns, or a path)")
      .action(
        runs<SsOptions>(async (ctx, opts) => {
          const states = opts.state ? statesOf(opts.state) : undefined;
          const chosen: SocketKind[] = [];
          if (opts.tcp) chosen.push("tcp");
          if (opts.udp) chosen.push("udp");
          if (opts.raw) chosen.push("raw");
          if (opts.unix) chosen.push("unix");
          if (opts.packet) chosen.push("packet");
          if (opts.netlink) chosen.push("netlink");
          let kinds: SocketKind[] = chosen.length ? chosen : ["tcp", "udp", "raw", "unix", "packet", "netlink"];
          if ((opts.ipv4 || opts.ipv6) && chosen.length === 0) kinds = ["tcp", "udp", "raw"];
          // -f as in ss: inet/inet6 are TCP, UDP and raw of that version; link is packet sockets.
          const families = opts.family?.map((f) => f.toLowerCase());
          for (const f of families ?? []) {
            if (!FAMILIES.includes(f)) throw new UsageError(`unknown family '${f}' (known: ${FAMILIES.join(", ")})`);
          }
          if (families) {
            const fromFamily = new Set<SocketKind>();
            for (const f of families) {
              if (f === "inet" || f === "inet6") for (const k of ["tcp", "udp", "raw"] as const) fromFamily.add(k);
              else fromFamily.add(f === "link" ? "packet" : (f as SocketKind));
            }
            kinds = kinds.filter((k) => fromFamily.has(k));
          }
          const inetFamilies = families?.filter((f) => f === "inet" || f === "inet6");
          ctx.step(`sock_diag dump: ${kinds.join(", ")}${opts.netns ? ` in netns ${opts.netns}` : ""}`);
          const list = await listSockets({
            kinds,
            signal: ctx.signal,
            ...(opts.netns !== undefined ? { netns: opts.netns } : {}),
          });
          const rows: SsRow[] = list
            .filter((s) => {
              if (
                inetFamilies?.length &&
                (s.family === "inet" || s.family === "inet6") &&
                !inetFamilies.includes(s.family)
              )
                return false;
              if (opts.ipv4 && !opts.ipv6 && s.family === "inet6") return false;
              if (opts.ipv6 && !opts.ipv4 && s.family === "inet") return false;
              if (states) return states.has(s.state);
              if (opts.listening) return s.state === "LISTEN" || s.state === "UNCONN";
              if (!opts.all && HIDDEN_BY_DEFAULT.has(s.state)) return false;
              return true;
            })
            .filter((s) => opts.port === undefined || s.localPort === opts.port || s.peerPort === opts.port)
            .map((s) => ({ netid: netid(s), ...s }));
          if (opts.processes) {
            const owners = socketOwners();
            for (const r of rows) {
              const p = r.inode ? owners.get(r.inode) : undefined;
              if (p) r.processes = p;
            }
          }
          if (ctx.json) {
            ctx.out.printJson(rows);
            return;
          }
          const columns: Column<SsRow>[] = [
            { header: "Netid", value: (r) => r.netid },
            {
              header: "State",
              value: (r) => r.state,
              color: (r) => (r.state === "LISTEN" ? "green" : r.state === "ESTAB" ? undefined : "dim"),
            },
            { header: "Recv-Q", value: (r) => String(r.recvQ), align: "right" },
            { header: "Send-Q", value: (r) => String(r.sendQ), align: "right" },
            { header: "Local", value: (r) => r.local || "*" },
            { header: "Peer", value: (r) => r.peer || "*" },
            { header: "Inode", value: (r) => String(r.inode), align: "right" },
            { header: "UID", value: (r) => (r.uid === undefined ? "-" : String(r.uid)), align: "right" },
          ];
          if (opts.processes) {
            columns.push({
              header: "Process",
              value: (r) => (r.processes ?? []).map((p) => `${p.command}(pid=${p.pid},fd=${p.fd})`).join(","),
            });
          }
          ctx.out.table(columns, rows);
        }),
      ),
};
