/**
 * Socket-level options (level SOL_SOCKET), sorted by C name. Options the
 * headers define but this table lacks still resolve by name, as raw bytes.
 *
 * @see https://man7.org/linux/man-pages/man7/socket.7.html
 */
import { SO, SOL } from "../constants.js";
import { bool, cstring, ifindex, ifname, int, linger, timeval, u64, ucred, uint } from "./codecs.js";
import { man, ro, rw, wo, type LevelSpec } from "./table.js";

const see = man("socket", 7);

/**
 * A security context (SO_PEERSEC), e.g. "system_u:system_r:sshd_t:s0" or an
 * AppArmor profile. The kernel caps no length in a user-space header; 4096
 * bytes is a page, and the kernel answers ERANGE for a longer label.
 */
const securityContext = cstring("security context", 4096);

/** SOL_SOCKET options: C name → codec, access, doc. */
export const SOL_SOCKET_OPTIONS = {
  SO_ACCEPTCONN: ro(bool, "Whether the socket is listening (listen(2) has been called).", see),
  SO_BINDTODEVICE: rw(
    ifname,
    'Binds the socket to a network interface by name ("" unbinds); needs CAP_NET_RAW before Linux 5.7.',
    see,
  ),
  SO_BINDTOIFINDEX: rw(ifindex, "Binds the socket to a network interface by index (0 unbinds); Linux 5.0.", see),
  SO_BROADCAST: rw(bool, "Allows a datagram socket to send to broadcast addresses.", see),
  SO_BUSY_POLL: rw(int, "Busy-polls the device queue for up to this many µs on a blocking receive.", see),
  SO_COOKIE: ro(u64, "The socket's unique 64-bit cookie, as sock_diag and BPF report it (bigint).", see),
  SO_DEBUG: rw(bool, "Enables socket debugging (needs CAP_NET_ADMIN).", see),
  SO_DOMAIN: ro(int, "The socket's address family (AF_*).", see),
  SO_DONTROUTE: rw(bool, "Sends only to directly connected hosts, bypassing the routing table.", see),
  SO_ERROR: ro(int, "Returns and clears the pending socket error, a positive errno (0 if none).", see),
  SO_INCOMING_CPU: rw(int, "The CPU that processes the socket's incoming packets.", see),
  SO_INCOMING_NAPI_ID: ro(int, "The NAPI id of the queue the last packet arrived on (0 if none).", see),
  SO_KEEPALIVE: rw(bool, "Sends keep-alive probes on a connection-oriented socket.", see),
  SO_LINGER: rw(linger, "Makes close(2) and shutdown(2) wait up to `linger` seconds for unsent data.", see),
  SO_MARK: rw(uint, "The fwmark of the socket's packets, for policy routing (needs CAP_NET_ADMIN).", see),
  SO_OOBINLINE: rw(bool, "Places out-of-band data in the normal data stream.", see),
  SO_PASSCRED: rw(bool, "Enables SCM_CREDENTIALS control messages on a Unix socket.", see),
  SO_PASSPIDFD: rw(
    bool,
    "Enables SCM_PIDFD control messages (a pidfd of the sender, the caller's to close) on a Unix socket; Linux 6.5.",
    see,
  ),
  SO_PASSSEC: rw(
    bool,
    "Enables SCM_SECURITY control messages (the sender's security context) on a Unix socket, where an LSM provides one.",
    see,
  ),
  SO_PEEK_OFF: rw(int, "The offset MSG_PEEK reads from (-1 disables it).", see),
  SO_PEERCRED: ro(ucred, "The peer's credentials { pid, uid, gid } at connect(2)/socketpair(2) (Unix sockets).", see),
  SO_PEERPIDFD: ro(
    int,
    "A new pidfd of the peer process (Unix sockets; Linux 6.5): an fd the caller owns and must close.",
    see,
  ),
  SO_PEERSEC: ro(
    securityContext,
    "The peer's security context (SELinux, Smack, AppArmor); ENOPROTOOPT when no LSM provides one.",
    see,
  ),
  SO_PRIORITY: rw(int, "The priority of the socket's packets (0-6 without CAP_NET_ADMIN).", see),
  SO_PROTOCOL: ro(int, "The socket's protocol (IPPROTO_*).", see),
  SO_RCVBUF: rw(int, "The receive buffer size; Linux stores (and reports) twice the value set.", see),
  SO_RCVBUFFORCE: wo(int, "Sets SO_RCVBUF beyond net.core.rmem_max (needs CAP_NET_ADMIN).", see),
  SO_RCVLOWAT: rw(int, "The minimum number of bytes a receive waits for.", see),
  SO_RCVTIMEO: rw(timeval, "The receive timeout in milliseconds (0: none) for blocking calls.", see),
  SO_REUSEADDR: rw(bool, "Allows bind(2) to reuse a local address (TCP: unless a listener holds it).", see),
  SO_REUSEPORT: rw(bool, "Allows several sockets to bind the same address and port, balancing among them.", see),
  SO_RXQ_OVFL: rw(bool, "Enables SO_RXQ_OVFL control messages counting packets dropped before this one.", see),
  SO_SNDBUF: rw(int, "The send buffer size; Linux stores (and reports) twice the value set.", see),
  SO_SNDBUFFORCE: wo(int, "Sets SO_SNDBUF beyond net.core.wmem_max (needs CAP_NET_ADMIN).", see),
  SO_SNDLOWAT: rw(
    int,
    "The minimum number of bytes a send waits for; fixed at 1 on Linux (setting fails with ENOPROTOOPT).",
    see,
  ),
  SO_SNDTIMEO: rw(timeval, "The send timeout in milliseconds (0: none) for blocking calls.", see),
  SO_TIMESTAMP: rw(bool, "Enables SCM_TIMESTAMP control messages (receive time, struct timeval).", see),
  SO_TIMESTAMPING: rw(int, "Enables SO_TIMESTAMPING reports (SOF_TIMESTAMPING_* flags).", see),
  SO_TIMESTAMPNS: rw(bool, "Enables SCM_TIMESTAMPNS control messages (receive time, struct timespec).", see),
  SO_TYPE: ro(int, "The socket's type (SOCK_*).", see),
  SO_ZEROCOPY: rw(bool, "Allows MSG_ZEROCOPY sends.", see),
} as const;

/** The SOL_SOCKET level. */
export const solSocket: LevelSpec<typeof SOL_SOCKET_OPTIONS> = {
  name: "SOL_SOCKET",
  aliases: [],
  level: SOL.SOCKET,
  prefix: "SO_",
  numbers: SO,
  see,
  options: SOL_SOCKET_OPTIONS,
};
