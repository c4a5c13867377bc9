/**
 * The raw layer's name calls: interface names and indexes (if_nametoindex(3)
 * and its kin) and address text (inet_pton(3), inet_ntop(3), inet_aton(3)).
 * Like the rest of src/raw/ these are one call each; a failure is a
 * SocketError made here, once.
 */
import { SocketError } from "../errors.js";
import { native, type Bytes } from "./native.js";

/**
 * Wraps `if_nametoindex(3)`: the interface's index, or -errno (ENODEV: no such
 * interface) for the caller to report in its own terms.
 */
export function ifNameToIndex(name: string): number {
  return native.ifNameToIndex(name);
}

/** Wraps `if_nametoindex(3)`: the interface's index; a SocketError (ENODEV …) naming it otherwise. */
export function ifIndexOf(name: string, syscall = "if_nametoindex"): number {
  const r = native.ifNameToIndex(name);
  if (r < 0) throw new SocketError(r, syscall, { address: name });
  return r;
}

/** Wraps `if_indextoname(3)`: the interface's name; a SocketError (ENXIO …) otherwise. */
export function ifIndexToName(index: number): string {
  const r = native.ifIndexToName(index);
  if (typeof r === "string") return r;
  throw new SocketError(r, "if_indextoname", { address: String(index) });
}

/** Wraps `inet_pton(3)`: true when `text` parsed into `out`, false when it is not an address of `family`. */
export function inetPton(family: number, text: string, out: Bytes): boolean {
  const r = native.inetPton(family, text, out);
  if (r < 0) throw new SocketError(r, "inet_pton");
  return r === 1;
}

/** Wraps `inet_ntop(3)`: the text form of the address in `bytes`. */
export function inetNtop(family: number, bytes: Bytes): string {
  const r = native.inetNtop(family, bytes);
  if (typeof r === "string") return r;
  throw new SocketError(r, "inet_ntop");
}

/** Wraps `inet_aton(3)`: true when `text` parsed into the 4 bytes of `out`. */
export function inetAton(text: string, out: Bytes): boolean {
  return native.inetAton(text, out) === 1;
}

/** Wraps `if_nameindex(3)`: every interface's index and name. */
export function ifNameindex(): { index: number; name: string }[] {
  const r = native.ifNameindex();
  if (typeof r === "number") throw new SocketError(r, "if_nameindex");
  return r;
}
