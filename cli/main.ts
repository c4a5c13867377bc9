#!/usr/bin/env node
/**
 * The `sockit` command. Parses the command line and runs one command from
 * cli/commands/; exit codes are in cli/errors.ts (EXIT) and `sockit --help`.
 */
import { CommanderError } from "commander";
import { EXIT, reportError } from "./errors.js";
import { buildProgram } from "./program.js";

// A reader that goes away (`sockit ss | head`) is the end of the output, not
// an error: exit quietly as other Unix tools do (SIGPIPE's usual outcome).
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? EXIT.OK);
    throw err;
  });
}

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
