// TypeDoc configuration: `npm run docs` writes the API reference of the
// package root (src/index.ts) into docs/api/ (ignored by git; CI builds it).
// Any warning fails the build: an undocumented export or property, a type
// used by the API but not exported, a {@link} that does not resolve.
import { GROUP_ORDER } from "./docs/typedoc/groups.mjs";

/** @type {Partial<import("typedoc").TypeDocOptions>} */
const config = {
  name: "sockit",
  entryPoints: ["src/index.ts"],
  tsconfig: "tsconfig.build.json",
  out: "docs/api",
  readme: "docs/api-index.md",
  // On the index pages, each export with the first paragraph of its comment.
  useFirstParagraphOfCommentAsSummary: true,
  // Puts each export in the group of its README section, by source file.
  plugin: ["./docs/typedoc/groups.mjs"],
  groupOrder: [
    ...GROUP_ORDER,
    // Then, on class and interface pages, members in reading order.
    "Constructors",
    "Properties",
    "Accessors",
    "Methods",
    "*",
  ],
  navigation: { includeGroups: true, includeCategories: false, includeFolders: false },
  excludePrivate: true,
  excludeInternal: true,
  treatWarningsAsErrors: true,
  validation: { notExported: true, invalidLink: true, notDocumented: true, rewrittenLink: true },
  // Types the public API mentions but that are the option table's and the
  // constant and error tables' own machinery (key sets, codec shapes): users
  // name them through OptionInput/OptionValue, ConstantGroup and ErrorCode.
  intentionallyNotExported: [
    "prefixes",
    "codes",
    "SpecOf",
    "OptionSpec",
    "OptionTables",
    "Access",
    "Codec",
    "OptionTable",
  ],
  // Members of inline object types — union arms whose discriminant says it
  // all ({ kind: "ip" }), small records whose parent property is documented
  // ({ uid, gid }) — and the entries of the option tables, whose description
  // is the string each entry carries (shown by `optionSpec(level, name)`).
  intentionallyNotDocumented: [
    "CodedError.__type.code",
    "FdLike.__type.fd",
    "FilterPrimitive.__type.address",
    "FilterPrimitive.__type.direction",
    "FilterPrimitive.__type.family",
    "FilterPrimitive.__type.kind",
    "FilterPrimitive.__type.port",
    "FilterPrimitive.__type.protocol",
    "GenlFamily.groups.__type.id",
    "GenlFamily.groups.__type.name",
    "GenlFamily.ops.__type.flags",
    "GenlFamily.ops.__type.id",
    "IPPROTO_ICMPV6_OPTIONS.__type.ICMP6_FILTER",
    "IPPROTO_ICMPV6_OPTIONS.__type.ICMP6_FILTER.__type.pass",
    "Icmp6Filter.__type.block",
    "Icmp6Filter.__type.pass",
    "NetlinkAck.request.__type.flags",
    "NetlinkAck.request.__type.length",
    "NetlinkAck.request.__type.pid",
    "NetlinkAck.request.__type.seq",
    "NetlinkAck.request.__type.type",
    "ParsedControl.malformed.__type.offset",
    "ParsedControl.malformed.__type.reason",
    "PcapFile.records.__type.data",
    "PcapFile.records.__type.originalLength",
    "PcapFile.records.__type.timestamp",
    "PcapSink.__type.write",
    "RouteEvent.__type.action",
    "RouteEvent.__type.address",
    "RouteEvent.__type.kind",
    "RouteEvent.__type.link",
    "RouteEvent.__type.neighbour",
    "RouteEvent.__type.route",
    "SOL_NETLINK_OPTIONS.__type.NETLINK_ADD_MEMBERSHIP",
    "SOL_NETLINK_OPTIONS.__type.NETLINK_BROADCAST_ERROR",
    "SOL_NETLINK_OPTIONS.__type.NETLINK_CAP_ACK",
    "SOL_NETLINK_OPTIONS.__type.NETLINK_DROP_MEMBERSHIP",
    "SOL_NETLINK_OPTIONS.__type.NETLINK_EXT_ACK",
    "SOL_NETLINK_OPTIONS.__type.NETLINK_GET_STRICT_CHK",
    "SOL_NETLINK_OPTIONS.__type.NETLINK_LISTEN_ALL_NSID",
    "SOL_NETLINK_OPTIONS.__type.NETLINK_LIST_MEMBERSHIPS",
    "SOL_NETLINK_OPTIONS.__type.NETLINK_NO_ENOBUFS",
    "SOL_NETLINK_OPTIONS.__type.NETLINK_PKTINFO",
    "SOL_PACKET_OPTIONS.__type.PACKET_ADD_MEMBERSHIP",
    "SOL_PACKET_OPTIONS.__type.PACKET_AUXDATA",
    "SOL_PACKET_OPTIONS.__type.PACKET_DROP_MEMBERSHIP",
    "SOL_PACKET_OPTIONS.__type.PACKET_FANOUT",
    "SOL_PACKET_OPTIONS.__type.PACKET_IGNORE_OUTGOING",
    "SOL_PACKET_OPTIONS.__type.PACKET_LOSS",
    "SOL_PACKET_OPTIONS.__type.PACKET_ORIGDEV",
    "SOL_PACKET_OPTIONS.__type.PACKET_QDISC_BYPASS",
    "SOL_PACKET_OPTIONS.__type.PACKET_RESERVE",
    "SOL_PACKET_OPTIONS.__type.PACKET_STATISTICS",
    "SOL_PACKET_OPTIONS.__type.PACKET_TIMESTAMP",
    "SOL_PACKET_OPTIONS.__type.PACKET_VERSION",
    "SOL_PACKET_OPTIONS.__type.PACKET_VNET_HDR",
    "STRUCTS.__type.size",
    "ServerOptions.owner.__type.gid",
    "ServerOptions.owner.__type.uid",
    "acceptAllowed.__type.credentials",
    "acceptAllowed.__type.socket",
    "parseDone.__type.errno",
  ],
};

export default config;
