/**
 * The two errors of the netlink layer: a malformed message (the codec's only
 * error, whatever the input) and an error the kernel reported in NLMSG_ERROR.
 */
import { constants as osConstants } from "node:os";
import { getSystemErrorName } from "node:util";

/**
 * Bytes that are not a well-formed netlink message or attribute: a length
 * field past the end of the buffer, an attribute shorter than its type needs,
 * a reply to our sequence number from a foreign port id. `code` is always
 * "ERR_NETLINK_MESSAGE"; `offset` is where in the buffer decoding stopped.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export class NetlinkMessageError extends Error {
  /** Always "NetlinkMessageError". */
  override name = "NetlinkMessageError";
  /** Always "ERR_NETLINK_MESSAGE". */
  readonly code = "ERR_NETLINK_MESSAGE";
  /** The byte offset of the malformed part, when known. */
  declare offset?: number;
  constructor(message: string, offset?: number) {
    super(message);
    if (offset !== undefined) this.offset = offset;
  }
}

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(osConstants.errno as Record<string, number>)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}

/**
 * The errno name of a positive or negative errno ("EEXIST").
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  try {
    const libuv = getSystemErrorName(-n);
    if (!libuv.startsWith("Unknown")) return libuv;
  } catch {
    /* not a libuv errno */
  }
  return errnoNames.get(n) ?? `E${n}`;
}

/** What the kernel said about a failed request, beyond the errno. */
export interface NetlinkErrorDetails {
  /** The extended-ack message (NLMSGERR_ATTR_MSG): "Nexthop device is not up". */
  message?: string;
  /** The byte offset, in the request, of the attribute it objected to (NLMSGERR_ATTR_OFFS). */
  offset?: number;
  /** NLMSGERR_ATTR_COOKIE, when the kernel sent one. */
  cookie?: Buffer;
}

/**
 * A request the kernel refused: NLMSG_ERROR with a negative errno (or an
 * error in a dump's NLMSG_DONE). `op` names the request ("RTM_NEWROUTE"),
 * `errno` is negative as in Node, `code` its name ("EEXIST"), `sequence` the
 * request's sequence number, and `kernelMessage`/`offset` the extended ack.
 * The message reads `RTM_NEWROUTE ENETUNREACH: Nexthop has invalid gateway`
 * (op, code, then the extended-ack message and offset when the kernel sent them).
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export class NetlinkError extends Error {
  /** Always "NetlinkError". */
  override name = "NetlinkError";
  /** The request that failed: "RTM_NEWROUTE", "SOCK_DIAG_BY_FAMILY" ... */
  readonly op: string;
  /** The errno the kernel answered, negative as in Node. */
  readonly errno: number;
  /** The errno name: "EEXIST", "ENETUNREACH" ... */
  readonly code: string;
  /** The sequence number of the failed request. */
  readonly sequence: number;
  /** The kernel's extended-ack message (NLMSGERR_ATTR_MSG), when it gave one. */
  declare kernelMessage?: string;
  /** The offset of the offending attribute in the request (NLMSGERR_ATTR_OFFS), when given. */
  declare offset?: number;
  /** The extended-ack cookie (NLMSGERR_ATTR_COOKIE), when given. */
  declare cookie?: Buffer;
  constructor(op: string, errno: number, sequence: number, details: NetlinkErrorDetails = {}) {
    const neg = errno > 0 ? -errno : errno;
    const code = errnoName(neg);
    super(
      `${op} ${code}${details.message ? `: ${details.message}` : ""}${details.offset !== undefined ? ` (at byte ${details.offset})` : ""}`,
    );
    this.op = op;
    this.errno = neg;
    this.code = code;
    this.sequence = sequence;
    if (details.message !== undefined) this.kernelMessage = details.message;
    if (details.offset !== undefined) this.offset = details.offset;
    if (details.cookie !== undefined) this.cookie = details.cookie;
  }
}
