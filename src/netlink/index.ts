/**
 * Netlink: the pure codec (align, attributes, messages), connections, and the
 * families built on them — rtnetlink, sock_diag, uevents, generic netlink.
 */
export { NLA_ALIGNTO, NLA_HDRLEN, NLMSG_ALIGNTO, NLMSG_HDRLEN, nlaAlign, nlmsgAlign, nlmsgLength } from "./align.js";
export { AttributeDecoder, AttributeEncoder, parseAttributes, type Attribute, type Endian } from "./attributes.js";
export { NetlinkError, NetlinkMessageError, type NetlinkErrorDetails } from "./errors.js";
export {
  ackError,
  encodeMessage,
  parseAck,
  parseDone,
  parseMessages,
  type NetlinkAck,
  type NetlinkMessage,
  type NetlinkMessageInput,
} from "./message.js";
export { NetlinkConnection, type NetlinkOpenOptions, type NetlinkTransport, type RequestOptions } from "./conn.js";
export { scopeName, type RouteFamily, type RouteOptions } from "./route-common.js";
export {
  addLink,
  decodeLink,
  deleteLink,
  getLink,
  linkFlagNames,
  listLinks,
  setLink,
  type Link,
  type LinkChange,
  type LinkSpec,
} from "./route-link.js";
export {
  addAddress,
  decodeAddress,
  deleteAddress,
  listAddresses,
  type AddressSpec,
  type InterfaceAddress,
} from "./route-address.js";
export { addRoute, decodeRoute, deleteRoute, listRoutes, type Route, type RouteSpec } from "./route.js";
export {
  addNeighbour,
  decodeNeighbour,
  deleteNeighbour,
  listNeighbours,
  type Neighbour,
  type NeighbourSpec,
} from "./route-neighbour.js";
export {
  decodeRouteEvent,
  monitorRoute,
  type MonitorRouteOptions,
  type RouteEvent,
  type RouteGroup,
} from "./route-monitor.js";
export {
  SOCKET_KINDS,
  decodeInetSocket,
  decodeNetlinkSocket,
  decodePacketSocket,
  decodeUnixSocket,
  listSockets,
  netlinkProtocolName,
  socketOwners,
  stateName,
  type ListSocketsOptions,
  type SocketInfo,
  type SocketKind,
  type SocketOwner,
} from "./diag.js";
export { monitorUevents, parseUevent, type MonitorUeventsOptions, type Uevent } from "./uevent.js";
export { decodeGenlFamily, genlHeader, getGenlFamily, type GenlFamily } from "./genl.js";
