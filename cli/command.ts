/**
 * The shape of one sockit command. Each lives in cli/commands/<name>.ts and
 * exports a CommandSpec; cli/commands/index.ts lists them.
 *
 * @example
 * export const ping: CommandSpec = {
 *   name: "ping",
 *   summary: "send ICMP echo requests",
 *   examples: [["sockit ping ::1", "ping the IPv6 loopback"]],
 *   define: (cmd) =>
 *     cmd.argument("<host>").option("-c, --count <n>", "stop after n replies", intOption(1))
 *        .action(runs<{ count?: number }>(async (ctx, opts, command) => { ... })),
 * };
 */
import { InvalidArgumentError, type Command } from "commander";

export interface CommandSpec {
  /** The command's name: `sockit <name>`. */
  name: string;
  /** One line for the command list in `sockit --help`. */
  summary: string;
  /** A longer description for `sockit <name> --help` (default: the summary). */
  description?: string;
  /** [command line, what it does] pairs shown by `sockit <name> --help`; the first also in `sockit --help`. */
  examples: readonly (readonly [string, string])[];
  /** Adds arguments, options and the action (wrapped with `runs`) to `cmd`, already named and described. */
  define(cmd: Command): void;
}

/** Formats examples for a help section. */
export function examplesHelp(examples: readonly (readonly [string, string])[]): string {
  return `Examples:\n${examples.map(([line, what]) => `  # ${what}\n  $ ${line}`).join("\n\n")}`;
}

/** A commander argument parser for a non-negative integer option (usage error otherwise). */
export function intOption(min = 0, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number");
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected ${min} to ${max}`);
    return n;
  };
}
