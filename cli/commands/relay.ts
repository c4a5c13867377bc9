/**
 * `sockit relay A B`: moves data both ways between any two addresses of the
 * grammar in cli/address.ts, socat-style. Half-close aware, message
 * boundaries kept between message ends, `,fork` on A serves every connection.
 */
import { ADDRESS_HELP } from "../relay/help.js";
import { type CommandSpec, intOption } from "../command.js";
import { EXIT } from "../errors.js";
import { runs } from "../runtime.js";
import { parseAddresses } from "../relay/args.js";
import { runRelay } from "../relay/relay.js";

interface RelayOptions {
  stats?: boolean;
  linger: number;
}

export const relay: CommandSpec = {
  name: "relay",
  summary: "relay data both ways between two addresses (socat-style)",
  description: `Opens A (a listen address waits for its first connection or datagram), then B,
and copies data both ways until both directions are done. EOF on one side is
passed on as a half-close (shutdown SHUT_WR) and the other direction goes on.
Between message ends (udp, unix-dgram, unix-seqpacket, ws) every message stays
one message; a stream read into a message end becomes one message per read.
A datagram end cannot signal EOF: once the other direction is done the relay
stops --linger ms after the last datagram. With ,fork on A, every connection A
accepts gets its own B, concurrently, until Ctrl-C.

While it runs, a live line on stderr shows bytes and rates each way (only
when stderr is a terminal); --stats prints a summary at the end.

${ADDRESS_HELP}`,
  examples: [
    ["sockit relay tcp-listen:8080,reuseaddr,fork tcp:127.0.0.1:80", "forward local port 8080 to port 80"],
    ["sockit relay unix-listen:/tmp/docker.sock,mode=0600 unix:/var/run/docker.sock", "proxy a Unix socket"],
    ["sockit relay ws-listen:8765/chat unix-seqpacket:/run/chat.sock", "let web pages reach a seqpacket service"],
    ["sockit relay udp-listen:5353 udp:127.0.0.53:53", "forward DNS datagrams, replies come back"],
    ["sockit relay -v --stats tcp-listen:9000 file:/tmp/upload.bin", "receive one upload into a file"],
    ["sockit relay abstract-listen:dbg exec:'sh -i'", "a shell on an abstract socket (careful)"],
  ],
  define: (cmd) =>
    cmd
      .argument("<a>", "the first address (opened first; ,fork goes here)")
      .argument("<b>", "the second address")
      .option("--stats", "print bytes, reads and rates (B/s, msg/s) each way at the end (JSON with --json)")
      .option(
        "--linger <ms>",
        "after one direction is done, wait this long after the last datagram from a datagram end",
        intOption(0, 3_600_000),
        500,
      )
      .action(
        runs<RelayOptions>(async (ctx, opts, command) => {
          const eps = parseAddresses(ctx, command.processedArgs as string[]);
          if (!eps) return EXIT.USAGE;
          await runRelay(ctx, eps[0]!, eps[1]!, { linger: opts.linger, stats: opts.stats === true });
        }),
      ),
};
