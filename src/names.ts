/**
 * Names for families, types and protocols, both ways: the public API takes
 * `"inet6"`, `"seqpacket"`, `"tcp"` or the kernel's numbers, and reports names
 * where it knows them (numbers otherwise, never rejected).
 */
import { AF, IPPROTO, NETLINK, SOCK } from "./constants.js";
import { codedError } from "./errors.js";
import { describe } from "./raw/index.js";

/** Address family names accepted by `new Socket()`. */
export type FamilyName = "inet" | "inet6" | "unix" | "netlink" | "packet";
/** Socket type names accepted by `new Socket()`. */
export type TypeName = "stream" | "dgram" | "seqpacket" | "raw" | "rdm";
/** Protocol names: IPPROTO_* for inet/inet6 ("tcp", "udp", "icmp", "icmpv6", "raw", ...), NETLINK_* for netlink ("route", "sock_diag", "kobject_uevent", "generic", ...). */
export type ProtocolName = string;

const families: Record<FamilyName, number> = {
  inet: AF.INET,
  inet6: AF.INET6,
  unix: AF.UNIX,
  netlink: AF.NETLINK,
  packet: AF.PACKET,
};
const types: Record<TypeName, number> = {
  stream: SOCK.STREAM,
  dgram: SOCK.DGRAM,
  seqpacket: SOCK.SEQPACKET,
  raw: SOCK.RAW,
  rdm: SOCK.RDM,
};

function lowerGroup(group: Readonly<Record<string, number | undefined>>): Map<string, number> {
  const m = new Map<string, number>();
  for (const [k, v] of Object.entries(group)) if (v !== undefined) m.set(k.toLowerCase(), v);
  return m;
}
const ipProtocols = lowerGroup(IPPROTO);
const netlinkProtocols = lowerGroup(NETLINK);

function invert<T extends string>(m: Record<T, number>): Map<number, T> {
  return new Map(Object.entries(m).map(([k, v]) => [v as number, k as T]));
}
const familyNames = invert(families);
const typeNames = invert(types);

/** A name from `table` or a non-negative C int; anything else is ERR_INVALID_ARG_VALUE naming the choices. */
function nameOrNumber<T extends string>(
  table: Record<T, number>,
  value: unknown,
  what: string,
  prefix: string,
): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return checkCInt(value, what);
  if (typeof value === "string" && Object.hasOwn(table, value)) return table[value as T];
  throw codedError(
    "ERR_INVALID_ARG_VALUE",
    `${what} must be one of ${Object.keys(table).join(", ")} or a ${prefix}_* number, got ${describe(value)}`,
  );
}

/** Resolves a family name or number to the AF_* number. */
export function familyNumber(family: unknown): number {
  return nameOrNumber(families, family, "family", "AF");
}

/** Resolves a type name or number to the SOCK_* number. */
export function typeNumber(type: unknown): number {
  return nameOrNumber(types, type, "type", "SOCK");
}

/** Resolves a protocol name or number for a family to its number (0 = default). */
export function protocolNumber(family: number, protocol: unknown): number {
  if (protocol === undefined || protocol === null) return 0;
  if (typeof protocol === "number" && Number.isInteger(protocol) && protocol >= 0 && protocol <= 0x7fffffff)
    return protocol;
  if (typeof protocol === "number" && Number.isInteger(protocol))
    throw codedError("ERR_OUT_OF_RANGE", `protocol must be in 0..2147483647, got ${protocol}`);
  if (typeof protocol === "string") {
    const table = family === AF.NETLINK ? netlinkProtocols : ipProtocols;
    const v = table.get(protocol.toLowerCase());
    if (v !== undefined) return v;
    throw codedError(
      "ERR_INVALID_ARG_VALUE",
      `unknown protocol ${JSON.stringify(protocol)} for this family; known: ${[...table.keys()].join(", ")}`,
    );
  }
  throw codedError("ERR_INVALID_ARG_TYPE", `protocol must be a name or a number, got ${describe(protocol)}`);
}

/** The name of an AF_* number, or the number. */
export function familyLabel(family: number): FamilyName | number {
  return familyNames.get(family) ?? family;
}

/** The name of a SOCK_* number, or the number. */
export function typeLabel(type: number): TypeName | number {
  return typeNames.get(type) ?? type;
}

/** The name of a protocol number within a family, or the number (0 stays 0). */
export function protocolLabel(family: number, protocol: number): string | number {
  if (protocol === 0) return 0;
  const table =
    family === AF.NETLINK ? netlinkProtocols : family === AF.INET || family === AF.INET6 ? ipProtocols : undefined;
  if (table) for (const [k, v] of table) if (v === protocol) return k;
  return protocol;
}

/** A number that goes to a C int: refused past INT_MAX (RangeError), never wrapped (AF 2 + 2**32 is not AF_INET). */
function checkCInt(n: number, what: string): number {
  if (n > 0x7fffffff) throw codedError("ERR_OUT_OF_RANGE", `${what} must be in 0..2147483647, got ${n}`);
  return n;
}
