/**
 * The commander program: global options (-v, --json, --version), help with
 * examples and exit codes, one-line usage errors (exit code 2), and every
 * command from cli/commands/.
 */
import { Command } from "commander";
import { type CommandSpec, examplesHelp } from "./command.js";
import { commands } from "./commands/index.js";
import { EXIT_HELP, oneLine, stripCommanderPrefix } from "./errors.js";
import { packageVersion } from "./version.js";

const DESCRIPTION = `The Berkeley sockets API on the command line: every family and type Linux
offers (TCP, UDP, Unix stream/dgram/seqpacket, abstract names, raw ICMP).`;

/**
 * Commander's error text as our one line: "unknown command 'x' (did you mean
 * tour?)". An unknown option, a missing or extra argument points at the help
 * of the command it was given to (`sockit ping --help`), where its options are.
 */
export function usageLine(text: string, command?: string): string {
  const line = oneLine(stripCommanderPrefix(text).replace(/\s*\n\s*\(Did you mean/g, " (did you mean"));
  const help = `'sockit ${command ? `${command} ` : ""}--help'`;
  if (/^unknown command/.test(line) && !line.includes("did you mean")) return `${line} (see ${help})`;
  if (/^(unknown option|missing required argument|too many arguments|option .* argument missing)/.test(line))
    return `${line} (see ${help})`;
  return line;
}

/** Builds the program with every command registered. */
export function buildProgram(specs: readonly CommandSpec[] = commands): Command {
  const program = new Command("sockit");
  program
    .description(DESCRIPTION)
    .version(packageVersion(), "-V, --version", "print the version and exit")
    .option(
      "-v, --verbose",
      "print each step (socket, bind, connect, accept) to stderr; -vv also each send and receive",
      (_: string, n: number) => n + 1,
      0,
    )
    .option("--json", "print data as JSON")
    .helpOption("-h, --help", "show help")
    .helpCommand("help [command]", "show help for a command")
    .configureHelp({ showGlobalOptions: true })
    .showSuggestionAfterError(true)
    // Usage errors: one line on stderr, no help dump, exit code 2 (main.ts).
    .configureOutput({ outputError: (text, write) => write(`sockit: ${usageLine(text)}\n`) })
    .exitOverride();

  for (const spec of specs) {
    const cmd = program
      .command(spec.name)
      .summary(spec.summary)
      .description(spec.description ?? spec.summary);
    cmd.configureOutput({ outputError: (text, write) => write(`sockit: ${usageLine(text, spec.name)}\n`) });
    spec.define(cmd);
    cmd.addHelpText("after", `\n${examplesHelp(spec.examples)}\n\n${EXIT_HELP}\n`);
  }

  const firsts = specs.flatMap((s) => s.examples.slice(0, 1));
  const examples = firsts.length > 0 ? `\n${examplesHelp(firsts)}\n` : "";
  program.addHelpText(
    "after",
    `${examples}\nRun 'sockit <command> --help' for a command's options and examples.\n\n${EXIT_HELP}\n`,
  );
  return program;
}
