/**
 * rtnetlink (NETLINK_ROUTE), shared by its files: the call options, family and
 * prefix parsing, scope names, and the struct layouts from the headers. The
 * requests and decoders for each object live beside it: route-link.ts,
 * route-address.ts, route.ts (routes), route-neighbour.ts, route-monitor.ts.
 *
 * Every call takes `{ connection?, netns?, signal?, timeout? }`: an open
 * connection to reuse, or a network namespace to open one in (closed again
 * after the call).
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../address.js";
import { AF, RT_SCOPE, STRUCTS } from "../constants.js";
import { codedError } from "../errors.js";
import type { NetnsLike } from "../netns.js";
import { describe } from "../raw/index.js";
import { NetlinkConnection, withConnection } from "./conn.js";
import { NetlinkMessageError } from "./errors.js";
import type { NetlinkMessage } from "./message.js";

export const IFI = STRUCTS.ifinfomsg!;
export const IFAM = STRUCTS.ifaddrmsg!;
export const RTMS = STRUCTS.rtmsg!;
export const NDM = STRUCTS.ndmsg!;
export const CACHE = STRUCTS.ifa_cacheinfo!;

/** Options every rtnetlink call accepts. */
export interface RouteOptions {
  /** An open NETLINK_ROUTE connection to use (not closed by the call). */
  connection?: NetlinkConnection;
  /** Otherwise: open the connection inside this network namespace. */
  netns?: NetnsLike;
  /** Aborts the request: the wait ends with an AbortError. */
  signal?: AbortSignal;
  /** Milliseconds for the whole exchange. */
  timeout?: number;
}

/** An address family in rtnetlink results: "inet", "inet6", or the AF_* number. */
export type RouteFamily = "inet" | "inet6" | number;

// ---------------------------------------------------------------------------
// Small codecs.

export function need(m: NetlinkMessage, size: number, what: string): void {
  if (m.data.length < size) throw new NetlinkMessageError(`${what} truncated: ${m.data.length} bytes, need ${size}`);
}

export function familyOut(af: number): RouteFamily {
  return af === AF.INET ? "inet" : af === AF.INET6 ? "inet6" : af;
}

export function familyIn(f: unknown, what: string, allowAny: boolean): number {
  if (f === undefined) return AF.UNSPEC;
  if (f === "inet" || f === 4) return AF.INET;
  if (f === "inet6" || f === 6) return AF.INET6;
  if (allowAny && f === "all") return AF.UNSPEC;
  throw codedError("ERR_INVALID_ARG_VALUE", `${what} must be "inet" or "inet6", got ${describe(f)}`);
}

/** An IP address from attribute bytes (4 or 16 bytes), else hex. */
export function ipText(b: Buffer): string {
  if (b.length === 4) return formatIPv4(b);
  if (b.length === 16) return formatIPv6(b);
  return hwText(b);
}

/** A hardware address as "aa:bb:cc:dd:ee:ff". */
export function hwText(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

export function parseHw(text: unknown, what: string): Buffer {
  if (typeof text !== "string" || !/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2})*$/.test(text)) {
    throw codedError(
      "ERR_INVALID_ADDRESS",
      `${what} must be a hardware address like "02:00:00:00:00:01", got ${describe(text)}`,
    );
  }
  return Buffer.from(text.split(":").map((x) => parseInt(x, 16)));
}

/** Parses "10.0.0.1", "10.0.0.0/24", "fe80::1/64" → family, bytes, prefix length. */
export function parsePrefix(
  text: unknown,
  what: string,
  defaultFull: boolean,
): { af: number; bytes: Buffer; len: number } {
  if (typeof text !== "string")
    throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be a string, got ${describe(text)}`);
  const slash = text.indexOf("/");
  const host = slash === -1 ? text : text.slice(0, slash);
  let bytes = parseIPv4(host);
  let af = AF.INET;
  let max = 32;
  if (!bytes) {
    bytes = parseIPv6(host);
    af = AF.INET6;
    max = 128;
  }
  if (!bytes)
    throw codedError(
      "ERR_INVALID_ADDRESS",
      `${what} must be an IPv4 or IPv6 address (with an optional /prefix), got ${JSON.stringify(text)}`,
    );
  let len = defaultFull ? max : 0;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) {
      throw codedError("ERR_INVALID_ADDRESS", `${what}: prefix length must be 0..${max}, got ${JSON.stringify(p)}`);
    }
    len = Number(p);
  }
  return { af, bytes: Buffer.from(bytes), len };
}

export function checkOptions(options: unknown): RouteOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object") {
    throw codedError("ERR_INVALID_ARG_TYPE", `options must be an object, got ${describe(options)}`);
  }
  return options as RouteOptions;
}

export function waitOpts(o: RouteOptions): { signal?: AbortSignal; timeout?: number } {
  const w: { signal?: AbortSignal; timeout?: number } = {};
  if (o.signal !== undefined) w.signal = o.signal;
  if (o.timeout !== undefined) w.timeout = o.timeout;
  return w;
}

/** A name from a constant group, lower case, without its prefix ("RT_SCOPE_LINK" → "link"). */
export function lowerName(group: Readonly<Record<string, number | undefined>>, value: number): string | undefined {
  for (const [k, v] of Object.entries(group)) if (v === value) return k.toLowerCase();
  return undefined;
}

/**
 * The scope as `ip` names it (rt_scopes: 0 is "global").
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/rtnetlink.7.html
 */
export function scopeName(scope: number): string {
  if (scope === RT_SCOPE.UNIVERSE) return "global";
  return lowerName(RT_SCOPE, scope) ?? String(scope);
}

export function scopeNumber(scope: unknown, what: string): number {
  if (typeof scope === "number" && Number.isInteger(scope) && scope >= 0 && scope <= 255) return scope;
  if (scope === "global") return RT_SCOPE.UNIVERSE;
  if (typeof scope === "string") {
    const v = RT_SCOPE[scope.toUpperCase()];
    if (v !== undefined) return v;
  }
  throw codedError(
    "ERR_INVALID_ARG_VALUE",
    `${what} must be global, site, link, host, nowhere or 0..255, got ${describe(scope)}`,
  );
}

export function fromGroup(
  group: Readonly<Record<string, number | undefined>>,
  v: unknown,
  what: string,
  max: number,
): number {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max) return v;
  if (typeof v === "string") {
    const n = group[v.toUpperCase()];
    if (n !== undefined) return n;
  }
  throw codedError(
    "ERR_INVALID_ARG_VALUE",
    `${what} must be one of ${Object.keys(group)
      .map((k) => k.toLowerCase())
      .join(", ")} or 0..${max}, got ${describe(v)}`,
  );
}

/**
 * Dumps one kind of rtnetlink object (`get`, an RTM_GET* request with
 * `header`) and decodes the `made` (RTM_NEW*) messages of the reply, on the
 * connection `o` names or a new one. `op` names the request in errors.
 */
export function dumpObjects<T>(
  o: RouteOptions,
  get: number,
  header: Buffer,
  made: number,
  op: string,
  decode: (m: NetlinkMessage) => T,
): Promise<T[]> {
  return withConnection("route", o, async (conn) => {
    const msgs = await conn.dump(get, header, { op, ...waitOpts(o) });
    return msgs.filter((m) => m.type === made).map(decode);
  });
}
