/**
 * The help texts say what the options do: every default shown is a value the
 * option itself would accept and turn into that default (so units agree: a
 * seconds option does not show a default in milliseconds), and a usage error
 * points at the help of the command it was made in.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildProgram, usageLine } from "../../cli/program.js";

describe("cli help texts", () => {
  const program = buildProgram();

  for (const cmd of program.commands) {
    it(`sockit ${cmd.name()}: each shown default reads back as itself through the option's parser`, () => {
      for (const opt of cmd.options) {
        const parse = (opt as unknown as { parseArg?: (v: string, prev: unknown) => unknown }).parseArg;
        if (opt.defaultValue === undefined || !parse || typeof opt.defaultValue !== "number") continue;
        assert.deepEqual(
          parse(String(opt.defaultValue), undefined),
          opt.defaultValue,
          `${opt.flags}: help shows "(default: ${opt.defaultValue})", which the option reads as something else`,
        );
      }
    });
  }

  it("ping -i/-W and trace -w are seconds, default 1, as iputils and traceroute", () => {
    const help = (name: string): string => program.commands.find((c) => c.name() === name)!.helpInformation();
    assert.match(help("ping"), /-i, --interval <s>\s+seconds between requests \(default: 1\)/);
    assert.match(help("ping"), /-W, --wait <s>\s+seconds to wait for each reply[^(]*\(default:\s+1\)/);
    assert.match(help("trace"), /-w, --wait <s>\s+seconds to wait for each probe \(default: 1\)/);
  });

  it("an unknown option points at the subcommand's help; an unknown command at sockit --help", () => {
    assert.equal(
      usageLine("error: unknown option '--bogus'", "ping"),
      "unknown option '--bogus' (see 'sockit ping --help')",
    );
    assert.equal(usageLine("error: unknown command 'pong'"), "unknown command 'pong' (see 'sockit --help')");
    assert.equal(
      usageLine("error: missing required argument 'host'", "ping"),
      "missing required argument 'host' (see 'sockit ping --help')",
    );
  });
});
