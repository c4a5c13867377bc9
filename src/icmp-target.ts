/**
 * Where ping and traceroute send: a numeric IPv4/IPv6 address, "localhost",
 * or a host name looked up with getaddrinfo(3), and the argument checks the
 * two share.
 */
import { parseIPv4, parseIPv6 } from "./address.js";
import { codedError } from "./errors.js";
import * as raw from "./raw/index.js";
import { getaddrinfo } from "./resolver.js";

// ---------------------------------------------------------------------------
// Targets and validation.

/** A resolved target: the numeric address and its family. */
export interface IcmpTarget {
  /** The address to send to, in text form. */
  address: string;
  /** The family of `address`. */
  family: "inet" | "inet6";
  /** The IPv6 zone (scope id), when the address had one ("fe80::1%eth0"). */
  scopeId?: number | string;
}

/** What a host name may look like (RFC 1123 letters, digits, hyphens, dots; underscores as resolvers allow). */
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})$/;

/**
 * Parses a numeric ping/traceroute target: an IPv4 or IPv6 address (with an
 * optional %zone), or "localhost" (127.0.0.1, or ::1 when `family` is
 * "inet6"); other names go through {@link resolveIcmpTarget}. Does not
 * correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/icmp.7.html
 * @throws TypeError ERR_INVALID_ADDRESS for anything else, or a family mismatch.
 */
export function icmpTarget(host: string, family?: "inet" | "inet6"): IcmpTarget {
  const t = numericTarget(host, family);
  if (!t) {
    throw codedError(
      "ERR_INVALID_ADDRESS",
      `${JSON.stringify(host)} is not a numeric IPv4/IPv6 address or "localhost"`,
    );
  }
  return t;
}

/**
 * Resolves a ping/traceroute target: a numeric address or "localhost" as
 * {@link icmpTarget} parses it, else a host name looked up with
 * getaddrinfo(3) (off the event loop; /etc/hosts, DNS, NSS) — the first
 * address of `family`, or of either family. Does not correspond to a single
 * syscall.
 *
 * @see https://man7.org/linux/man-pages/man3/getaddrinfo.3.html
 * @throws TypeError ERR_INVALID_ADDRESS (at once) for text that is neither an
 *   address nor a host name; ResolveError EAI_NONAME, EAI_AGAIN ... from the lookup.
 */
export async function resolveIcmpTarget(host: string, family?: "inet" | "inet6"): Promise<IcmpTarget> {
  const t = checkTarget(host, family);
  if (t) return t;
  const list = await getaddrinfo(host, null, { family: family ?? "unspec", socktype: "dgram" });
  for (const info of list) {
    const a = info.address;
    if (a.family === "inet") return { address: a.address, family: "inet" };
    if (a.family === "inet6")
      return { address: a.address, family: "inet6", ...(a.scopeId ? { scopeId: a.scopeId } : {}) };
  }
  throw codedError("ERR_INVALID_ADDRESS", `${host} has no ${family ?? "IP"} address`);
}

/** A numeric target, undefined for a well-formed host name, or ERR_INVALID_ADDRESS. */
export function checkTarget(host: string, family?: "inet" | "inet6"): IcmpTarget | undefined {
  const t = numericTarget(host, family);
  if (t || HOST_NAME.test(host)) return t;
  throw codedError("ERR_INVALID_ADDRESS", `${JSON.stringify(host)} is neither an IPv4/IPv6 address nor a host name`);
}

function numericTarget(host: string, family?: "inet" | "inet6"): IcmpTarget | undefined {
  if (typeof host !== "string") {
    throw codedError("ERR_INVALID_ARG_TYPE", `host must be a string, got ${raw.describe(host)}`);
  }
  if (family !== undefined && family !== "inet" && family !== "inet6") {
    throw codedError("ERR_INVALID_ARG_VALUE", `family must be "inet" or "inet6", got ${raw.describe(family)}`);
  }
  let t: IcmpTarget | undefined;
  if (host === "localhost")
    t = family === "inet6" ? { address: "::1", family: "inet6" } : { address: "127.0.0.1", family: "inet" };
  else if (parseIPv4(host)) t = { address: host, family: "inet" };
  else {
    const text = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
    const pct = text.indexOf("%");
    const addr = pct === -1 ? text : text.slice(0, pct);
    if (parseIPv6(addr)) {
      t = { address: addr, family: "inet6" };
      if (pct !== -1) {
        const zone = text.slice(pct + 1);
        t.scopeId = /^\d+$/.test(zone) ? Number(zone) : zone;
      }
    }
  }
  if (!t) return undefined;
  if (family !== undefined && t.family !== family) {
    throw codedError("ERR_INVALID_ADDRESS", `${host} is not an ${family === "inet" ? "IPv4" : "IPv6"} address`);
  }
  return t;
}

export function checkNumber(v: unknown, what: string, min: number, max: number, integer = true): number {
  if (typeof v !== "number" || Number.isNaN(v)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be a number, got ${raw.describe(v)}`);
  }
  if ((integer && Number.isFinite(v) && !Number.isInteger(v)) || v < min || v > max) {
    throw codedError("ERR_OUT_OF_RANGE", `${what} must be ${integer ? "an integer " : ""}in ${min}..${max}, got ${v}`);
  }
  return v;
}

export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw codedError("ERR_INVALID_ARG_TYPE", `signal must be an AbortSignal, got ${raw.describe(signal)}`);
  }
  return signal;
}
