/**
 * TCP options (level IPPROTO_TCP, also spelled SOL_TCP), sorted by C name.
 * Options the headers define but this table lacks still resolve by name, as
 * raw bytes.
 *
 * @see https://man7.org/linux/man-pages/man7/tcp.7.html
 */
import { IPPROTO, TCP } from "../constants.js";
import { bool, int, kernelName, tcpInfo, uint } from "./codecs.js";
import { man, ro, rw, type LevelSpec } from "./table.js";

const see = man("tcp", 7);

/** IPPROTO_TCP options: C name → codec, access, doc. */
export const IPPROTO_TCP_OPTIONS = {
  TCP_CONGESTION: rw(kernelName, 'The congestion control algorithm ("cubic", "reno", "bbr" ...).', see),
  TCP_CORK: rw(bool, "Holds back partial frames until uncorked (or 200 ms pass).", see),
  TCP_DEFER_ACCEPT: rw(
    int,
    "Seconds a listener waits for data before accept(2) returns the connection (rounded to retransmits).",
    see,
  ),
  TCP_FASTOPEN: rw(int, "Enables TCP Fast Open on a listener, with this queue length of pending TFO requests.", see),
  TCP_FASTOPEN_CONNECT: rw(bool, "Sends data in the SYN on connect(2) when a Fast Open cookie is cached.", see),
  TCP_INFO: ro(tcpInfo, "Connection statistics (struct tcp_info): state, RTT, windows, counters.", see),
  TCP_INQ: rw(bool, "Enables TCP_CM_INQ control messages (bytes still queued to read).", see),
  TCP_KEEPCNT: rw(int, "Keep-alive probes sent before the connection is dropped.", see),
  TCP_KEEPIDLE: rw(int, "Seconds of idleness before the first keep-alive probe.", see),
  TCP_KEEPINTVL: rw(int, "Seconds between keep-alive probes.", see),
  TCP_LINGER2: rw(int, "Seconds an orphaned connection stays in FIN_WAIT2.", see),
  TCP_MAXSEG: rw(int, "The maximum segment size; set before connect(2), read back the negotiated MSS after.", see),
  TCP_NODELAY: rw(bool, "Disables Nagle's algorithm: sends small segments at once.", see),
  TCP_NOTSENT_LOWAT: rw(uint, "Limits unsent bytes queued before the socket stops being writable.", see),
  TCP_QUICKACK: rw(
    bool,
    "Acknowledges at once instead of delaying ACKs (not permanent; the stack may switch back).",
    see,
  ),
  TCP_SYNCNT: rw(int, "SYN retransmits before connect(2) gives up.", see),
  TCP_THIN_LINEAR_TIMEOUTS: rw(bool, "Uses linear timeouts for thin streams.", see),
  TCP_TX_DELAY: rw(int, "Delays each outgoing packet by this many µs (for testing).", see),
  TCP_ULP: rw(kernelName, 'Attaches an upper-layer protocol ("tls", "mptcp"); reads "" when none.', see),
  TCP_USER_TIMEOUT: rw(
    int,
    "Milliseconds transmitted data may stay unacknowledged before the connection is dropped (0: system default).",
    see,
  ),
  TCP_WINDOW_CLAMP: rw(int, "Caps the advertised window at this many bytes.", see),
} as const;

/** The IPPROTO_TCP level. */
export const ipprotoTcp: LevelSpec<typeof IPPROTO_TCP_OPTIONS> = {
  name: "IPPROTO_TCP",
  aliases: ["SOL_TCP"],
  level: IPPROTO.TCP,
  prefix: "TCP_",
  numbers: TCP,
  see,
  options: IPPROTO_TCP_OPTIONS,
};
