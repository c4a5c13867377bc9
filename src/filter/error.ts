/**
 * The error a filter expression that cannot be compiled raises: a TypeError
 * with code ERR_INVALID_ARG_VALUE that knows the expression and the span of
 * the word at fault, so a command line can point at it with a caret.
 *
 * @see https://man7.org/linux/man-pages/man7/pcap-filter.7.html
 */

/**
 * A filter expression sockit cannot compile. `start`/`end` are the offsets
 * of the offending word in `expression` (end exclusive); {@link caret} draws
 * the pointer. The message is one line: `filter: <what> at "<word>"`.
 */
export class FilterSyntaxError extends TypeError {
  /** Always "TypeError", as Node names its argument errors. */
  override name = "TypeError";
  /** Always ERR_INVALID_ARG_VALUE, as every other bad argument. */
  readonly code = "ERR_INVALID_ARG_VALUE";
  constructor(
    /** What is wrong, without the position. */
    readonly reason: string,
    /** The whole expression. */
    readonly expression: string,
    /** Offset of the offending word. */
    readonly start: number,
    /** Offset just past it. */
    readonly end: number,
  ) {
    const word = expression.slice(start, end);
    super(
      `filter: ${reason}${word ? ` at ${JSON.stringify(word)}` : start >= expression.length ? " at the end" : ""} (column ${start + 1})`,
    );
  }

  /** The expression and, under it, carets under the offending word — as a compiler shows it. */
  caret(indent = "  "): string {
    const width = Math.max(1, this.end - this.start);
    return `${indent}${this.expression}\n${indent}${" ".repeat(this.start)}${"^".repeat(width)}`;
  }
}
