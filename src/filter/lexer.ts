/**
 * The words of a capture filter, as libpcap's scanner (scanner.l) cuts them:
 * keywords, numbers (decimal, 0x hex, 0 octal), IPv4 addresses (possibly
 * abbreviated: `10`, `10.1`), IPv6 and MAC addresses, names (which may hold
 * `-`, `_` and `.`, so `tcp-syn` and `20-30` are one word), `\`-escaped
 * names (`\tcp`) and operators. Every token carries its place in the text so
 * an error can point at it.
 *
 * @see https://man7.org/linux/man-pages/man7/pcap-filter.7.html
 */
import { parseIPv6 } from "../address.js";
import { FilterSyntaxError } from "./error.js";

/** What a token is. */
export type TokenKind = "word" | "num" | "ipv4" | "ipv6" | "mac" | "op" | "end";

/** One token and where it is in the expression (start offset, end offset exclusive). */
export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
  /** A `\`-escaped word: never a keyword (`ip proto \tcp`). */
  escaped?: boolean;
  /** The value of a num token. */
  value?: number;
}

const OPS2 = ["&&", "||", ">=", "<=", "!=", "==", "<<", ">>"];
const OPS1 = "()[]:!<>=+-*/%&|^";
/** A name in scanner.l: `[A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?`. */
const NAME = /^[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/;
const HEXRUN = /^[0-9A-Fa-f:.]+/;
const MAC = /^[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2}){5}$/;

/**
 * Parses a number as libpcap's stoulen does: decimal, `0x` hex or a leading
 * `0` for octal. Returns undefined for anything else or a value over 32 bits.
 */
export function parseFilterNumber(text: string): number | undefined {
  let v: number;
  if (/^0x[0-9a-f]+$/i.test(text)) v = parseInt(text.slice(2), 16);
  else if (/^0[0-7]*$/.test(text)) v = parseInt(text, 8);
  else if (/^[1-9][0-9]*$/.test(text)) v = Number(text);
  else return undefined;
  return v <= 0xffffffff ? v : undefined;
}

/**
 * Cuts a filter expression into tokens, ending with an `end` token.
 * @throws FilterSyntaxError (ERR_INVALID_ARG_VALUE) at a character no token starts with.
 */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (OPS2.includes(two)) {
      out.push({ kind: "op", text: two, start: i, end: i + 2 });
      i += 2;
      continue;
    }
    if (c === "\\") {
      const m = /^[^\s!()[\]]+/.exec(text.slice(i + 1));
      if (!m) throw new FilterSyntaxError("a backslash must be followed by a name", text, i, i + 1);
      out.push({ kind: "word", text: m[0], start: i, end: i + 1 + m[0].length, escaped: true });
      i += 1 + m[0].length;
      continue;
    }
    // An IPv6 or MAC address is a run of hex digits, colons and dots holding a colon.
    const run = HEXRUN.exec(text.slice(i))?.[0];
    if (run !== undefined && run.includes(":")) {
      // Take the longest prefix that is an address (`ip6[2:2]` is not one).
      let taken: Token | undefined;
      for (let n = run.length; n > 0 && !taken; n--) {
        const s = run.slice(0, n);
        if (!s.includes(":")) break;
        if (MAC.test(s)) taken = { kind: "mac", text: s, start: i, end: i + n };
        else if (/[:]{2}|(:.*){7}/.test(s) && parseIPv6(s)) taken = { kind: "ipv6", text: s, start: i, end: i + n };
      }
      if (taken && !NAME_CHAR.test(text[taken.end] ?? " ")) {
        out.push(taken);
        i = taken.end;
        continue;
      }
    }
    const name = NAME.exec(text.slice(i))?.[0];
    if (name !== undefined) {
      const tok: Token = { kind: "word", text: name, start: i, end: i + name.length };
      const num = parseFilterNumber(name);
      if (num !== undefined) {
        tok.kind = "num";
        tok.value = num;
      } else if (/^[0-9]+(\.[0-9]+){1,3}$/.test(name)) tok.kind = "ipv4";
      else if (/^(0x[0-9a-f]*|[0-9]+)$/i.test(name)) {
        throw new FilterSyntaxError(`number ${name} does not fit 32 bits`, text, i, i + name.length);
      }
      out.push(tok);
      i += name.length;
      continue;
    }
    if (OPS1.includes(c)) {
      out.push({ kind: "op", text: c, start: i, end: i + 1 });
      i++;
      continue;
    }
    throw new FilterSyntaxError(`unexpected character ${JSON.stringify(c)}`, text, i, i + 1);
  }
  out.push({ kind: "end", text: "", start: text.length, end: text.length });
  return out;
}

const NAME_CHAR = /[-_A-Za-z0-9]/;
