/**
 * The shape of an option table: one entry per option, keyed by its C name,
 * giving the codec that turns its bytes into a TypeScript value and back, who
 * may touch it (read/write, read-only, write-only), a one-line doc, and the man
 * page that documents it. The numbers come from the headers (src/constants.ts);
 * an option the headers of this system lack is left out of the resolved table,
 * never given an invented number.
 */
import type { Codec } from "./codecs.js";

/** Who may touch an option: getsockopt and setsockopt, getsockopt only, setsockopt only. */
export type Access = "rw" | "r" | "w";

/** One option: its codec, access, a one-line description and its man page URL. */
export interface OptionSpec<G = unknown, S = G, A extends Access = Access> {
  readonly codec: Codec<G, S>;
  readonly access: A;
  /** What the option does, in one line. */
  readonly doc: string;
  /** The man page that documents it (man7.org URL). */
  readonly see: string;
}

/** An option table: C option name → spec, sorted by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table holds codecs of every value type
export type OptionTable = { readonly [name: string]: OptionSpec<any, any> };

/** What a level file exports: its names, number, constant group and options. */
export interface LevelSpec<T extends OptionTable = OptionTable> {
  /** The canonical level name used in errors ("SOL_SOCKET", "IPPROTO_TCP"). */
  readonly name: string;
  /** Other names accepted for the level ("SOL_TCP"). */
  readonly aliases: readonly string[];
  /** The level number from the headers. */
  readonly level: number;
  /** The C prefix of this level's option names ("SO_", "TCP_"). */
  readonly prefix: string;
  /** The headers' option numbers by C name without the prefix (SO, TCP, IP ...). */
  readonly numbers: Readonly<Record<string, number | undefined>>;
  /** C names in `numbers` that are not options (IP_PMTUDISC_* are values). */
  readonly notOptions?: RegExp;
  /** The level's man page. */
  readonly see: string;
  readonly options: T;
}

/**
 * Returns the man7.org URL of a man page ("socket", 7), after socket2's
 * `man_links!`. Does not correspond to a syscall.
 */
export function man(page: string, section: number): string {
  return `https://man7.org/linux/man-pages/man${section}/${page}.${section}.html`;
}

/** Builds a read/write option entry. */
export function rw<G, S>(codec: Codec<G, S>, doc: string, see: string): OptionSpec<G, S, "rw"> {
  return { codec, access: "rw", doc, see };
}

/** Builds a read-only option entry (setsockopt is refused before the syscall). */
export function ro<G, S>(codec: Codec<G, S>, doc: string, see: string): OptionSpec<G, S, "r"> {
  return { codec, access: "r", doc, see };
}

/** Builds a write-only option entry (getsockopt is refused before the syscall). */
export function wo<G, S>(codec: Codec<G, S>, doc: string, see: string): OptionSpec<G, S, "w"> {
  return { codec, access: "w", doc, see };
}
