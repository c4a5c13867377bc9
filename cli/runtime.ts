/**
 * What every command runs inside: its Context (output, -v steps, cleanup,
 * Ctrl-C), and the wrapper that turns a handler's result or error into an
 * exit code. A command file only writes `handler(ctx, opts, command)`.
 */
import { setMaxListeners } from "node:events";
import type { Command } from "commander";
import { EXIT, reportError } from "./errors.js";
import { Output } from "./output.js";

/** The options every command inherits from the program. */
export interface GlobalOptions {
  /** Print data as JSON. */
  json?: boolean;
  /** -v = 1 (each step), -vv = 2 (also each send and receive). */
  verbose?: number;
}

/** What a command's handler gets besides its own options. */
export class Context {
  readonly out: Output;
  readonly json: boolean;
  readonly verbose: number;
  /** Aborted on SIGINT/SIGTERM: pass it to every waiting call. */
  readonly signal: AbortSignal;
  readonly #abort: AbortController;
  readonly #cleanups: (() => void)[] = [];
  readonly #start = process.hrtime.bigint();

  constructor(options: GlobalOptions & { out?: Output } = {}) {
    this.json = options.json === true;
    this.verbose = options.verbose ?? 0;
    this.out = options.out ?? new Output({ json: this.json });
    this.#abort = new AbortController();
    this.signal = this.#abort.signal;
    // A forking relay holds one Ctrl-C listener per live connection (each must
    // close its own ends), so a busy server passes Node's default of 10: not a leak.
    setMaxListeners(0, this.signal);
  }

  /** Prints a step (socket, bind, connect, accept ...) to stderr with -v: `* bind fd 5 127.0.0.1:0`. */
  step(text: string): void {
    if (this.verbose >= 1) this.out.stderrLine(`* ${text}`);
  }

  /** Prints a detail (each send and receive) to stderr with -vv. */
  detail(text: string): void {
    if (this.verbose >= 2) this.out.stderrLine(`*   ${text}`);
  }

  /** Milliseconds since the command started. */
  elapsedMs(): number {
    return Number(process.hrtime.bigint() - this.#start) / 1e6;
  }

  /**
   * Registers a synchronous cleanup (remove a socket file, a temp dir) that runs
   * when the command ends, fails, or is interrupted — also on process.exit.
   * Returns a function that runs it early and unregisters it.
   */
  onCleanup(fn: () => void): () => void {
    let done = false;
    const once = (): void => {
      if (done) return;
      done = true;
      const i = this.#cleanups.indexOf(once);
      if (i !== -1) this.#cleanups.splice(i, 1);
      try {
        fn();
      } catch {
        /* best effort: a cleanup must not hide the command's own result */
      }
    };
    this.#cleanups.push(once);
    return once;
  }

  /** Runs every pending cleanup, newest first. */
  runCleanups(): void {
    for (const fn of [...this.#cleanups].reverse()) fn();
  }

  /** Aborts `signal` (used by the signal handlers). */
  interrupt(reason: unknown): void {
    this.#abort.abort(reason);
  }
}

/** A command's body: returns its exit code (default 0) or throws. */
export type Handler<O> = (ctx: Context, opts: O, command: Command) => Promise<number | void> | number | void;

/**
 * Wraps a handler for commander's `.action()`: builds the Context from the
 * global options, handles SIGINT/SIGTERM (first: abort and clean up; second:
 * exit at once), reports a thrown error as one line, runs cleanups, and sets
 * process.exitCode (the process then ends when the event loop drains, so
 * stdout is flushed).
 */
export function runs<O extends object>(handler: Handler<O & GlobalOptions>): (...params: unknown[]) => Promise<void> {
  return async (...params: unknown[]): Promise<void> => {
    const command = params[params.length - 1] as Command;
    const opts = command.optsWithGlobals<O & GlobalOptions>();
    const ctx = new Context(opts);
    let signalled = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signalled++;
      const code = signal === "SIGTERM" ? EXIT.TERMINATED : EXIT.INTERRUPTED;
      process.exitCode = code;
      ctx.runCleanups();
      if (signalled > 1) process.exit(code);
      ctx.interrupt(Object.assign(new Error(`interrupted by ${signal}`), { name: "AbortError", code: "ABORT_ERR" }));
    };
    const onExit = (): void => ctx.runCleanups();
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.on("exit", onExit);
    let code: number;
    try {
      code = (await handler(ctx, opts, command)) ?? EXIT.OK;
      if (ctx.signal.aborted) code = process.exitCode === EXIT.TERMINATED ? EXIT.TERMINATED : EXIT.INTERRUPTED;
    } catch (err) {
      if (ctx.signal.aborted) {
        code = process.exitCode === EXIT.TERMINATED ? EXIT.TERMINATED : EXIT.INTERRUPTED;
      } else {
        code = reportError(err, ctx.out.stderr);
      }
    } finally {
      ctx.runCleanups();
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      process.off("exit", onExit);
    }
    process.exitCode = code;
  };
}
