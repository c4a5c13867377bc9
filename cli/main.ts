#!/usr/bin/env node
/**
 * The `sockit` command. Parses the command line and runs one command from
 * cli/commands/; exit codes are in cli/errors.ts (EXIT) and `sockit --help`.
 */
import { CommanderError } from "commander";
import { EXIT, reportError } from "./errors.js";
import { buildProgram } from "./program.js";

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander already printed the one-line error (or the help, or the version).
    // `sockit` alone prints the help to stderr with exitCode 1: a usage error too.
    process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  } else {
    process.exitCode = reportError(err);
  }
}
