/**
 * How commands print data: a table (cli-table3) when stdout is a terminal,
 * plain aligned columns when it is piped (one row per line, header first,
 * cells without spaces where possible, so `awk '{print $4}'` works), and JSON
 * with --json. Human notes and -v steps go to stderr so stdout stays data.
 */
import Table from "cli-table3";

/** One column of a table: its header and how to print a row's cell. */
export interface Column<R> {
  header: string;
  /** The cell's text (no color, no newlines). */
  value: (row: R) => string;
  align?: "left" | "right";
  /** A color for the cell on a terminal (ignored when piped or with NO_COLOR). */
  color?: (row: R) => Color | undefined;
}

export type Color = "red" | "green" | "yellow" | "dim" | "bold";

const SGR: Record<Color, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  dim: [2, 22],
  bold: [1, 22],
};

/** Wraps `text` in the ANSI codes for `color`. */
export function paint(text: string, color: Color | undefined): string {
  if (color === undefined || text === "") return text;
  const [on, off] = SGR[color];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

/** Where output goes and in which form. */
export interface OutputOptions {
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  /** Print data as JSON (--json). */
  json?: boolean;
  /** Force table (true) or plain (false) form; default: whether stdout is a terminal. */
  tty?: boolean;
  /** Force colors on or off; default: the terminal's own answer (NO_COLOR, FORCE_COLOR, TERM=dumb). */
  color?: boolean;
}

/** The output side of a command. */
export class Output {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly json: boolean;
  /** True when stdout is a terminal: tables, colors, live lines. */
  readonly tty: boolean;
  readonly color: boolean;
  /** True when stderr is a terminal (for live status lines). */
  readonly stderrTty: boolean;

  constructor(options: OutputOptions = {}) {
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    this.json = options.json ?? false;
    this.tty = options.tty ?? this.stdout.isTTY === true;
    this.color = options.color ?? (this.tty && typeof this.stdout.hasColors === "function" && this.stdout.hasColors());
    this.stderrTty = this.stderr.isTTY === true;
  }

  /** The last byte payload() wrote, until endPayload(). */
  #lastByte: number | undefined;

  /** Writes received bytes to stdout exactly as they came. */
  payload(data: Uint8Array): void {
    if (data.length === 0) return;
    this.stdout.write(data);
    this.#lastByte = data[data.length - 1];
  }

  /**
   * Ends one payload (a message, a reply, a connection's bytes): on a
   * terminal, writes a newline when the bytes did not end with one, so the
   * next message or the shell prompt starts on its own line. Piped or
   * redirected output stays byte for byte what arrived.
   */
  endPayload(): void {
    if (this.tty && this.#lastByte !== undefined && this.#lastByte !== 0x0a) this.stdout.write("\n");
    this.#lastByte = undefined;
  }

  /** Prints one line of data to stdout. */
  line(text = ""): void {
    this.stdout.write(`${text}\n`);
  }

  /** Prints `value` as JSON (two-space indented) to stdout. */
  printJson(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
  }

  /** Prints rows as a table on a terminal, as plain aligned text when piped. */
  table<R>(columns: readonly Column<R>[], rows: readonly R[]): void {
    this.stdout.write(this.tty ? renderBoxTable(columns, rows, this.color) : renderPlainTable(columns, rows));
  }

  /** Prints a human note to stderr (not data: summaries, warnings). */
  note(text: string, color?: Color): void {
    const colored =
      this.stderr.isTTY === true && typeof this.stderr.hasColors === "function" && this.stderr.hasColors();
    this.stderrLine(colored ? paint(text, color) : text);
  }

  /**
   * Writes one line to stderr. On a terminal it first clears the line the
   * cursor is on, where a live status line (the relay's) may be drawn, so the
   * two never run together; the live line is redrawn below on its next tick.
   */
  stderrLine(text: string): void {
    this.stderr.write(this.stderrTty ? `\r\u001b[K${text}\n` : `${text}\n`);
  }
}

/** Buffers as hex, bigints as strings: JSON never throws on our own values. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (
    value &&
    typeof value === "object" &&
    (value as { type?: unknown }).type === "Buffer" &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    return Buffer.from((value as { data: number[] }).data).toString("hex");
  }
  return value;
}

/** A box-drawn table for terminals. */
export function renderBoxTable<R>(columns: readonly Column<R>[], rows: readonly R[], color: boolean): string {
  const table = new Table({
    head: columns.map((c) => (color ? paint(c.header, "bold") : c.header)),
    colAligns: columns.map((c) => c.align ?? "left"),
    // compact: a rule under the header only, not between rows. Colors are
    // ours (paint), so cli-table3 must not add its own.
    style: { head: [], border: [], compact: true, "padding-left": 1, "padding-right": 1 },
  });
  for (const row of rows) {
    table.push(columns.map((c) => (color ? paint(c.value(row), c.color?.(row)) : c.value(row))));
  }
  return `${table.toString()}\n`;
}

/** Plain text: a header line and one line per row, columns padded and separated by two spaces. */
export function renderPlainTable<R>(columns: readonly Column<R>[], rows: readonly R[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => c.value(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => displayWidth(line[i] ?? ""))));
  const last = columns.length - 1;
  return cells
    .map((line) =>
      line
        .map((cell, i) => {
          const pad = " ".repeat(widths[i]! - displayWidth(cell));
          if (columns[i]!.align === "right") return pad + cell;
          return i === last ? cell : cell + pad;
        })
        .join("  ")
        .trimEnd(),
    )
    .join("\n")
    .concat("\n");
}

/** The width of text in terminal cells (enough for our cells: no wide or combining characters). */
function displayWidth(text: string): number {
  return [...text].length;
}

/** A duration in microseconds as "37 µs", "1.24 ms" or "2.10 s". */
export function formatDuration(us: number): string {
  if (!Number.isFinite(us)) return "-";
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

/** A byte count as "812", "64.0 KiB", "1.50 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return String(n);
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(2)} MiB`;
  return `${(n / (1024 * 1024 * 1024)).toFixed(2)} GiB`;
}

/**
 * A rate with its unit: bytes per second as "812 B/s", "64.0 KiB/s",
 * "1.50 MiB/s"; messages per second (`unit` "msg") as "867 msg/s",
 * "12.3k msg/s". "-" when it cannot be computed.
 */
export function formatRate(perSecond: number, unit: "B" | "msg" = "B"): string {
  if (!Number.isFinite(perSecond) || perSecond < 0) return "-";
  if (unit === "msg") {
    if (perSecond < 10_000) return `${Math.round(perSecond)} msg/s`;
    if (perSecond < 10_000_000) return `${(perSecond / 1000).toFixed(1)}k msg/s`;
    return `${(perSecond / 1_000_000).toFixed(1)}M msg/s`;
  }
  const n = Math.round(perSecond);
  return n < 1024 ? `${n} B/s` : `${formatBytes(n)}/s`;
}
