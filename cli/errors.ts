/**
 * Exit codes and the one-line error report every command shares.
 *
 * A failure is reported as one line on stderr, `sockit: <what failed>`, never a
 * stack trace: `sockit: connect ECONNREFUSED 127.0.0.1:9`. A SocketError's
 * message already names the syscall, the errno code and the address, so it is
 * printed as is. Set SOCKIT_DEBUG=1 to get the stack as well.
 */
import { CommanderError } from "commander";
import { SocketError } from "../src/index.js";

/** Process exit codes, documented in `sockit --help`. */
export const EXIT = {
  /** Everything worked. */
  OK: 0,
  /** A runtime failure: a socket call failed, a check did not pass. */
  FAILURE: 1,
  /** A usage error: unknown command or option, bad argument or address. */
  USAGE: 2,
  /** Interrupted by SIGINT (Ctrl-C), as shells report it: 128 + 2. */
  INTERRUPTED: 130,
  /** Terminated by SIGTERM: 128 + 15. */
  TERMINATED: 143,
} as const;

/** The help text that documents EXIT. */
export const EXIT_HELP = `Exit codes:
  0    success
  1    runtime failure (a socket call failed, or a check did not pass)
  2    usage error (unknown command or option, bad argument or address)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM)`;

/** A bad command line: reported in one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * A runtime failure the command has already described in its message (no
 * syscall behind it, or several): reported in one line, exit code 1 (or `exitCode`).
 */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILURE,
  ) {
    super(message);
  }
}

/** Library codes that mean "the input was wrong", so the user gets exit code 2. */
const USAGE_CODES = new Set([
  "ERR_INVALID_ADDRESS",
  "ERR_INVALID_ARG_VALUE",
  "ERR_OUT_OF_RANGE",
  "ERR_UNKNOWN_CONSTANT",
]);

/** What to print (without the `sockit: ` prefix) and which exit code to use for `err`. */
export function describeError(err: unknown): { message: string; exitCode: number } {
  if (err instanceof UsageError) return { message: oneLine(err.message), exitCode: EXIT.USAGE };
  if (err instanceof CliError) return { message: oneLine(err.message), exitCode: err.exitCode };
  if (err instanceof SocketError) return { message: oneLine(err.message), exitCode: EXIT.FAILURE };
  if (err instanceof CommanderError)
    return { message: oneLine(stripCommanderPrefix(err.message)), exitCode: EXIT.USAGE };
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && USAGE_CODES.has(code))
      return { message: oneLine(err.message), exitCode: EXIT.USAGE };
    if (err.name === "AbortError") return { message: "interrupted", exitCode: EXIT.INTERRUPTED };
    // A system error from Node itself (fs, child_process) carries a code too, as
    // do the resolver's (EAI_NONAME) and netlink's errors.
    if (typeof code === "string" && /^E[A-Z0-9_]+$/.test(code))
      return { message: oneLine(err.message), exitCode: EXIT.FAILURE };
    return {
      message: `internal error: ${oneLine(`${err.name}: ${err.message}`)} (SOCKIT_DEBUG=1 shows the stack)`,
      exitCode: EXIT.FAILURE,
    };
  }
  return { message: `internal error: ${oneLine(String(err))}`, exitCode: EXIT.FAILURE };
}

/** Writes the one-line report for `err` to stderr and returns its exit code. */
export function reportError(err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  const { message, exitCode } = describeError(err);
  stderr.write(`sockit: ${message}\n`);
  if (process.env.SOCKIT_DEBUG && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
  return exitCode;
}

/** Commander writes "error: unknown option '--x'"; we write "sockit: unknown option '--x'". */
export function stripCommanderPrefix(message: string): string {
  return message.replace(/^error:\s*/i, "").trim();
}

/** Collapses a message to one line (errors never span lines). */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, "; ").trim();
}

/** The message of any thrown value, in one line (for table cells and summaries). */
export function errorText(err: unknown): string {
  if (err instanceof Error) return oneLine(err.message);
  return oneLine(String(err));
}
