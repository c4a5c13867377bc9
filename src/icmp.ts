/**
 * ICMP echo — `ping` — and `traceroute`, over IPv4 and IPv6.
 *
 * ping uses an unprivileged ICMP datagram socket ("ping socket",
 * `socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)`, Linux 3.0) when
 * `net.ipv4.ping_group_range` admits the process's group, and a raw socket
 * (CAP_NET_RAW) otherwise. On a ping socket the kernel picks the echo
 * identifier, fills the checksum and delivers only this socket's replies;
 * ICMP errors about our requests come through the error queue (IP_RECVERR).
 * On a raw socket sockit builds the request (src/packets), filters replies by
 * identifier, and reads ICMP errors from the ordinary stream.
 *
 * traceroute sends probes with increasing TTL (IP_TTL / IPV6_UNICAST_HOPS)
 * and reads who answered from the error queue (IP_RECVERR / IPV6_RECVERR:
 * struct sock_extended_err and the offender's address) — over UDP by default,
 * which needs no privilege at all, or ICMP echo.
 *
 * Hosts: a numeric IPv4/IPv6 address, "localhost", or a host name looked up
 * with getaddrinfo(3) (src/resolver.ts).
 *
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 * @see https://man7.org/linux/man-pages/man7/ip.7.html
 */
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseIPv4, parseIPv6, type SocketAddress } from "./address.js";
import { ICMP, ICMP6, MSG } from "./constants.js";
import { AbortError, SocketError, codedError } from "./errors.js";
import { decodeICMP, decodeICMPv6, encodeEchoRequest, encodeEchoRequestV6 } from "./packets/index.js";
import { IPV4_HEADER_SIZE } from "./packets/ipv4.js";
import { IPV6_HEADER_SIZE } from "./packets/ipv6.js";
import * as raw from "./raw/index.js";
import { Socket } from "./socket.js";
import type { ReceivedMessage } from "./messages.js";
import { getaddrinfo } from "./resolver.js";

// ---------------------------------------------------------------------------
// Targets and validation.

/** A resolved target: the numeric address and its family. */
export interface IcmpTarget {
  /** The address to send to, in text form. */
  address: string;
  /** The family of `address`. */
  family: "inet" | "inet6";
  /** The IPv6 zone (scope id), when the address had one ("fe80::1%eth0"). */
  scopeId?: number | string;
}

/** What a host name may look like (RFC 1123 letters, digits, hyphens, dots; underscores as resolvers allow). */
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})$/;

/**
 * Parses a numeric ping/traceroute target: an IPv4 or IPv6 address (with an
 * optional %zone), or "localhost" (127.0.0.1, or ::1 when `family` is
 * "inet6"); other names go through {@link resolveIcmpTarget}. Does not
 * correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 * @throws TypeError ERR_INVALID_ADDRESS for anything else, or a family mismatch.
 */
export function icmpTarget(host: string, family?: "inet" | "inet6"): IcmpTarget {
  const t = numericTarget(host, family);
  if (!t) {
    throw codedError(
      "ERR_INVALID_ADDRESS",
      `${JSON.stringify(host)} is not a numeric IPv4/IPv6 address or "localhost"`,
    );
  }
  return t;
}

/**
 * Resolves a ping/traceroute target: a numeric address or "localhost" as
 * {@link icmpTarget} parses it, else a host name looked up with
 * getaddrinfo(3) (off the event loop; /etc/hosts, DNS, NSS) — the first
 * address of `family`, or of either family. Does not correspond to a single
 * syscall.
 *
 * @see https://man7.org/linux/man-pages/man3/getaddrinfo.3.html
 * @throws TypeError ERR_INVALID_ADDRESS (at once) for text that is neither an
 *   address nor a host name; ResolveError EAI_NONAME, EAI_AGAIN ... from the lookup.
 */
export async function resolveIcmpTarget(host: string, family?: "inet" | "inet6"): Promise<IcmpTarget> {
  const t = checkTarget(host, family);
  if (t) return t;
  const list = await getaddrinfo(host, null, { family: family ?? "unspec", socktype: "dgram" });
  for (const info of list) {
    const a = info.address;
    if (a.family === "inet") return { address: a.address, family: "inet" };
    if (a.family === "inet6")
      return { address: a.address, family: "inet6", ...(a.scopeId ? { scopeId: a.scopeId } : {}) };
  }
  throw codedError("ERR_INVALID_ADDRESS", `${host} has no ${family ?? "IP"} address`);
}

/** A numeric target, undefined for a well-formed host name, or ERR_INVALID_ADDRESS. */
function checkTarget(host: string, family?: "inet" | "inet6"): IcmpTarget | undefined {
  const t = numericTarget(host, family);
  if (t || HOST_NAME.test(host)) return t;
  throw codedError("ERR_INVALID_ADDRESS", `${JSON.stringify(host)} is neither an IPv4/IPv6 address nor a host name`);
}

function numericTarget(host: string, family?: "inet" | "inet6"): IcmpTarget | undefined {
  if (typeof host !== "string") {
    throw codedError("ERR_INVALID_ARG_TYPE", `host must be a string, got ${raw.describe(host)}`);
  }
  if (family !== undefined && family !== "inet" && family !== "inet6") {
    throw codedError("ERR_INVALID_ARG_VALUE", `family must be "inet" or "inet6", got ${raw.describe(family)}`);
  }
  let t: IcmpTarget | undefined;
  if (host === "localhost")
    t = family === "inet6" ? { address: "::1", family: "inet6" } : { address: "127.0.0.1", family: "inet" };
  else if (parseIPv4(host)) t = { address: host, family: "inet" };
  else {
    const text = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
    const pct = text.indexOf("%");
    const addr = pct === -1 ? text : text.slice(0, pct);
    if (parseIPv6(addr)) {
      t = { address: addr, family: "inet6" };
      if (pct !== -1) {
        const zone = text.slice(pct + 1);
        t.scopeId = /^\d+$/.test(zone) ? Number(zone) : zone;
      }
    }
  }
  if (!t) return undefined;
  if (family !== undefined && t.family !== family) {
    throw codedError("ERR_INVALID_ADDRESS", `${host} is not an ${family === "inet" ? "IPv4" : "IPv6"} address`);
  }
  return t;
}

function checkNumber(v: unknown, what: string, min: number, max: number, integer = true): number {
  if (typeof v !== "number" || Number.isNaN(v)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be a number, got ${raw.describe(v)}`);
  }
  if ((integer && Number.isFinite(v) && !Number.isInteger(v)) || v < min || v > max) {
    throw codedError("ERR_OUT_OF_RANGE", `${what} must be ${integer ? "an integer " : ""}in ${min}..${max}, got ${v}`);
  }
  return v;
}

function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `signal must be an AbortSignal, got ${raw.describe(signal)}`);
  }
  return signal;
}

// ---------------------------------------------------------------------------
// The echo session: one ICMP socket, requests out, replies and errors in.

/** Which socket an echo session uses: a ping (datagram) socket, a raw socket, or the first that opens. */
export type IcmpMode = "auto" | "dgram" | "raw";

interface EchoEvents {
  /** `rx`: the kernel's receive time (SO_TIMESTAMPNS, ns since the epoch), when it gave one. */
  reply(seq: number, from: string, bytes: number, ttl: number | undefined, rx: bigint | undefined): void;
  error(seq: number, from: string | null, type: number, code: number): void;
}

function readSysctl(path: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${path}`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Errnos an ICMP error about an earlier packet leaves in sk_err (reported once, by the next call). */
const PENDING_ICMP = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPROTO",
  "EMSGSIZE",
  "EACCES",
  "ENOPROTOOPT",
  "EHOSTDOWN",
  "ENONET",
]);

/**
 * sendto, retried when it only reported an earlier ICMP error (`before` runs
 * right before each attempt: the send time of a round trip is taken there, as
 * iputils ping stamps it just before sendmsg): with
 * IP_RECVERR, an ICMP error sets sk_err, which the next send returns instead
 * of sending (sock_alloc_send_pskb → sock_error). The details are in the
 * error queue already, so the send is simply tried again.
 */
async function sendPast(sock: Socket, data: Buffer, dest: SocketAddress, before?: () => void): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      before?.();
      await sock.sendto(data, dest);
      return;
    } catch (e) {
      if (i >= 4 || !(e instanceof SocketError) || !PENDING_ICMP.has(e.code)) throw e;
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The wall clock in ns since the epoch, with the resolution of the monotonic clock (to compare with SO_TIMESTAMPNS). */
function realtimeNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

function isPermission(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === "EACCES" || code === "EPERM";
}

/**
 * Opens the ICMP socket for `family`: a ping socket when allowed (mode "auto"
 * or "dgram"), else raw. The raw socket's EPERM names both ways out.
 */
function openEchoSocket(family: "inet" | "inet6", mode: IcmpMode): { sock: Socket; kind: "dgram" | "raw" } {
  const proto = family === "inet" ? "icmp" : "icmpv6";
  let dgramError: unknown;
  if (mode !== "raw") {
    try {
      return { sock: new Socket(family, "dgram", proto), kind: "dgram" };
    } catch (e) {
      if (mode === "dgram" || !(isPermission(e) || (e as { code?: unknown })?.code === "EPROTONOSUPPORT")) {
        if (mode === "dgram" && isPermission(e)) {
          const range = readSysctl("net/ipv4/ping_group_range") ?? "?";
          throw new SocketError(
            (e as SocketError).errno,
            "socket",
            {},
            `socket ${(e as SocketError).code}: ICMP datagram sockets are not allowed for this process's groups (net.ipv4.ping_group_range = "${range.replace(/\s+/g, " ")}")`,
          );
        }
        throw e;
      }
      dgramError = e;
    }
  }
  try {
    return { sock: new Socket(family, "raw", proto), kind: "raw" };
  } catch (e) {
    if (dgramError !== undefined && isPermission(e)) {
      const range = readSysctl("net/ipv4/ping_group_range") ?? "?";
      throw new SocketError(
        (e as SocketError).errno,
        "socket",
        {},
        `socket ${(e as SocketError).code}: ICMP echo needs either a ping socket (net.ipv4.ping_group_range = "${range.replace(/\s+/g, " ")}" does not admit this process's groups) or a raw socket, which needs the CAP_NET_RAW capability (run as root, or: setcap cap_net_raw+ep "$(command -v node)")`,
      );
    }
    throw e;
  }
}

class EchoSession {
  readonly sock: Socket;
  readonly kind: "dgram" | "raw";
  readonly v6: boolean;
  readonly id: number;
  readonly #dest: SocketAddress;
  readonly #events: EchoEvents;
  readonly #stop = new AbortController();
  #loops: Promise<void>[] = [];
  /** The current back-off of the polled ordinary reads (ms), reset by each send. */
  #delay = 1;

  constructor(target: IcmpTarget, mode: IcmpMode, events: EchoEvents) {
    this.v6 = target.family === "inet6";
    const { sock, kind } = openEchoSocket(target.family, mode);
    this.sock = sock;
    this.kind = kind;
    this.#events = events;
    this.id = randomInt(0, 0x10000);
    // Frozen: Socket.sendto caches a frozen address's encoding, so each send
    // goes straight to the syscall after the send time is taken.
    this.#dest = Object.freeze(
      this.v6
        ? { family: "inet6", address: target.address, port: 0, flowinfo: 0, scopeId: target.scopeId ?? 0 }
        : { family: "inet", address: target.address, port: 0 },
    );
    // A ping socket reports ICMP errors only through the error queue
    // (IP_RECVERR); a raw socket reads them as ordinary ICMP messages, so it
    // needs no error queue. See #loop for why the two read differently.
    const recverr = kind === "dgram";
    try {
      sock.setsockopt("SOL_SOCKET", "SO_TIMESTAMPNS", true);
      if (this.v6) {
        sock.setsockopt("IPPROTO_IPV6", "IPV6_RECVHOPLIMIT", true);
        if (recverr) sock.setsockopt("IPPROTO_IPV6", "IPV6_RECVERR", true);
        if (kind === "raw") {
          // A raw ICMPv6 socket sees every ICMPv6 message (neighbour discovery too):
          // let through only what answers an echo request.
          sock.setsockopt("IPPROTO_ICMPV6", "ICMP6_FILTER", {
            pass: [ICMP6.ECHO_REPLY, ICMP6.DST_UNREACH, ICMP6.TIME_EXCEEDED, ICMP6.PACKET_TOO_BIG, ICMP6.PARAM_PROB],
          });
        }
      } else {
        sock.setsockopt("IPPROTO_IP", "IP_RECVTTL", true);
        if (recverr) sock.setsockopt("IPPROTO_IP", "IP_RECVERR", true);
      }
    } catch (e) {
      sock.close();
      throw e;
    }
  }

  /** Sets the TTL / hop limit of the following requests. */
  setTtl(ttl: number): void {
    if (this.v6) this.sock.setsockopt("IPPROTO_IPV6", "IPV6_UNICAST_HOPS", ttl);
    else this.sock.setsockopt("IPPROTO_IP", "IP_TTL", ttl);
  }

  /** Starts the receive loops (ordinary, and the error queue on a ping socket). */
  start(): void {
    const signal = this.#stop.signal;
    this.#loops =
      this.kind === "dgram" ? [this.#loop(signal, false), this.#loop(signal, true)] : [this.#loop(signal, false)];
  }

  /**
   * Reads replies (or, with `errqueue`, error-queue reports) until stopped.
   *
   * Why a ping socket's ordinary reads poll (MSG_DONTWAIT with a 1-8 ms
   * back-off) instead of waiting for readiness: with IP_RECVERR a queued ICMP
   * error makes the socket report POLLERR, which libuv's uv_poll treats as a
   * fatal error (it stops the handle and reports UV_EBADF), after which the
   * Socket's readiness waits never wake again. Round-trip times do not suffer:
   * they come from the kernel's receive timestamp (SO_TIMESTAMPNS).
   */
  async #loop(signal: AbortSignal, errqueue: boolean): Promise<void> {
    const poll = this.kind === "dgram" && !errqueue;
    for (;;) {
      let m: ReceivedMessage;
      try {
        m = await this.sock.recvmsg({
          size: 65536,
          signal,
          ...(errqueue ? { flags: MSG.ERRQUEUE } : poll ? { flags: MSG.DONTWAIT } : {}),
        });
      } catch (e) {
        if (poll && (e as { code?: unknown }).code === "EAGAIN" && !signal.aborted) {
          await sleep(this.#delay, signal);
          this.#delay = Math.min(this.#delay * 2, 8);
          continue;
        }
        if (signal.aborted || this.sock.closed) return;
        // A pending error (ICMP about an earlier packet) can surface on an
        // ordinary read as that errno; the error queue has the details.
        if (e instanceof SocketError && PENDING_ICMP.has(e.code) && !errqueue) continue;
        throw e;
      }
      try {
        if (errqueue) this.#onError(m);
        else this.#onMessage(m);
      } catch (e) {
        if ((e as { name?: unknown }).name !== "PacketError") throw e;
      }
    }
  }

  #onError(m: ReceivedMessage): void {
    const err = m.error;
    if (!err || (err.origin !== "icmp" && err.origin !== "icmp6")) return;
    // On a ping socket the queued data is our echo request.
    if (m.data.length < 8) return;
    const seq = m.data.readUInt16BE(6);
    const from = err.offender && "address" in err.offender ? err.offender.address : null;
    this.#events.error(seq, from, err.type, err.icmpCode);
  }

  #onMessage(m: ReceivedMessage): void {
    const from = m.address && "address" in m.address ? m.address.address : "";
    let icmp = m.data;
    let ttl = this.v6 ? m.hopLimit : m.ttl;
    if (this.kind === "raw" && !this.v6) {
      // Raw IPv4 sockets deliver the IP header too.
      if (icmp.length < IPV4_HEADER_SIZE || icmp[0]! >> 4 !== 4) return;
      ttl ??= icmp[8];
      icmp = icmp.subarray((icmp[0]! & 0x0f) * 4);
    }
    const msg = this.v6 ? decodeICMPv6(icmp) : decodeICMP(icmp);
    const replyType = this.v6 ? ICMP6.ECHO_REPLY : ICMP.ECHOREPLY;
    if (msg.type === replyType) {
      if (this.kind === "raw" && msg.id !== this.id) return;
      if (!this.v6 && !msg.checksumValid) return;
      const ts = m.timestamp;
      const rx = ts ? BigInt(ts.sec) * 1_000_000_000n + BigInt(ts.nsec) : undefined;
      this.#events.reply(msg.sequence, from, icmp.length, ttl, rx);
      return;
    }
    if (this.kind !== "raw") return;
    // A raw socket reads ICMP errors itself: they quote our IP header and the
    // first 8 bytes of our echo request.
    const errors = this.v6
      ? [ICMP6.DST_UNREACH, ICMP6.TIME_EXCEEDED, ICMP6.PACKET_TOO_BIG, ICMP6.PARAM_PROB]
      : [ICMP.DEST_UNREACH, ICMP.TIME_EXCEEDED, ICMP.PARAMETERPROB, ICMP.SOURCE_QUENCH, ICMP.REDIRECT];
    if (!errors.includes(msg.type)) return;
    const quoted = msg.payload;
    const ipLen = this.v6 ? IPV6_HEADER_SIZE : quoted.length > 0 ? (quoted[0]! & 0x0f) * 4 : 0;
    if (quoted.length < ipLen + 8) return;
    const inner = quoted.subarray(ipLen);
    const echoType = this.v6 ? ICMP6.ECHO_REQUEST : ICMP.ECHO;
    if (inner[0] !== echoType || inner.readUInt16BE(4) !== this.id) return;
    this.#events.error(inner.readUInt16BE(6), from, msg.type, msg.code);
  }

  /**
   * Sends echo request `seq` with `payload`; `stamp` runs right before the
   * sendto syscall (after the packet is built), so that the round trip it
   * starts measures the network, not sockit's own work.
   */
  async send(seq: number, payload: Buffer, stamp?: () => void): Promise<void> {
    const packet = this.v6 ? encodeEchoRequestV6(this.id, seq, payload) : encodeEchoRequest(this.id, seq, payload);
    this.#delay = 1;
    await sendPast(this.sock, packet, this.#dest, stamp);
  }

  /** Stops the loops and closes the socket; resolves when the loops have ended. */
  async close(): Promise<void> {
    this.#stop.abort();
    this.sock.close();
    await Promise.allSettled(this.#loops);
  }

  /** The first loop failure (a real error, not the stop), if any. */
  failure(): Promise<never> {
    return Promise.race(this.#loops).then(() => new Promise<never>(() => {}));
  }
}

// ---------------------------------------------------------------------------
// ping.

/** Options of {@link ping}. */
export interface PingOptions {
  /** Requests to send (default 4; Infinity sends until `signal` aborts). */
  count?: number;
  /** Milliseconds between requests (default 1000). */
  interval?: number;
  /** Milliseconds to wait for each reply after its request (default 1000). */
  timeout?: number;
  /** TTL / hop limit of the requests (default: the system's). */
  ttl?: number;
  /** Payload bytes after the 8-byte ICMP header (default 56, as ping). */
  size?: number;
  /** "inet" or "inet6", to choose for "localhost" or to insist. */
  family?: "inet" | "inet6";
  /** The socket kind (default "auto": a ping socket if allowed, else raw). */
  mode?: IcmpMode;
  /**
   * Ends the run early — as Ctrl-C ends ping: the promise then resolves with
   * the statistics so far (`interrupted: true`) instead of rejecting.
   */
  signal?: AbortSignal;
  /** Called once the socket is open, before the first request: the address pinged and the socket kind (ping prints its header then). */
  onStart?: (start: { address: string; family: "inet" | "inet6"; mode: "dgram" | "raw" }) => void;
  /** Called for each reply as it arrives. */
  onReply?: (reply: PingReply) => void;
  /** Called for each ICMP error about a request (unreachable, TTL exceeded ...). */
  onError?: (problem: PingProblem) => void;
  /** Called for each request that got no answer within `timeout`. */
  onTimeout?: (sequence: number) => void;
}

/** One echo reply. */
export interface PingReply {
  /** The icmp_seq of the request it answers. */
  sequence: number;
  /** Who answered. */
  from: string;
  /** ICMP bytes received (header + payload), as ping's "64 bytes from". */
  bytes: number;
  /** The reply's TTL / hop limit, when the kernel reported it. */
  ttl?: number;
  /** Round-trip time in milliseconds. */
  time: number;
  /**
   * Where `time`'s end came from: "kernel" — the reply's kernel receive
   * timestamp (SO_TIMESTAMPNS), as iputils ping; "process" — sockit's clock
   * when it read the reply (the kernel gave no timestamp, or the wall clock
   * stepped during the round trip), later by the event loop's wake-up.
   */
  clock: "kernel" | "process";
  /** A second (or later) reply to the same request. */
  duplicate: boolean;
}

/** An ICMP error about one request. */
export interface PingProblem {
  /** The sequence number of the request it is about. */
  sequence: number;
  /** The node that reported it, when known. */
  from: string | null;
  /** ICMP type and code. */
  type: number;
  /** The ICMP code. */
  code: number;
  /** What ping would print: "Destination Host Unreachable", "Time to live exceeded" ... */
  message: string;
}

/** The outcome of {@link ping}: every reply and the statistics ping prints. */
export interface PingResult {
  /** The host as given, and the address pinged. */
  host: string;
  /** The address pinged, in text form. */
  address: string;
  /** The family of `address`. */
  family: "inet" | "inet6";
  /** Which socket was used. */
  mode: "dgram" | "raw";
  /** Payload bytes per request. */
  size: number;
  /** Every reply, duplicates included, in the order they came. */
  replies: PingReply[];
  /** ICMP errors about requests (unreachable, time exceeded ...). */
  problems: PingProblem[];
  /** Requests sent. */
  transmitted: number;
  /** Distinct requests answered (duplicates not counted). */
  received: number;
  /** Replies received more than once. */
  duplicates: number;
  /** Lost requests in percent (0..100), as ping's "% packet loss". */
  loss: number;
  /** Milliseconds from the first request to the last (ping's "time": the wait for the last answer is not in it). */
  time: number;
  /** Round-trip statistics in ms over the distinct replies; NaN when there are none. */
  min: number;
  /** Mean round-trip time over the distinct replies, ms; NaN when there are none. */
  avg: number;
  /** Longest round-trip time, ms; NaN when there are none. */
  max: number;
  /** Mean deviation as ping computes it: sqrt(mean(t²) − mean(t)²). */
  mdev: number;
  /** True when `signal` ended the run early. */
  interrupted: boolean;
}

/**
 * ping's text for an ICMP error type/code (iputils ping_common).
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 */
export function icmpMessage(v6: boolean, type: number, code: number): string {
  if (!v6) {
    if (type === ICMP.TIME_EXCEEDED)
      return code === ICMP.EXC_TTL ? "Time to live exceeded" : "Frag reassembly time exceeded";
    if (type === ICMP.DEST_UNREACH) {
      const texts: [number | undefined, string][] = [
        [ICMP.NET_UNREACH, "Destination Net Unreachable"],
        [ICMP.HOST_UNREACH, "Destination Host Unreachable"],
        [ICMP.PROT_UNREACH, "Destination Protocol Unreachable"],
        [ICMP.PORT_UNREACH, "Destination Port Unreachable"],
        [ICMP.FRAG_NEEDED, "Frag needed and DF set"],
        [ICMP.SR_FAILED, "Source Route Failed"],
        [ICMP.PKT_FILTERED, "Packet filtered"],
      ];
      return texts.find(([c]) => c === code)?.[1] ?? `Dest Unreachable, Bad Code: ${code}`;
    }
    if (type === ICMP.PARAMETERPROB) return "Parameter problem";
    if (type === ICMP.REDIRECT) return "Redirect";
    if (type === ICMP.SOURCE_QUENCH) return "Source Quench";
    return `Bad ICMP type: ${type}`;
  }
  if (type === ICMP6.TIME_EXCEEDED)
    return code === ICMP6.TIME_EXCEED_TRANSIT ? "Time exceeded: Hop limit" : "Time exceeded: Defrag";
  if (type === ICMP6.DST_UNREACH) {
    const texts: [number | undefined, string][] = [
      [ICMP6.DST_UNREACH_NOROUTE, "Destination unreachable: No route"],
      [ICMP6.DST_UNREACH_ADMIN, "Destination unreachable: Administratively prohibited"],
      [ICMP6.DST_UNREACH_ADDR, "Destination unreachable: Address unreachable"],
      [ICMP6.DST_UNREACH_NOPORT, "Destination unreachable: Port unreachable"],
    ];
    return texts.find(([c]) => c === code)?.[1] ?? `Destination unreachable: Unknown code ${code}`;
  }
  if (type === ICMP6.PACKET_TOO_BIG) return "Packet too big";
  if (type === ICMP6.PARAM_PROB) return "Parameter problem";
  return `Unknown ICMPv6 type: ${type}`;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Pings `host`: sends `count` ICMP echo requests `interval` ms apart and
 * gathers the replies, ICMP errors and the statistics `ping` prints
 * (transmitted, received, loss, min/avg/max/mdev). Uses a ping socket where
 * `net.ipv4.ping_group_range` allows, a raw socket (CAP_NET_RAW) otherwise;
 * IPv4 and IPv6. Does not correspond to a single syscall: socket(2),
 * setsockopt(2), sendto(2), recvmsg(2) (with MSG_ERRQUEUE).
 *
 * Notes: aborting `signal` ends the run and resolves with the statistics so
 * far (`interrupted: true`), as Ctrl-C ends ping. The socket is closed before
 * the promise settles.
 *
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 * @see https://man7.org/linux/man-pages/man8/ping.8.html
 * @throws TypeError/RangeError ERR_INVALID_ADDRESS, ERR_INVALID_ARG_TYPE,
 *   ERR_OUT_OF_RANGE for bad arguments (at once); ResolveError EAI_NONAME,
 *   EAI_AGAIN for a host name the lookup does not know; SocketError EACCES/EPERM
 *   (neither a ping socket nor CAP_NET_RAW — the message says which sysctl
 *   and capability), ENETUNREACH, EHOSTUNREACH (from sendto).
 */
export function ping(host: string, options: PingOptions = {}): Promise<PingResult> {
  if (typeof options !== "object" || options === null) {
    throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${raw.describe(options)}`);
  }
  const target = checkTarget(host, options.family);
  const count = checkNumber(options.count ?? 4, "count", 1, Infinity);
  const interval = checkNumber(options.interval ?? 1000, "interval", 0, 3600_000, false);
  const timeout = checkNumber(options.timeout ?? 1000, "timeout", 1, 3600_000, false);
  const ttl = options.ttl === undefined ? undefined : checkNumber(options.ttl, "ttl", 1, 255);
  // The IPv4 limit until the family is known (it is the smaller one).
  const maxSize = (target?.family ?? options.family) === "inet6" ? 0xffff - 8 : 0xffff - IPV4_HEADER_SIZE - 8;
  const size = checkNumber(options.size ?? 56, "size", 0, maxSize);
  const mode = options.mode ?? "auto";
  if (mode !== "auto" && mode !== "dgram" && mode !== "raw") {
    throw codedError("ERR_INVALID_ARG_VALUE", `mode must be "auto", "dgram" or "raw", got ${raw.describe(mode)}`);
  }
  const signal = checkSignal(options.signal);
  for (const cb of ["onStart", "onReply", "onError", "onTimeout"] as const) {
    if (options[cb] !== undefined && typeof options[cb] !== "function") {
      throw codedError("ERR_INVALID_ARG_TYPE", `${cb} must be a function`);
    }
  }
  const o = { count, interval, timeout, ttl, size, mode, signal, options };
  if (target) return runPing(host, target, o);
  return resolveIcmpTarget(host, options.family).then((t) => runPing(host, t, o));
}

async function runPing(
  host: string,
  target: IcmpTarget,
  o: {
    count: number;
    interval: number;
    timeout: number;
    ttl: number | undefined;
    size: number;
    mode: IcmpMode;
    signal: AbortSignal | undefined;
    options: PingOptions;
  },
): Promise<PingResult> {
  const sent = new Map<number, bigint>();
  const sentReal = new Map<number, bigint>();
  const answered = new Set<number>();
  const settled = new Map<number, () => void>();
  const replies: PingReply[] = [];
  const problems: PingProblem[] = [];
  let duplicates = 0;
  const v6 = target.family === "inet6";
  const session = new EchoSession(target, o.mode, {
    reply(seq, from, bytes, ttl, rx) {
      const t0 = sent.get(seq);
      if (t0 === undefined) return;
      // The kernel's receive time (SO_TIMESTAMPNS), when it gave one: sockit
      // reads the reply later, after the event loop wakes. The send time is
      // the wall clock just before sendto (see EchoSession.send). The
      // process's clock is the fallback, and the bound: a kernel time past it
      // would mean the wall clock stepped in between.
      const real = sentReal.get(seq);
      const byClock = Number(process.hrtime.bigint() - t0) / 1e6;
      const byKernel = rx !== undefined && real !== undefined ? Number(rx - real) / 1e6 : Infinity;
      const kernel = byKernel >= 0 && byKernel <= byClock;
      const time = kernel ? byKernel : byClock;
      const duplicate = answered.has(seq);
      if (duplicate) duplicates++;
      answered.add(seq);
      const r: PingReply = { sequence: seq, from, bytes, time, clock: kernel ? "kernel" : "process", duplicate };
      if (ttl !== undefined) r.ttl = ttl;
      replies.push(r);
      o.options.onReply?.(r);
      settled.get(seq)?.();
    },
    error(seq, from, type, code) {
      if (!sent.has(seq)) return;
      const p: PingProblem = { sequence: seq, from, type, code, message: icmpMessage(v6, type, code) };
      problems.push(p);
      o.options.onError?.(p);
      settled.get(seq)?.();
    },
  });
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  if (o.signal?.aborted) stop.abort();
  const start = process.hrtime.bigint();
  /** The last request's send time: ping's "time" ends there (iputils' cur_time), not after the last wait. */
  let last = start;
  const waits: Promise<void>[] = [];
  let transmitted = 0;
  let failure: unknown;
  session.failure().catch((e: unknown) => {
    failure = e;
    stop.abort();
  });
  try {
    if (o.ttl !== undefined) session.setTtl(o.ttl);
    o.options.onStart?.({ address: target.address, family: target.family, mode: session.kind });
    session.start();
    const payload = Buffer.alloc(o.size);
    for (let i = 0; i < o.size; i++) payload[i] = i & 0xff;
    for (let i = 0; i < o.count && !stop.signal.aborted; i++) {
      const seq = (i + 1) & 0xffff;
      if (i > 0) await delay(o.interval, stop.signal);
      if (stop.signal.aborted) break;
      answered.delete(seq);
      waits.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            settled.delete(seq);
            if (!answered.has(seq)) o.options.onTimeout?.(seq);
            resolve();
          }, o.timeout);
          const done = (): void => {
            clearTimeout(timer);
            stop.signal.removeEventListener("abort", done);
            settled.delete(seq);
            resolve();
          };
          settled.set(seq, done);
          stop.signal.addEventListener("abort", done, { once: true });
        }),
      );
      await session.send(seq, payload, () => {
        last = process.hrtime.bigint();
        sent.set(seq, last);
        sentReal.set(seq, realtimeNs());
      });
      transmitted++;
    }
    await Promise.all(waits);
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    for (const done of [...settled.values()]) done();
    await session.close();
  }
  if (failure !== undefined) throw failure;
  const time = Number(last - start) / 1e6;
  const rtts = replies.filter((r) => !r.duplicate).map((r) => r.time);
  const received = rtts.length;
  const avg = received ? rtts.reduce((a, b) => a + b, 0) / received : NaN;
  const avg2 = received ? rtts.reduce((a, b) => a + b * b, 0) / received : NaN;
  return {
    host,
    address: target.address,
    family: target.family,
    mode: session.kind,
    size: o.size,
    replies,
    problems,
    transmitted,
    received,
    duplicates,
    loss: transmitted ? ((transmitted - received) / transmitted) * 100 : 0,
    time,
    min: received ? Math.min(...rtts) : NaN,
    avg,
    max: received ? Math.max(...rtts) : NaN,
    mdev: received ? Math.sqrt(Math.max(0, avg2 - avg * avg)) : NaN,
    interrupted: o.signal?.aborted === true,
  };
}

// ---------------------------------------------------------------------------
// traceroute.

/** Options of {@link traceroute}. */
export interface TracerouteOptions {
  /** The largest TTL tried (default 30). */
  maxHops?: number;
  /** The first TTL (default 1). */
  firstHop?: number;
  /** Probes per hop (default 3). */
  queries?: number;
  /** Milliseconds to wait for each probe's answer (default 1000). */
  timeout?: number;
  /** "udp" (default: unprivileged, to ports from `port` up) or "icmp" (echo requests, as traceroute -I). */
  protocol?: "udp" | "icmp";
  /** The first UDP destination port (default 33434, as traceroute). */
  port?: number;
  /** "inet" or "inet6", for "localhost" or to insist. */
  family?: "inet" | "inet6";
  /** For protocol "icmp": the socket kind (default "auto"). */
  mode?: IcmpMode;
  /** Rejects with an AbortError and closes the socket. */
  signal?: AbortSignal;
  /** Called with each hop as soon as its probes have settled. */
  onHop?: (hop: TracerouteHop) => void;
}

/** One probe's outcome. */
export interface TracerouteProbe {
  /** Who answered, or null when nobody did within the timeout. */
  address: string | null;
  /** Round-trip time in ms, or null. */
  time: number | null;
  /** The ICMP type and code of the answer (time exceeded, port unreachable, echo reply ...). */
  type?: number;
  /** The ICMP code of the answer. */
  code?: number;
  /** traceroute's annotation: "!H" host, "!N" network, "!P" protocol unreachable, "!X" prohibited, "!F" fragmentation needed; "" otherwise. */
  note: string;
}

/** The probes of one TTL. */
export interface TracerouteHop {
  /** The TTL (hop limit) of this hop's probes. */
  ttl: number;
  /** One entry per probe sent at this TTL. */
  probes: TracerouteProbe[];
}

/** The outcome of {@link traceroute}. */
export interface TracerouteResult {
  /** The host as given. */
  host: string;
  /** The address traced, in text form. */
  address: string;
  /** The family of `address`. */
  family: "inet" | "inet6";
  /** The kind of probe: UDP datagrams or ICMP echo requests. */
  protocol: "udp" | "icmp";
  /** The hops, from TTL 1. */
  hops: TracerouteHop[];
  /** Whether the destination answered (port unreachable, or an echo reply). */
  reached: boolean;
}

interface ProbeAnswer {
  from: string | null;
  type: number;
  code: number;
  /** The kernel's receive time (ns since the epoch), when known. */
  rx?: bigint;
}

function note(v6: boolean, type: number, code: number): string {
  if (v6) {
    if (type !== ICMP6.DST_UNREACH || code === ICMP6.DST_UNREACH_NOPORT) return "";
    if (code === ICMP6.DST_UNREACH_NOROUTE) return "!N";
    if (code === ICMP6.DST_UNREACH_ADMIN) return "!X";
    if (code === ICMP6.DST_UNREACH_ADDR) return "!H";
    return `!<${code}>`;
  }
  if (type !== ICMP.DEST_UNREACH || code === ICMP.PORT_UNREACH) return "";
  if (code === ICMP.HOST_UNREACH) return "!H";
  if (code === ICMP.NET_UNREACH) return "!N";
  if (code === ICMP.PROT_UNREACH) return "!P";
  if (code === ICMP.FRAG_NEEDED) return "!F";
  if (code === ICMP.PKT_FILTERED) return "!X";
  return `!<${code}>`;
}

/**
 * Traces the route to `host`: sends probes with TTL 1, 2, ... and reports
 * who answered each (an ICMP time-exceeded from each router, then port
 * unreachable or echo reply from the destination), read from the error queue
 * (IP_RECVERR / IPV6_RECVERR). UDP probes (the default) need no privilege;
 * ICMP probes use a ping or raw socket as {@link ping} does. Stops at the
 * destination, at an unreachable answer, or after `maxHops`. Does not
 * correspond to a single syscall: socket(2), setsockopt(2) (IP_TTL), sendto(2),
 * recvmsg(2) with MSG_ERRQUEUE.
 *
 * Notes: routers rate-limit ICMP errors (net.ipv4.icmp_ratelimit), so a probe
 * can go unanswered ("*") although the path works.
 *
 * @see https://man7.org/linux/man-pages/man7/ip.7.html
 * @see https://man7.org/linux/man-pages/man8/traceroute.8.html
 * @throws TypeError/RangeError ERR_* for bad arguments (at once); ResolveError
 *   EAI_NONAME, EAI_AGAIN for an unknown host name; AbortError
 *   when `signal` aborts; SocketError from socket(2)/sendto(2) (ENETUNREACH,
 *   EACCES/EPERM for ICMP without a ping socket or CAP_NET_RAW).
 */
export function traceroute(host: string, options: TracerouteOptions = {}): Promise<TracerouteResult> {
  if (typeof options !== "object" || options === null) {
    throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${raw.describe(options)}`);
  }
  const target = checkTarget(host, options.family);
  const maxHops = checkNumber(options.maxHops ?? 30, "maxHops", 1, 255);
  const firstHop = checkNumber(options.firstHop ?? 1, "firstHop", 1, maxHops);
  const queries = checkNumber(options.queries ?? 3, "queries", 1, 10);
  const timeout = checkNumber(options.timeout ?? 1000, "timeout", 1, 3600_000, false);
  const port = checkNumber(options.port ?? 33434, "port", 1, 0xffff);
  const protocol = options.protocol ?? "udp";
  if (protocol !== "udp" && protocol !== "icmp") {
    throw codedError("ERR_INVALID_ARG_VALUE", `protocol must be "udp" or "icmp", got ${raw.describe(protocol)}`);
  }
  if (protocol === "udp" && port + (maxHops - firstHop + 1) * queries - 1 > 0xffff) {
    throw codedError("ERR_OUT_OF_RANGE", `port ${port} leaves no room for ${maxHops * queries} probe ports`);
  }
  const signal = checkSignal(options.signal);
  if (options.onHop !== undefined && typeof options.onHop !== "function") {
    throw codedError("ERR_INVALID_ARG_TYPE", "onHop must be a function");
  }
  const mode = options.mode ?? "auto";
  const go = (t: IcmpTarget): Promise<TracerouteResult> =>
    runTrace(host, t, {
      maxHops,
      firstHop,
      queries,
      timeout,
      port,
      protocol,
      signal,
      mode,
      onHop: options.onHop,
    });
  return target ? go(target) : resolveIcmpTarget(host, options.family).then(go);
}

/** The probe transport: sends probe `n` with the current TTL; answers arrive through `answer(n, ...)`. */
interface Prober {
  setTtl(ttl: number): void;
  send(n: number): Promise<void>;
  close(): Promise<void>;
  failure(): Promise<never>;
}

function udpProber(target: IcmpTarget, basePort: number, answer: (n: number, a: ProbeAnswer) => void): Prober {
  const v6 = target.family === "inet6";
  const sock = new Socket(target.family, "dgram", "udp");
  const stop = new AbortController();
  try {
    if (v6) sock.setsockopt("IPPROTO_IPV6", "IPV6_RECVERR", true);
    else sock.setsockopt("IPPROTO_IP", "IP_RECVERR", true);
  } catch (e) {
    sock.close();
    throw e;
  }
  const loop = (async (): Promise<void> => {
    for (;;) {
      let m: ReceivedMessage;
      try {
        m = await sock.recvmsg({ size: 512, flags: MSG.ERRQUEUE, signal: stop.signal });
      } catch (e) {
        if (stop.signal.aborted || sock.closed) return;
        throw e;
      }
      const err = m.error;
      if (!err || (err.origin !== "icmp" && err.origin !== "icmp6")) continue;
      if (!m.address || !("port" in m.address)) continue;
      const from = err.offender && "address" in err.offender ? err.offender.address : null;
      answer(m.address.port - basePort, { from, type: err.type, code: err.icmpCode });
    }
  })();
  // The probes carry nothing but their port; 32 bytes as traceroute sends.
  const payload = Buffer.alloc(32);
  return {
    setTtl(ttl) {
      if (v6) sock.setsockopt("IPPROTO_IPV6", "IPV6_UNICAST_HOPS", ttl);
      else sock.setsockopt("IPPROTO_IP", "IP_TTL", ttl);
    },
    async send(n) {
      const port = basePort + n;
      const dest: SocketAddress = v6
        ? { family: "inet6", address: target.address, port, flowinfo: 0, scopeId: target.scopeId ?? 0 }
        : { family: "inet", address: target.address, port };
      await sendPast(sock, payload, dest);
    },
    async close() {
      stop.abort();
      sock.close();
      await Promise.allSettled([loop]);
    },
    failure: () => loop.then(() => new Promise<never>(() => {})),
  };
}

function icmpProber(target: IcmpTarget, mode: IcmpMode, answer: (n: number, a: ProbeAnswer) => void): Prober {
  const v6 = target.family === "inet6";
  const echoReply = v6 ? ICMP6.ECHO_REPLY : ICMP.ECHOREPLY;
  const session = new EchoSession(target, mode, {
    reply: (seq, from, _bytes, _ttl, rx) =>
      answer(seq, { from, type: echoReply, code: 0, ...(rx !== undefined ? { rx } : {}) }),
    error: (seq, from, type, code) => answer(seq, { from, type, code }),
  });
  session.start();
  const payload = Buffer.alloc(32);
  return {
    setTtl: (ttl) => session.setTtl(ttl),
    send: (n) => session.send(n, payload),
    close: () => session.close(),
    failure: () => session.failure(),
  };
}

async function runTrace(
  host: string,
  target: IcmpTarget,
  o: {
    maxHops: number;
    firstHop: number;
    queries: number;
    timeout: number;
    port: number;
    protocol: "udp" | "icmp";
    signal: AbortSignal | undefined;
    mode: IcmpMode;
    onHop: ((hop: TracerouteHop) => void) | undefined;
  },
): Promise<TracerouteResult> {
  if (o.signal?.aborted) throw new AbortError(undefined, { cause: o.signal.reason });
  const v6 = target.family === "inet6";
  const waiting = new Map<number, (a: ProbeAnswer) => void>();
  const answer = (n: number, a: ProbeAnswer): void => waiting.get(n)?.(a);
  const prober = o.protocol === "udp" ? udpProber(target, o.port, answer) : icmpProber(target, o.mode, answer);
  const hops: TracerouteHop[] = [];
  let reached = false;
  const stop = new AbortController();
  let failure: unknown;
  prober.failure().catch((e: unknown) => {
    failure = e;
    stop.abort();
  });
  const onAbort = (): void => stop.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  // ICMP probes are numbered from 1 (sequence), UDP probes from 0 (port offset).
  let next = o.protocol === "icmp" ? 1 : 0;
  try {
    for (let ttl = o.firstHop; ttl <= o.maxHops && !reached; ttl++) {
      prober.setTtl(ttl);
      const pending: Promise<TracerouteProbe>[] = [];
      for (let q = 0; q < o.queries; q++) {
        const n = next++;
        const t0 = process.hrtime.bigint();
        const real = realtimeNs();
        pending.push(
          new Promise<TracerouteProbe>((resolve) => {
            const finish = (p: TracerouteProbe): void => {
              clearTimeout(timer);
              waiting.delete(n);
              stop.signal.removeEventListener("abort", onStop);
              resolve(p);
            };
            const onStop = (): void => finish({ address: null, time: null, note: "" });
            const timer = setTimeout(onStop, o.timeout);
            stop.signal.addEventListener("abort", onStop, { once: true });
            waiting.set(n, (a) =>
              finish({
                address: a.from,
                time: Math.min(
                  Number(process.hrtime.bigint() - t0) / 1e6,
                  a.rx !== undefined ? Math.max(0, Number(a.rx - real) / 1e6) : Infinity,
                ),
                type: a.type,
                code: a.code,
                note: note(v6, a.type, a.code),
              }),
            );
          }),
        );
        await prober.send(n);
      }
      const probes = await Promise.all(pending);
      if (stop.signal.aborted) break;
      const hop: TracerouteHop = { ttl, probes };
      hops.push(hop);
      o.onHop?.(hop);
      const timeExceeded = v6 ? ICMP6.TIME_EXCEEDED : ICMP.TIME_EXCEEDED;
      // Anything but "time exceeded" comes from the end of the path (or stops it).
      if (probes.some((p) => p.type !== undefined && p.type !== timeExceeded)) {
        reached = probes.some((p) => p.type !== undefined && p.type !== timeExceeded && p.note === "");
        if (!reached) break;
      }
    }
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    await prober.close();
  }
  if (failure !== undefined) throw failure;
  if (o.signal?.aborted) throw new AbortError(undefined, { cause: o.signal.reason });
  return { host, address: target.address, family: target.family, protocol: o.protocol, hops, reached };
}
