/**
 * `sockit connect ADDR`: ncat-style client — what you type goes to ADDR, what
 * ADDR sends comes to stdout. The same relay as `sockit relay ADDR stdio`.
 */
import { type CommandSpec, intOption } from "../command.js";
import { EXIT } from "../errors.js";
import { runs } from "../runtime.js";
import { parseAddresses } from "../relay/args.js";
import { ADDRESS_HELP } from "../relay/help.js";
import { runRelay } from "../relay/relay.js";

interface ConnectOptions {
  exec?: string;
  stats?: boolean;
  linger: number;
}

export const connect: CommandSpec = {
  name: "connect",
  summary: "connect to an address and relay it to stdin/stdout (ncat-style)",
  description: `Connects to ADDR and relays it to stdin and stdout — or, with --exec, to a
child command's stdin and stdout. EOF on stdin half-closes the connection; the
command ends when ADDR closes too. Same as 'sockit relay ADDR stdio'.

${ADDRESS_HELP}`,
  examples: [
    ["printf 'GET / HTTP/1.0\\r\\n\\r\\n' | sockit connect tcp:127.0.0.1:80", "a raw HTTP request"],
    ["sockit connect unix-seqpacket:@chat", "talk to an abstract seqpacket service"],
    ["echo ping | sockit connect udp:127.0.0.1:9999", "send a datagram, print the replies for 0.5 s"],
    ["sockit connect tcp6:[::1]:7 --exec 'cat /etc/hostname'", "feed a command's output to a server"],
  ],
  define: (cmd) =>
    cmd
      .argument("<addr>", "where to connect (tcp:, udp:, unix:, unix-seqpacket:, abstract:, ws: ...)")
      .option("-e, --exec <cmd>", "relay to 'sh -c CMD' instead of stdin/stdout")
      .option("--stats", "print bytes, reads and rates (B/s, msg/s) each way at the end")
      .option(
        "--linger <ms>",
        "for datagram addresses: wait this long for replies after stdin ends",
        intOption(0, 3_600_000),
        500,
      )
      .action(
        runs<ConnectOptions>(async (ctx, opts, command) => {
          const texts = [command.processedArgs[0] as string, opts.exec === undefined ? "stdio" : `exec:${opts.exec}`];
          const eps = parseAddresses(ctx, texts);
          if (!eps) return EXIT.USAGE;
          await runRelay(ctx, eps[0]!, eps[1]!, { linger: opts.linger, stats: opts.stats === true });
        }),
      ),
};
