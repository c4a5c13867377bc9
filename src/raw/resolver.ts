/**
 * The raw layer's resolver calls (native/resolver.c): each runs on libuv's
 * thread pool and settles here, once, into its result, a ResolveError (an
 * EAI_* code with libc's gai_strerror(3) text) or, for EAI_SYSTEM, the
 * SocketError of its errno. The results are the addon's plain shapes; src/resolver.ts
 * validates the arguments and shapes what users see.
 */
import { SocketError } from "../errors.js";
import { native, type Bytes } from "./native.js";

/** The AI_*, NI_* and EAI_* numbers of this libc (<netdb.h>), read by the addon at build time. */
export const RESOLVER_CONSTANTS: {
  readonly AI: Record<string, number>;
  readonly NI: Record<string, number>;
  readonly EAI: Record<string, number>;
} = native.resolverConstants;

const EAI_SYSTEM = RESOLVER_CONSTANTS.EAI.EAI_SYSTEM;
const eaiNames = new Map(Object.entries(RESOLVER_CONSTANTS.EAI).map(([k, v]) => [v, k]));

/**
 * A failed name lookup: `code` is the EAI_* name ("EAI_NONAME"), `errno` the
 * EAI number libc returned, `syscall` the call ("getaddrinfo"), `hostname` /
 * `service` what was asked, and the message libc's gai_strerror(3) text:
 * `getaddrinfo EAI_NONAME nosuch.test: Name or service not known`.
 */
export class ResolveError extends Error {
  /** Always "ResolveError". */
  override name = "ResolveError";
  /** The EAI_* name: "EAI_NONAME", "EAI_AGAIN" ... */
  readonly code: string;
  /** The EAI_* number, negative as glibc defines it. */
  readonly errno: number;
  /** The call that failed: "getaddrinfo", "getnameinfo" ... */
  readonly syscall: string;
  /** The host name that was looked up, when there is one. */
  declare hostname?: string;
  /** The service that was looked up, when there is one. */
  declare service?: string;

  constructor(eai: number, syscall: string, hostname?: string | null, service?: string | null) {
    const code = eaiNames.get(eai) ?? `EAI_${eai}`;
    const what = [hostname, service].filter((x) => x !== undefined && x !== null && x !== "").join(" ");
    super(`${syscall} ${code}${what ? ` ${what}` : ""}: ${native.gaiStrerror(eai)}`);
    this.code = code;
    this.errno = eai;
    this.syscall = syscall;
    if (hostname !== undefined && hostname !== null) this.hostname = hostname;
    if (service !== undefined && service !== null) this.service = service;
  }
}

/** Turns the addon's [eai, errno, result] triple into the result or the error (the one place either is made). */
function settle<T>(
  triple: [number, number, unknown],
  syscall: string,
  host?: string | null,
  service?: string | null,
): T {
  const [eai, errno, result] = triple;
  // EAI_SYSTEM names its cause in errno; without one (it happens) it stays a ResolveError.
  if (errno !== 0 && (eai === EAI_SYSTEM || eai === 0)) {
    throw new SocketError(errno, syscall, host ? { address: host } : {});
  }
  if (eai !== 0) throw new ResolveError(eai, syscall, host, service);
  return result as T;
}

/** Wraps `getaddrinfo(3)` (off the event loop): the addon's addrinfo records. */
export function getaddrinfo<T>(
  host: string | null,
  service: string | null,
  flags: number,
  family: number,
  socktype: number,
  protocol: number,
): Promise<T> {
  return native
    .getaddrinfo(host, service, flags, family, socktype, protocol)
    .then((t) => settle<T>(t, "getaddrinfo", host, service));
}

/** Wraps `getnameinfo(3)` (off the event loop): [host, service]. `shown` names the address in errors. */
export function getnameinfo(sockaddr: Bytes, flags: number, shown?: string): Promise<[string, string]> {
  return native.getnameinfo(sockaddr, flags).then((t) => settle<[string, string]>(t, "getnameinfo", shown));
}

/** Wraps `gethostbyname2_r(3)` (off the event loop); errors say "gethostbyname". */
export function gethostbyname2<T>(name: string, family: number): Promise<T> {
  return native.gethostbyname2(name, family).then((t) => settle<T>(t, "gethostbyname", name));
}

/** Wraps `gethostbyaddr_r(3)` (off the event loop). `shown` names the address in errors. */
export function gethostbyaddr<T>(addr: Bytes, family: number, shown: string): Promise<T> {
  return native.gethostbyaddr(addr, family).then((t) => settle<T>(t, "gethostbyaddr", shown));
}

/** Wraps `getservbyname_r(3)` (off the event loop): the entry, or null when there is none. */
export function getservbyname<T>(name: string, proto: string | null): Promise<T | null> {
  return native.getservbyname(name, proto).then((t) => settle<T | null>(t, "getservbyname", name, proto));
}

/** Wraps `getservbyport_r(3)` (off the event loop; `port` in host order): the entry, or null. */
export function getservbyport<T>(port: number, proto: string | null): Promise<T | null> {
  return native.getservbyport(port, proto).then((t) => settle<T | null>(t, "getservbyport", String(port), proto));
}

/** Wraps `getprotobyname_r(3)` (off the event loop): the entry, or null. */
export function getprotobyname<T>(name: string): Promise<T | null> {
  return native.getprotobyname(name).then((t) => settle<T | null>(t, "getprotobyname", name));
}

/** Wraps `getprotobynumber_r(3)` (off the event loop): the entry, or null. */
export function getprotobynumber<T>(proto: number): Promise<T | null> {
  return native.getprotobynumber(proto).then((t) => settle<T | null>(t, "getprotobynumber", String(proto)));
}

/** Wraps `gethostname(2)` (off the event loop). */
export function gethostname(): Promise<string> {
  return native.gethostname().then((t) => settle<string>(t, "gethostname"));
}
