/**
 * Netlink socket options (level SOL_NETLINK), sorted by C name.
 *
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
import { NETLINK_SOCKOPT, SOL } from "../constants.js";
import { readU32 } from "../endian.js";
import { bool, uint, type Codec } from "./codecs.js";
import { man, ro, rw, wo, type LevelSpec } from "./table.js";

const see = man("netlink", 7);

/**
 * NETLINK_LIST_MEMBERSHIPS: the kernel fills an array of u32 bitmasks, bit i
 * of word j standing for group j * 32 + i + 1; decoded to the sorted list of
 * group numbers joined.
 */
const groupList: Codec<number[], never> = {
  kind: "group list",
  size: 128,
  decode(buf, length) {
    const groups: number[] = [];
    for (let word = 0; word + 4 <= Math.min(length, buf.length); word += 4) {
      const mask = readU32(buf, word);
      for (let bit = 0; bit < 32; bit++) if (mask & (1 << bit)) groups.push((word / 4) * 32 + bit + 1);
    }
    return groups;
  },
  encode() {
    throw new Error("unreachable: NETLINK_LIST_MEMBERSHIPS is read-only");
  },
};

/** SOL_NETLINK options: C name → codec, access, doc. */
export const SOL_NETLINK_OPTIONS = {
  NETLINK_ADD_MEMBERSHIP: wo(uint, "Joins a multicast group by number (RTNLGRP_* for NETLINK_ROUTE).", see),
  NETLINK_BROADCAST_ERROR: rw(bool, "Reports a failed broadcast delivery to this socket (ENOBUFS) to the sender.", see),
  NETLINK_CAP_ACK: rw(bool, "Leaves the request's payload out of error acks (the header alone is echoed).", see),
  NETLINK_DROP_MEMBERSHIP: wo(uint, "Leaves a multicast group by number.", see),
  NETLINK_EXT_ACK: rw(bool, "Asks for extended acks: an error message and the offending attribute's offset.", see),
  NETLINK_GET_STRICT_CHK: rw(bool, "Makes the kernel check dump requests strictly (header fields, filters).", see),
  NETLINK_LISTEN_ALL_NSID: rw(
    bool,
    "Receives notifications from every peer namespace with an nsid (CAP_NET_BROADCAST).",
    see,
  ),
  NETLINK_LIST_MEMBERSHIPS: ro(
    groupList,
    "The multicast groups the socket has joined, as a list of group numbers.",
    see,
  ),
  NETLINK_NO_ENOBUFS: rw(bool, "Stops reporting ENOBUFS when the receive queue overflows (messages are dropped).", see),
  NETLINK_PKTINFO: rw(bool, "Adds an NETLINK_PKTINFO control message with the destination group to each message.", see),
} as const;

/** The SOL_NETLINK level. */
export const solNetlink: LevelSpec<typeof SOL_NETLINK_OPTIONS> = {
  name: "SOL_NETLINK",
  aliases: [],
  level: SOL.NETLINK,
  prefix: "NETLINK_",
  numbers: NETLINK_SOCKOPT,
  see,
  options: SOL_NETLINK_OPTIONS,
};
