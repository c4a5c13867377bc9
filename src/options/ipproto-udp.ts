/**
 * UDP options (level IPPROTO_UDP, also spelled SOL_UDP), sorted by C name.
 * An option the headers of this system do not define is left out when the
 * table is resolved (src/options/index.ts).
 *
 * @see https://man7.org/linux/man-pages/man7/udp.7.html
 */
import { IPPROTO, UDP } from "../constants.js";
import { bool, int } from "./codecs.js";
import { man, rw, type LevelSpec } from "./table.js";

const see = man("udp", 7);

/** IPPROTO_UDP options: C name → codec, access, doc. */
export const IPPROTO_UDP_OPTIONS = {
  UDP_CORK: rw(bool, "Collects all data sent while set into one datagram, sent when cleared.", see),
  UDP_GRO: rw(bool, "Accepts coalesced (GRO) datagrams, with their segment size in a UDP_GRO control message.", see),
  UDP_SEGMENT: rw(int, "Splits each send into datagrams of this size (GSO); 0 disables.", see),
} as const;

/** The IPPROTO_UDP level. */
export const ipprotoUdp: LevelSpec<typeof IPPROTO_UDP_OPTIONS> = {
  name: "IPPROTO_UDP",
  aliases: ["SOL_UDP"],
  level: IPPROTO.UDP,
  prefix: "UDP_",
  numbers: UDP,
  see,
  options: IPPROTO_UDP_OPTIONS,
};
