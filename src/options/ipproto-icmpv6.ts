/**
 * ICMPv6 options (level IPPROTO_ICMPV6, also spelled SOL_ICMPV6): ICMP6_FILTER,
 * which chooses the ICMPv6 types a raw IPPROTO_ICMPV6 socket receives
 * (RFC 3542 §3.2). The layout is struct icmp6_filter from the headers.
 *
 * @see https://man7.org/linux/man-pages/man7/ipv6.7.html
 * @see https://www.rfc-editor.org/rfc/rfc3542#section-3.2
 */
import { ICMP6, IPPROTO, STRUCTS } from "../constants.js";
import { readU32, writeU32 } from "../endian.js";
import { codedError } from "../errors.js";
import type { Codec } from "./codecs.js";
import { man, rw, type LevelSpec } from "./table.js";

const see = man("ipv6", 7);
const F6 = STRUCTS.icmp6_filter!;

/**
 * An ICMPv6 type filter: which of the 256 types pass. Read back as
 * `{ pass: [...] }`; write `{ pass: [...] }` (block every other type) or
 * `{ block: [...] }` (pass every other type).
 */
export type Icmp6Filter = { pass: readonly number[] } | { block: readonly number[] };

function types(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be an array of ICMPv6 types`);
  return v.map((t, i) => {
    if (typeof t !== "number" || !Number.isInteger(t) || t < 0 || t > 255) {
      throw codedError("ERR_OUT_OF_RANGE", `${what}[${i}] must be an ICMPv6 type 0..255, got ${String(t)}`);
    }
    return t;
  });
}

/**
 * struct icmp6_filter ↔ `{ pass }` / `{ block }`. As glibc's
 * ICMP6_FILTER_SETBLOCK, a set bit blocks the type.
 */
export const icmp6Filter: Codec<{ pass: number[] }, Icmp6Filter> = {
  kind: "icmp6_filter",
  size: F6.size,
  decode(b, length) {
    const pass: number[] = [];
    for (let t = 0; t < 256; t++) {
      const word = Math.floor(t / 32) * 4;
      if (word + 4 > length) {
        pass.push(t);
        continue;
      }
      const w = readU32(b, word);
      if ((w & (1 << (t % 32))) === 0) pass.push(t);
    }
    return { pass };
  },
  encode(v, what = "value") {
    if (typeof v !== "object" || v === null || "pass" in v === "block" in v) {
      throw codedError("ERR_INVALID_ARG_TYPE", `${what} must be { pass: types } or { block: types }`);
    }
    const passing = "pass" in v;
    const list = types(passing ? v.pass : v.block, `${what}.${passing ? "pass" : "block"}`);
    const bits = new Uint32Array(F6.size / 4).fill(passing ? 0xffffffff : 0);
    for (const t of list) {
      const i = Math.floor(t / 32);
      if (passing) bits[i]! &= ~(1 << (t % 32));
      else bits[i]! |= 1 << (t % 32);
    }
    const b = Buffer.alloc(F6.size);
    bits.forEach((w, i) => writeU32(b, i * 4, w));
    return b;
  },
};

/** IPPROTO_ICMPV6 options: C name → codec, access, doc. */
export const IPPROTO_ICMPV6_OPTIONS = {
  ICMP6_FILTER: rw(
    icmp6Filter,
    "The ICMPv6 types a raw ICMPv6 socket receives: { pass: [types] } or { block: [types] }.",
    see,
  ),
} as const;

/** The IPPROTO_ICMPV6 level. */
export const ipprotoIcmpv6: LevelSpec<typeof IPPROTO_ICMPV6_OPTIONS> = {
  name: "IPPROTO_ICMPV6",
  aliases: ["SOL_ICMPV6"],
  level: IPPROTO.ICMPV6,
  prefix: "ICMP6_",
  numbers: ICMP6,
  // The ICMP6_ group is mostly message types and codes; only FILTER is an option.
  notOptions: /^(?!FILTER$)/,
  see,
  options: IPPROTO_ICMPV6_OPTIONS,
};
