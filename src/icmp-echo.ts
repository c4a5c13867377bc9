/**
 * One ICMP echo session, the engine under ping and traceroute's ICMP probes:
 * an unprivileged ping socket (`socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)`)
 * where `net.ipv4.ping_group_range` admits the process's group, a raw socket
 * (CAP_NET_RAW) otherwise. On a ping socket the kernel picks the identifier,
 * fills the checksum and delivers only this socket's replies, and ICMP errors
 * come through the error queue (IP_RECVERR); on a raw socket sockit builds the
 * request (src/packets), filters replies by identifier and reads the errors
 * from the ordinary stream.
 *
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 * @see https://man7.org/linux/man-pages/man7/raw.7.html
 */
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { type SocketAddress } from "./address.js";
import { ICMP, ICMP6, MSG } from "./constants.js";
import { SocketError } from "./errors.js";
import { decodeICMP, decodeICMPv6, encodeEchoRequest, encodeEchoRequestV6 } from "./packets/index.js";
import { IPV4_HEADER_SIZE } from "./packets/ipv4.js";
import { IPV6_HEADER_SIZE } from "./packets/ipv6.js";
import { Socket } from "./socket.js";
import type { ReceivedMessage } from "./messages.js";
import { type IcmpTarget } from "./icmp-target.js";

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
export async function sendPast(sock: Socket, data: Buffer, dest: SocketAddress, before?: () => void): Promise<void> {
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

/** Waits `ms`, or less if `signal` aborts (at once if it already has); never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
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

export class EchoSession {
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
