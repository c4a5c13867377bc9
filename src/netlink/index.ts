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
export {
  addAddress,
  addLink,
  addNeighbour,
  addRoute,
  decodeAddress,
  decodeLink,
  decodeNeighbour,
  decodeRoute,
  decodeRouteEvent,
  deleteAddress,
  deleteLink,
  deleteNeighbour,
  deleteRoute,
  formatRouteEventLine,
  getLink,
  linkFlagNames,
  listAddresses,
  listLinks,
  listNeighbours,
  listRoutes,
  monitorRoute,
  scopeName,
  setLink,
  type AddressSpec,
  type InterfaceAddress,
  type Link,
  type LinkChange,
  type LinkSpec,
  type MonitorRouteOptions,
  type Neighbour,
  type NeighbourSpec,
  type Route,
  type RouteEvent,
  type RouteFamily,
  type RouteGroup,
  type RouteOptions,
  type RouteSpec,
} from "./route.js";
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
