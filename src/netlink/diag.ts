/**
 * sock_diag (NETLINK_SOCK_DIAG): every socket of a network namespace — TCP,
 * UDP and raw over IPv4 and IPv6, Unix, packet and netlink — with its state,
 * queues, inode, owner uid, addresses, and for Unix sockets the path and the
 * peer's inode. This is what iproute2's `ss` reads. Requests and replies are
 * laid out with the headers' struct facts (inet_diag_req_v2, inet_diag_msg,
 * unix_diag_req/msg, packet_diag_req/msg, netlink_diag_req/msg).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { formatIPv4, formatIPv6 } from "../address.js";
import {
  AF,
  IPPROTO,
  NETLINK_DIAG,
  PACKET_DIAG,
  SK_MEMINFO,
  SOCK,
  SOCK_DIAG,
  STRUCTS,
  UDIAG_SHOW,
  UNIX_DIAG,
  constantName,
} from "../constants.js";
import { readU32, writeU32 } from "../endian.js";
import { ERRNO, codedError } from "../errors.js";
import type { NetnsLike } from "../netns.js";
import { describe } from "../raw/index.js";
import { AttributeDecoder } from "./attributes.js";
import { type NetlinkConnection, withConnection } from "./conn.js";
import { NetlinkError, NetlinkMessageError } from "./errors.js";
import type { NetlinkMessage } from "./message.js";

const S = STRUCTS;

/** The kinds of socket sock_diag reports, as `ss` groups them. */
export type SocketKind = "tcp" | "udp" | "raw" | "unix" | "packet" | "netlink";

/** Every kind, in the order listSockets reports them. */
export const SOCKET_KINDS: readonly SocketKind[] = Object.freeze(["tcp", "udp", "raw", "unix", "packet", "netlink"]);

/** One socket, as sock_diag describes it. */
export interface SocketInfo {
  /** The kind `ss` lists it under: "tcp", "udp", "raw", "unix", "packet" or "netlink". */
  kind: SocketKind;
  /** The address family. */
  family: "inet" | "inet6" | "unix" | "packet" | "netlink";
  /** "stream", "dgram", "seqpacket", "raw" or the SOCK_* number. */
  type: string;
  /** The state as `ss` prints it: "LISTEN", "ESTAB", "UNCONN", "TIME-WAIT" ... */
  state: string;
  /** Receive queue: bytes (or, for a listener, pending connections). */
  recvQ: number;
  /** Send queue: bytes (or, for a listener, the backlog). */
  sendQ: number;
  /** The local end as `ss` prints it: "127.0.0.1:22", "[::]:80", "/run/x.sock", "@abstract", "rtnl:1234" ... */
  local: string;
  /** The remote end: "10.0.0.2:5555", "*" ... */
  peer: string;
  /** The socket's inode (the N of socket:[N] in /proc/PID/fd); 0 for TIME-WAIT and kernel sockets. */
  inode: number;
  /** The owner's uid, where the kernel reports it. */
  uid?: number;
  /** The socket cookie (SO_COOKIE), as a decimal string. */
  cookie: string;
  /** inet: addresses and ports. */
  localAddress?: string;
  /** The local port (inet sockets). */
  localPort?: number;
  /** The peer's address (connected inet sockets). */
  peerAddress?: string;
  /** The peer's port (connected inet sockets). */
  peerPort?: number;
  /** inet: the interface it is bound to (0: none); packet: the interface. */
  ifindex?: number;
  /** inet/raw: the IP protocol; packet: the ethertype; netlink: the NETLINK_* protocol. */
  protocol?: number;
  /** Unix: the bound path ("@name" for abstract), absent for unnamed sockets. */
  path?: string;
  /** Unix: the peer's inode. */
  peerInode?: number;
  /** Unix listener: the inodes of connections waiting in accept. */
  pending?: number[];
  /** netlink: the port id and, when connected, the peer's. */
  portid?: number;
}

/** Options of {@link listSockets}. */
export interface ListSocketsOptions {
  /** Which kinds (default: all). */
  kinds?: readonly SocketKind[];
  /** An open NETLINK_SOCK_DIAG connection to use. */
  connection?: NetlinkConnection;
  /** Otherwise: list the sockets of this network namespace. */
  netns?: NetnsLike;
  /** Aborts the dump: the wait ends with an AbortError. */
  signal?: AbortSignal;
  /** Milliseconds to wait for the dump; then it rejects ETIMEDOUT. */
  timeout?: number;
}

function cookieOf(b: Buffer, off: number): string {
  // __u32 cookie[2]: the kernel stores the 64-bit cookie low word first.
  return ((BigInt(readU32(b, off + 4)) << 32n) | BigInt(readU32(b, off))).toString();
}

/** `ss` names of the TCP states (keyed by the headers' names, not numbers). */
const SS_STATE: Record<string, string> = {
  TCP_ESTABLISHED: "ESTAB",
  TCP_SYN_SENT: "SYN-SENT",
  TCP_SYN_RECV: "SYN-RECV",
  TCP_FIN_WAIT1: "FIN-WAIT-1",
  TCP_FIN_WAIT2: "FIN-WAIT-2",
  TCP_TIME_WAIT: "TIME-WAIT",
  TCP_CLOSE: "UNCONN",
  TCP_CLOSE_WAIT: "CLOSE-WAIT",
  TCP_LAST_ACK: "LAST-ACK",
  TCP_LISTEN: "LISTEN",
  TCP_CLOSING: "CLOSING",
};

/**
 * The `ss` name of a TCP_* state number (used by every family sock_diag reports).
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/sock_diag.7.html
 */
export function stateName(state: number): string {
  const c = constantName("TCP_STATE", state);
  return SS_STATE[c] ?? `UNKNOWN(${state})`;
}

function typeName(type: number): string {
  for (const [k, v] of Object.entries(SOCK))
    if (v === type && k !== "NONBLOCK" && k !== "CLOEXEC") return k.toLowerCase();
  return String(type);
}

function need(m: NetlinkMessage, size: number, what: string): void {
  if (m.data.length < size) throw new NetlinkMessageError(`${what} truncated: ${m.data.length} bytes, need ${size}`);
}

// ---------------------------------------------------------------------------
// inet (TCP, UDP, raw).

function inetRequest(af: number, protocol: number): Buffer {
  const R = S.inet_diag_req_v2!;
  const b = Buffer.alloc(R.size);
  b[R.sdiag_family!] = af;
  if (protocol === IPPROTO.RAW) {
    // raw_diag: sdiag_protocol selects the handler (IPPROTO_RAW) and the byte
    // that is `pad` in inet_diag_req_v2 is sdiag_raw_protocol (struct
    // inet_diag_req_raw) — IPPROTO_RAW there means "every raw protocol".
    b[R.sdiag_protocol!] = IPPROTO.RAW;
    b[R.pad!] = IPPROTO.RAW;
  } else b[R.sdiag_protocol!] = protocol;
  writeU32(b, R.idiag_states!, 0xffffffff);
  return b;
}

/**
 * Decodes an inet_diag_msg (a TCP, UDP or raw socket). Does not correspond to a syscall.
 * @throws NetlinkMessageError for a malformed message.
 * @see https://man7.org/linux/man-pages/man7/sock_diag.7.html
 */
export function decodeInetSocket(m: NetlinkMessage, kind: "tcp" | "udp" | "raw", protocol: number): SocketInfo {
  const M = S.inet_diag_msg!;
  const ID = S.inet_diag_sockid!;
  need(m, M.size, "inet_diag_msg");
  const d = m.data;
  const af = d[M.idiag_family!]!;
  const id = M.id!;
  const v6 = af === AF.INET6;
  const fmt = (off: number): string => (v6 ? formatIPv6(d, off) : formatIPv4(d, off));
  const localAddress = fmt(id + ID.idiag_src!);
  const peerAddress = fmt(id + ID.idiag_dst!);
  const localPort = d.readUInt16BE(id + ID.idiag_sport!);
  const peerPort = d.readUInt16BE(id + ID.idiag_dport!);
  const end = (a: string, p: number, isPeer: boolean): string => {
    const host = v6 ? `[${a}]` : a;
    const port = kind === "raw" ? String(p) : p === 0 && isPeer ? "*" : String(p);
    return `${host}:${port}`;
  };
  const info: SocketInfo = {
    kind,
    family: v6 ? "inet6" : "inet",
    type: kind === "tcp" ? "stream" : kind === "udp" ? "dgram" : "raw",
    state: stateName(d[M.idiag_state!]!),
    recvQ: readU32(d, M.idiag_rqueue!),
    sendQ: readU32(d, M.idiag_wqueue!),
    local: end(localAddress, localPort, false),
    peer: end(peerAddress, peerPort, true),
    inode: readU32(d, M.idiag_inode!),
    uid: readU32(d, M.idiag_uid!),
    cookie: cookieOf(d, id + ID.idiag_cookie!),
    localAddress,
    localPort,
    peerAddress,
    peerPort,
    ifindex: readU32(d, id + ID.idiag_if!),
    protocol,
  };
  if (kind === "raw") {
    // raw_diag reports the socket's protocol in the source port field (inet->inet_num).
    info.protocol = localPort;
  }
  return info;
}

// ---------------------------------------------------------------------------
// Unix.

function unixRequest(): Buffer {
  const R = S.unix_diag_req!;
  const b = Buffer.alloc(R.size);
  b[R.sdiag_family!] = AF.UNIX;
  writeU32(b, R.udiag_states!, 0xffffffff);
  writeU32(
    b,
    R.udiag_show!,
    UDIAG_SHOW.NAME | UDIAG_SHOW.VFS | UDIAG_SHOW.PEER | UDIAG_SHOW.ICONS | UDIAG_SHOW.RQLEN | (UDIAG_SHOW.UID ?? 0),
  );
  return b;
}

/**
 * Decodes a unix_diag_msg with its attributes (path, peer, queue lengths, uid).
 * Does not correspond to a syscall.
 * @throws NetlinkMessageError for a malformed message.
 * @see https://man7.org/linux/man-pages/man7/sock_diag.7.html
 */
export function decodeUnixSocket(m: NetlinkMessage): SocketInfo {
  const M = S.unix_diag_msg!;
  need(m, M.size, "unix_diag_msg");
  const d = m.data;
  const info: SocketInfo = {
    kind: "unix",
    family: "unix",
    type: typeName(d[M.udiag_type!]!),
    state: stateName(d[M.udiag_state!]!),
    recvQ: 0,
    sendQ: 0,
    local: "*",
    peer: "*",
    inode: readU32(d, M.udiag_ino!),
    cookie: cookieOf(d, M.udiag_cookie!),
  };
  const RQ = S.unix_diag_rqlen!;
  const ad = new AttributeDecoder(d.subarray(M.size));
  while (ad.next()) {
    switch (ad.type) {
      case UNIX_DIAG.NAME: {
        const raw = ad.bytes();
        info.path = raw[0] === 0 ? `@${raw.subarray(1).toString("utf8")}` : raw.toString("utf8");
        break;
      }
      case UNIX_DIAG.PEER:
        info.peerInode = ad.uint32();
        break;
      case UNIX_DIAG.RQLEN: {
        const q = ad.bytes();
        if (q.length >= RQ.size) {
          info.recvQ = readU32(q, RQ.udiag_rqueue!);
          info.sendQ = readU32(q, RQ.udiag_wqueue!);
        }
        break;
      }
      case UNIX_DIAG.ICONS: {
        const q = ad.bytes();
        info.pending = [];
        for (let i = 0; i + 4 <= q.length; i += 4) info.pending.push(readU32(q, i));
        break;
      }
      case UNIX_DIAG.UID:
        info.uid = ad.uint32();
        break;
    }
  }
  ad.finish();
  if (info.path !== undefined) info.local = info.path;
  if (info.peerInode !== undefined) info.peer = String(info.peerInode);
  return info;
}

// ---------------------------------------------------------------------------
// Packet.

function packetRequest(): Buffer {
  const R = S.packet_diag_req!;
  const b = Buffer.alloc(R.size);
  b[R.sdiag_family!] = AF.PACKET;
  writeU32(b, R.pdiag_show!, PACKET_DIAG.PACKET_SHOW_INFO | PACKET_DIAG.PACKET_SHOW_MEMINFO);
  return b;
}

function memQueues(info: SocketInfo, q: Buffer): void {
  const rm = SK_MEMINFO.RMEM_ALLOC * 4;
  const wm = SK_MEMINFO.WMEM_ALLOC * 4;
  if (q.length >= rm + 4) info.recvQ = readU32(q, rm);
  if (q.length >= wm + 4) info.sendQ = readU32(q, wm);
}

/**
 * Decodes a packet_diag_msg (an AF_PACKET socket). Does not correspond to a syscall.
 * @throws NetlinkMessageError for a malformed message.
 * @see https://man7.org/linux/man-pages/man7/sock_diag.7.html
 */
export function decodePacketSocket(m: NetlinkMessage): SocketInfo {
  const M = S.packet_diag_msg!;
  need(m, M.size, "packet_diag_msg");
  const d = m.data;
  const protocol = d.readUInt16BE(M.pdiag_num!);
  const info: SocketInfo = {
    kind: "packet",
    family: "packet",
    type: typeName(d[M.pdiag_type!]!),
    state: "UNCONN",
    recvQ: 0,
    sendQ: 0,
    local: "",
    peer: "*",
    inode: readU32(d, M.pdiag_ino!),
    cookie: cookieOf(d, M.pdiag_cookie!),
    protocol,
  };
  const PI = S.packet_diag_info!;
  const ad = new AttributeDecoder(d.subarray(M.size));
  while (ad.next()) {
    if (ad.type === PACKET_DIAG.PACKET_DIAG_INFO) {
      const b = ad.bytes();
      if (b.length >= PI.size) info.ifindex = readU32(b, PI.pdi_index!);
    } else if (ad.type === PACKET_DIAG.PACKET_DIAG_UID) info.uid = ad.uint32();
    else if (ad.type === (PACKET_DIAG.PACKET_DIAG_MEMINFO ?? -1)) memQueues(info, ad.bytes());
  }
  ad.finish();
  info.local = `${protocol === 0 ? "*" : `0x${protocol.toString(16).padStart(4, "0")}`}:${info.ifindex ? info.ifindex : "*"}`;
  return info;
}

// ---------------------------------------------------------------------------
// Netlink.

function netlinkRequest(): Buffer {
  const R = S.netlink_diag_req!;
  const b = Buffer.alloc(R.size);
  b[R.sdiag_family!] = AF.NETLINK;
  b[R.sdiag_protocol!] = NETLINK_DIAG.NDIAG_PROTO_ALL;
  writeU32(b, R.ndiag_show!, (NETLINK_DIAG.NDIAG_SHOW_MEMINFO ?? 0) | NETLINK_DIAG.NDIAG_SHOW_GROUPS);
  return b;
}

/**
 * Decodes a netlink_diag_msg (an AF_NETLINK socket). Does not correspond to a syscall.
 * @throws NetlinkMessageError for a malformed message.
 * @see https://man7.org/linux/man-pages/man7/sock_diag.7.html
 */
export function decodeNetlinkSocket(m: NetlinkMessage): SocketInfo {
  const M = S.netlink_diag_msg!;
  need(m, M.size, "netlink_diag_msg");
  const d = m.data;
  const protocol = d[M.ndiag_protocol!]!;
  const portid = readU32(d, M.ndiag_portid!);
  const dst = readU32(d, M.ndiag_dst_portid!);
  const proto = constantName("NETLINK", protocol)
    .replace(/^NETLINK_/, "")
    .toLowerCase();
  const info: SocketInfo = {
    kind: "netlink",
    family: "netlink",
    type: typeName(d[M.ndiag_type!]!),
    state: dst !== 0 ? "ESTAB" : "UNCONN",
    recvQ: 0,
    sendQ: 0,
    local: `${proto}:${portid === 0 ? "kernel" : portid}`,
    peer: dst !== 0 ? String(dst) : "*",
    inode: readU32(d, M.ndiag_ino!),
    cookie: cookieOf(d, M.ndiag_cookie!),
    protocol,
    portid,
  };
  const ad = new AttributeDecoder(d.subarray(M.size));
  while (ad.next()) {
    if (ad.type === (NETLINK_DIAG.NETLINK_DIAG_MEMINFO ?? -1)) memQueues(info, ad.bytes());
  }
  ad.finish();
  return info;
}

// ---------------------------------------------------------------------------

/** Errors that mean "this kernel has no sock_diag handler for that family". */
const UNAVAILABLE = new Set([-ERRNO.ENOENT!, -ERRNO.EOPNOTSUPP!, -(ERRNO.ENOTSUP ?? ERRNO.EOPNOTSUPP!)]);

async function dumpKind(
  conn: NetlinkConnection,
  req: Buffer,
  wait: { signal?: AbortSignal; timeout?: number },
  decode: (m: NetlinkMessage) => SocketInfo,
): Promise<SocketInfo[]> {
  try {
    const msgs = await conn.dump(SOCK_DIAG.SOCK_DIAG_BY_FAMILY, req, { op: "SOCK_DIAG_BY_FAMILY", ...wait });
    return msgs.filter((x) => x.type === SOCK_DIAG.SOCK_DIAG_BY_FAMILY).map(decode);
  } catch (e) {
    // A module the kernel cannot load (raw_diag, packet_diag ...): that kind lists nothing.
    if (e instanceof NetlinkError && UNAVAILABLE.has(e.errno)) return [];
    throw e;
  }
}

/**
 * Lists every socket of the network namespace (or the chosen kinds): TCP,
 * UDP and raw over IPv4 and IPv6, Unix, packet and netlink, as `ss -a` does.
 * Kinds whose sock_diag module the kernel lacks list nothing. Does not
 * correspond to a single syscall (one SOCK_DIAG_BY_FAMILY dump per family and protocol).
 * @see https://man7.org/linux/man-pages/man7/sock_diag.7.html
 * @throws NetlinkError (EPERM ...); NetlinkMessageError; TypeError ERR_INVALID_ARG_VALUE (unknown kind);
 *   SocketError (ENOENT for a missing netns, ETIMEDOUT).
 */
export function listSockets(options: ListSocketsOptions = {}): Promise<SocketInfo[]> {
  if (options === null || typeof options !== "object") {
    throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${describe(options)}`);
  }
  const kinds = options.kinds ?? SOCKET_KINDS;
  if (!Array.isArray(kinds))
    throw codedError("ERR_INVALID_ARG_TYPE", `options.kinds must be a list, got ${describe(kinds)}`);
  for (const k of kinds) {
    if (!SOCKET_KINDS.includes(k as SocketKind)) {
      throw codedError(
        "ERR_INVALID_ARG_VALUE",
        `unknown socket kind ${describe(k)}; known: ${SOCKET_KINDS.join(", ")}`,
      );
    }
  }
  const wait: { signal?: AbortSignal; timeout?: number } = {};
  if (options.signal !== undefined) wait.signal = options.signal;
  if (options.timeout !== undefined) wait.timeout = options.timeout;
  const connOpts = {
    ...(options.connection ? { connection: options.connection } : {}),
    ...(options.netns !== undefined ? { netns: options.netns } : {}),
  };
  return withConnection("sock_diag", connOpts, async (conn) => {
    const out: SocketInfo[] = [];
    for (const kind of SOCKET_KINDS) {
      if (!kinds.includes(kind)) continue;
      if (kind === "tcp" || kind === "udp" || kind === "raw") {
        const proto = kind === "tcp" ? IPPROTO.TCP : kind === "udp" ? IPPROTO.UDP : IPPROTO.RAW;
        for (const af of [AF.INET, AF.INET6]) {
          out.push(...(await dumpKind(conn, inetRequest(af, proto), wait, (m) => decodeInetSocket(m, kind, proto))));
        }
      } else if (kind === "unix") out.push(...(await dumpKind(conn, unixRequest(), wait, decodeUnixSocket)));
      else if (kind === "packet") out.push(...(await dumpKind(conn, packetRequest(), wait, decodePacketSocket)));
      else out.push(...(await dumpKind(conn, netlinkRequest(), wait, decodeNetlinkSocket)));
    }
    return out;
  });
}

/** A process holding a socket open. */
export interface SocketOwner {
  /** The process that holds the socket. */
  pid: number;
  /** The process name (/proc/PID/comm). */
  command: string;
  /** The fd number in that process. */
  fd: number;
}

/**
 * Maps socket inodes to the processes that hold them, by reading
 * /proc/PID/fd links (`socket:[INODE]`), as `ss -p` does. Processes whose fds
 * this user may not read are left out. Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man5/proc.5.html
 */
export function socketOwners(): Map<number, SocketOwner[]> {
  const out = new Map<number, SocketOwner[]>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const p of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    let command: string | undefined;
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${p}/fd/${fd}`);
      } catch {
        continue;
      }
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (!match) continue;
      if (command === undefined) {
        try {
          command = readFileSync(`/proc/${p}/comm`, "utf8").trim();
        } catch {
          command = "";
        }
      }
      const ino = Number(match[1]);
      const list = out.get(ino) ?? [];
      list.push({ pid: Number(p), command, fd: Number(fd) });
      out.set(ino, list);
    }
  }
  return out;
}

/**
 * The NETLINK_* protocol name of a number ("route", "sock_diag" ...), for display.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/sock_diag.7.html
 */
export function netlinkProtocolName(protocol: number): string {
  const n = constantName("NETLINK", protocol);
  return n.startsWith("NETLINK_") ? n.slice(8).toLowerCase() : n;
}
