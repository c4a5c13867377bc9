/**
 * Generic netlink (NETLINK_GENERIC): look a family up by name with the
 * controller's CTRL_CMD_GETFAMILY, to learn its id (the nlmsg_type of its
 * requests), version, operations and multicast groups.
 */
import { GENL, STRUCTS } from "../constants.js";
import { codedError } from "../errors.js";
import type { NetnsLike } from "../netns.js";
import { describe } from "../raw/index.js";
import { AttributeDecoder, AttributeEncoder } from "./attributes.js";
import { type NetlinkConnection, withConnection } from "./conn.js";
import { NetlinkMessageError } from "./errors.js";
import type { NetlinkMessage } from "./message.js";

const G = STRUCTS.genlmsghdr!;

/** A generic netlink family, as the controller describes it. */
export interface GenlFamily {
  /** The family id: the nlmsg_type of its messages. */
  id: number;
  /** The family name: "nlctrl", "nl80211" ... */
  name: string;
  /** The family's version (CTRL_ATTR_VERSION). */
  version: number;
  /** Size of the family's own header after genlmsghdr. */
  hdrsize: number;
  /** The highest attribute type the family accepts (CTRL_ATTR_MAXATTR). */
  maxattr: number;
  /** The commands it accepts, with their GENL_* flags. */
  ops: { id: number; flags: number }[];
  /** Its multicast groups: join `id` with NETLINK_ADD_MEMBERSHIP. */
  groups: { name: string; id: number }[];
}

/**
 * Builds a generic netlink payload: struct genlmsghdr { cmd, version } then attributes.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export function genlHeader(cmd: number, version: number): Buffer {
  const b = Buffer.alloc(G.size);
  b[G.cmd!] = cmd;
  b[G.version!] = version;
  return b;
}

/**
 * Decodes a CTRL_CMD_NEWFAMILY reply. Does not correspond to a syscall.
 * @throws NetlinkMessageError for a malformed message.
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 */
export function decodeGenlFamily(m: NetlinkMessage): GenlFamily {
  if (m.data.length < G.size) throw new NetlinkMessageError(`genlmsghdr truncated: ${m.data.length} bytes`);
  const f: GenlFamily = { id: 0, name: "", version: 0, hdrsize: 0, maxattr: 0, ops: [], groups: [] };
  const ad = new AttributeDecoder(m.data.subarray(G.size));
  while (ad.next()) {
    switch (ad.type) {
      case GENL.CTRL_ATTR_FAMILY_ID:
        f.id = ad.uint16();
        break;
      case GENL.CTRL_ATTR_FAMILY_NAME:
        f.name = ad.string();
        break;
      case GENL.CTRL_ATTR_VERSION:
        f.version = ad.uint32();
        break;
      case GENL.CTRL_ATTR_HDRSIZE:
        f.hdrsize = ad.uint32();
        break;
      case GENL.CTRL_ATTR_MAXATTR:
        f.maxattr = ad.uint32();
        break;
      case GENL.CTRL_ATTR_OPS:
        // An array: each element is a nested attribute (type = index) of OP_ID/OP_FLAGS.
        ad.nested((arr) => {
          while (arr.next()) {
            const op = { id: 0, flags: 0 };
            arr.nested((o) => {
              while (o.next()) {
                if (o.type === GENL.CTRL_ATTR_OP_ID) op.id = o.uint32();
                else if (o.type === GENL.CTRL_ATTR_OP_FLAGS) op.flags = o.uint32();
              }
            });
            f.ops.push(op);
          }
        });
        break;
      case GENL.CTRL_ATTR_MCAST_GROUPS:
        ad.nested((arr) => {
          while (arr.next()) {
            const g = { name: "", id: 0 };
            arr.nested((o) => {
              while (o.next()) {
                if (o.type === GENL.CTRL_ATTR_MCAST_GRP_NAME) g.name = o.string();
                else if (o.type === GENL.CTRL_ATTR_MCAST_GRP_ID) g.id = o.uint32();
              }
            });
            f.groups.push(g);
          }
        });
        break;
    }
  }
  ad.finish();
  return f;
}

/**
 * Looks up a generic netlink family by name ("nlctrl", "ethtool", "nl80211",
 * "devlink" ...). Wraps a CTRL_CMD_GETFAMILY request to the controller (GENL_ID_CTRL).
 * @see https://man7.org/linux/man-pages/man7/netlink.7.html
 * @throws NetlinkError ENOENT (no such family: its module is not loaded); TypeError ERR_INVALID_ARG_VALUE.
 */
export function getGenlFamily(
  name: string,
  options: { connection?: NetlinkConnection; netns?: NetnsLike; signal?: AbortSignal; timeout?: number } = {},
): Promise<GenlFamily> {
  if (typeof name !== "string" || name === "" || Buffer.byteLength(name) >= GENL.GENL_NAMSIZ || name.includes("\0")) {
    throw codedError(
      "ERR_INVALID_ARG_VALUE",
      `name must be a family name of 1..${GENL.GENL_NAMSIZ - 1} bytes, got ${describe(name)}`,
    );
  }
  if (options === null || typeof options !== "object") {
    throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${describe(options)}`);
  }
  const req = Buffer.concat([
    genlHeader(GENL.CTRL_CMD_GETFAMILY, 1),
    new AttributeEncoder().string(GENL.CTRL_ATTR_FAMILY_NAME, name).encode(),
  ]);
  const wait: { signal?: AbortSignal; timeout?: number } = {};
  if (options.signal !== undefined) wait.signal = options.signal;
  if (options.timeout !== undefined) wait.timeout = options.timeout;
  return withConnection(
    "generic",
    {
      ...(options.connection ? { connection: options.connection } : {}),
      ...(options.netns !== undefined ? { netns: options.netns } : {}),
    },
    async (conn) => {
      const msgs = await conn.request(GENL.GENL_ID_CTRL, req, { op: "CTRL_CMD_GETFAMILY", ...wait });
      const m = msgs.find((x) => x.type === GENL.GENL_ID_CTRL);
      if (!m) throw new NetlinkMessageError("CTRL_CMD_GETFAMILY: no family in the reply");
      return decodeGenlFamily(m);
    },
  );
}
