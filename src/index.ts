/**
 * sockit: the complete Berkeley sockets API for TypeScript on Node.js.
 *
 * @example
 * import { Socket } from "sockit";
 * const s = new Socket("inet6", "stream");
 * s.bind("[::1]:0"); s.listen();
 * const conn = await s.accept();
 *
 * @module
 */
export { Socket, socketpair } from "./socket.js";
export type {
  Datagram,
  RecvIntoOptions,
  RecvOptions,
  SendOptions,
  ShutdownHow,
  SocketOptions,
  WaitOptions,
} from "./socket.js";
export type { SendfileOptions, SendfileSource } from "./sendfile.js";
export { DatagramSocket, createDatagramSocket, dgram } from "./datagram.js";
export type {
  DatagramSocketOptions,
  DatagramType,
  Destination,
  SendData,
  InetRemoteInfo,
  LocalInfo,
  OtherRemoteInfo,
  RemoteInfo,
  SendCallback,
  UnixRemoteInfo,
  UnixLocalInfo,
  InetLocalInfo,
  InetDestination,
  OtherRemoteSize,
  DgramNamespace,
  WrapOptions,
} from "./datagram.js";
export {
  decodeSockaddr,
  encodeSockaddr,
  formatAddress,
  formatIPv4,
  formatIPv6,
  parseAddress,
  parseIPv4,
  parseIPv6,
} from "./address.js";
export type {
  AddressLike,
  FamilyHint,
  Inet6Address,
  InetAddress,
  NetlinkAddress,
  PacketAddress,
  SocketAddress,
  Sockaddr,
  UnixAddress,
  UnknownAddress,
} from "./address.js";
export { AbortError, SocketError } from "./errors.js";
export type { CodedError, ErrorCode, ErrorContext } from "./errors.js";
export {
  AF,
  FCNTL,
  IOCTL,
  IP,
  IPPROTO,
  IPV6,
  LIMITS,
  MSG,
  NETLINK,
  POLL,
  SCM,
  SHUT,
  SO,
  SOCK,
  SOL,
  STRUCTS,
  TCP,
  TCP_STATE,
  UDP,
  constantName,
} from "./constants.js";
export type { ConstantGroup } from "./constants.js";
export type { FamilyName, ProtocolName, TypeName } from "./names.js";
export * as posix from "./posix.js";
export { resolveOption, optionSpec, optionTable } from "./options/index.js";
export type {
  GetOptionOptions,
  IpMreqn,
  Ipv6Mreq,
  Linger,
  OptionInput,
  OptionLevel,
  OptionName,
  OptionValue,
  ResolvedOption,
  TcpInfo,
  Timeval,
  Ucred,
} from "./options/index.js";
export {
  CMSG_ALIGN,
  CMSG_LEN,
  CMSG_SPACE,
  ControlMessageError,
  SOF,
  controlSpace,
  decodeControl,
  decodeCredentials,
  decodeExtendedError,
  decodeInt,
  decodePidfd,
  decodePktinfo,
  decodeRights,
  decodeSecurity,
  decodeTimespec,
  decodeTimeval,
  decodeViews,
  encodeControl,
  encodeCredentials,
  encodeInt,
  encodePktinfo,
  encodeRights,
  parseControl,
} from "./control.js";
export type {
  ControlMessage,
  ControlMessageInput,
  ControlViews,
  Credentials,
  ErrorOrigin,
  ExtendedError,
  PacketInfo,
  PacketInfoInput,
  ParsedControl,
  Timestamp,
} from "./control.js";
export { acceptAllowed, peerAllowed, peerCredentials, peerGroups, type PeerPolicy } from "./credentials.js";
export { recvFds, sendFds } from "./fdpass.js";
export type {
  BatchDatagram,
  BatchMessage,
  FdLike,
  ReceivedMessage,
  RecvBatchOptions,
  RecvmsgOptions,
  SendmsgOptions,
} from "./messages.js";
export {
  AI,
  EAI,
  NI,
  ResolveError,
  getaddrinfo,
  gethostbyaddr,
  gethostbyname,
  gethostbyname_ex,
  gethostname,
  getnameinfo,
  getprotobyname,
  getprotobynumber,
  getservbyname,
  getservbyport,
  htonl,
  htons,
  if_indextoname,
  if_nameindex,
  if_nametoindex,
  inet_aton,
  inet_ntoa,
  inet_ntop,
  inet_pton,
  ntohl,
  ntohs,
} from "./resolver.js";
export type {
  AddrInfo,
  AddrInfoHints,
  HostEntry,
  InterfaceEntry,
  NameInfo,
  ProtocolEntry,
  ServiceEntry,
} from "./resolver.js";
export { createConnection } from "./connect.js";
export type { ConnectionOptions, SocketOptionEntry } from "./connect.js";
export { Server, createServer } from "./server.js";
export { isStaleSocket } from "./stale.js";
export type { ServerOptions } from "./server.js";
export { EVENT_READ, EVENT_WRITE, Selector } from "./selector.js";
export type { FileObject, SelectOptions, SelectorKey } from "./selector.js";
export { LISTEN_FDS_START, listenFds, notify } from "./activation.js";
export type { ActivationOptions, ListenFd, NotifyOptions, NotifyState } from "./activation.js";
export {
  GENL,
  IFA,
  IFA_F,
  IFF,
  IFLA,
  IF_LINK_MODE,
  IF_OPER,
  ICMPV6_ROUTER_PREF,
  INET_DIAG,
  NDA,
  NETLINK_DIAG,
  NETLINK_SOCKOPT,
  NLA,
  NLMSG,
  NLMSGERR_ATTR,
  NLM_F,
  NTF,
  NUD,
  PACKET_DIAG,
  RTA,
  RTM,
  RTN,
  RTNH_F,
  RTNLGRP,
  RTPROT,
  RT_SCOPE,
  RT_TABLE,
  SK_MEMINFO,
  SOCK_DIAG,
  UDIAG_SHOW,
  UEVENT_GROUP,
  UNIX_DIAG,
  VETH_INFO,
} from "./constants.js";
export * from "./netlink/index.js";
export { NETNS_RUN_DIR, createSocket, netnsPath, runInNetns } from "./netns.js";
export type { CreateSocketOptions, NetnsLike } from "./netns.js";
export { SOL_NETLINK_OPTIONS } from "./options/index.js";
export { ARPHRD, BPF, ETH_P, ICMP, ICMP6, PACKET, TPACKET } from "./constants.js";
export * from "./packets/index.js";
export {
  ACCEPT_ALL,
  assemble,
  attachFilter,
  bpfInstruction,
  detachFilter,
  encodeProgram,
  formatProgram,
  runFilter,
  toProgram,
} from "./bpf.js";
export type { BpfInstruction, BpfProgramLike, FilterInput } from "./bpf.js";
export { compileFilter, parseFilterExpression } from "./filter/compile.js";
export type { CompileFilterOptions, FilterPrimitive } from "./filter/compile.js";
export { FilterSyntaxError } from "./filter/error.js";
export type { Arith, FilterNode, Primitive as FilterPrimitiveNode } from "./filter/ast.js";
export { icmpTarget, resolveIcmpTarget } from "./icmp-target.js";
export { icmpMessage, ping } from "./ping.js";
export { traceroute } from "./traceroute.js";
export type { IcmpTarget } from "./icmp-target.js";
export type { IcmpMode } from "./icmp-echo.js";
export type { PingOptions, PingProblem, PingReply, PingResult } from "./ping.js";
export type { TracerouteHop, TracerouteOptions, TracerouteProbe, TracerouteResult } from "./traceroute.js";
export {
  PacketCapture,
  addMembership,
  capture,
  dropMembership,
  openCapture,
  openPacketSocket,
  packetStatistics,
} from "./packet.js";
export type { CaptureOptions, CaptureStatistics, CapturedPacket, PacketSocketOptions } from "./packet.js";
export { FrameBatch, PacketRing, decodeRingBlock } from "./packet-ring.js";
export type { PacketRingOptions } from "./packet-ring.js";
export {
  LINKTYPE,
  PcapWriter,
  encodePcapHeader,
  encodePcapRecord,
  encodeSllHeader,
  linkTypeFor,
  parsePcap,
} from "./pcap.js";
export type { PcapFile, PcapHeaderOptions, PcapSink, PcapTimestamp } from "./pcap.js";
export { PCAPNG_DIRECTION, PCAPNG_RECEPTION, PcapngWriter, epbFlags, parsePcapng } from "./pcapng.js";
export type { PcapngFile, PcapngOptions } from "./pcapng.js";
export { IPPROTO_ICMPV6_OPTIONS, SOL_PACKET_OPTIONS, decodePacketAuxdata } from "./options/index.js";
export type { Icmp6Filter, PacketAuxdata, PacketMembership, PacketStatistics } from "./options/index.js";
