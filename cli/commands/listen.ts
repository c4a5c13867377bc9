/**
 * `sockit listen ADDR`: ncat -l — waits for a connection (or the first
 * datagram) on ADDR and relays it to stdin/stdout, or to a command with --exec.
 */
import { type CommandSpec, intOption } from "../command.js";
import { AddressError, type Endpoint } from "../address.js";
import type { End } from "../relay/end.js";
import { openStdoutOnly } from "../relay/ends.js";
import { EXIT } from "../errors.js";
import { runs } from "../runtime.js";
import { parseAddresses } from "../relay/args.js";
import { ADDRESS_HELP } from "../relay/help.js";
import { runRelay } from "../relay/relay.js";

interface ListenOptions {
  exec?: string;
  keepOpen?: boolean;
  stats?: boolean;
  linger: number;
}

export const listen: CommandSpec = {
  name: "listen",
  summary: "wait for a connection on an address and relay it to stdin/stdout (ncat -l)",
  description: `Listens on ADDR (a -listen address; PORT or HOST:PORT alone mean tcp-listen:), waits
for the first connection — for udp-listen and unix-dgram-listen, the first
datagram, whose sender becomes the peer — and relays it to stdin and stdout,
or with --exec to a new 'sh -c CMD' child. Unix socket files it creates are
removed when it ends (also on Ctrl-C).

--keep-open serves every connection, concurrently: with --exec each gets its
own child; without, what each connection sends is written to stdout (stdin is
not read, and each connection sees EOF at once).

${ADDRESS_HELP}`,
  examples: [
    ["sockit listen 8080", "accept one TCP connection on port 8080 (all IPv4 addresses)"],
    ["sockit listen tcp-listen:127.0.0.1:7000 --exec cat --keep-open", "an echo server for every client"],
    ["sockit listen unix-seqpacket-listen:/tmp/s.sock,mode=0600", "a private seqpacket endpoint"],
    ["sockit listen udp-listen:5000 > datagrams.bin", "log the datagrams of the first sender"],
    ["sockit listen abstract-listen:logs --keep-open >> all.log", "collect log lines from many clients"],
  ],
  define: (cmd) =>
    cmd
      .argument(
        "<addr>",
        "a listen address (tcp-listen:, udp-listen:, unix-listen:, ws-listen: ...), or PORT / HOST:PORT for TCP",
      )
      .option("-e, --exec <cmd>", "relay each connection to 'sh -c CMD' instead of stdin/stdout")
      .option("-k, --keep-open", "serve every connection (concurrently) instead of only the first")
      .option("--stats", "print bytes, reads and rates (B/s, msg/s) each way at the end of each connection")
      .option(
        "--linger <ms>",
        "for datagram addresses: stop this long after the last datagram once stdin ends",
        intOption(0, 3_600_000),
        500,
      )
      .action(
        runs<ListenOptions>(async (ctx, opts, command) => {
          const text = command.processedArgs[0] as string;
          const eps = parseAddresses(ctx, [text, opts.exec === undefined ? "stdio" : `exec:${opts.exec}`], {
            listen: true,
          });
          if (!eps) return EXIT.USAGE;
          const ep = eps[0]!;
          const listening = (ep.kind === "socket" && ep.listen) || ep.kind === "ws-listen";
          if (!listening) {
            const why = "listen needs a listen address (tcp-listen:PORT, unix-listen:PATH ...) or a port";
            ctx.out.stderr.write(new AddressError(text, 0, why).render());
            return EXIT.USAGE;
          }
          let other: Endpoint | (() => End) = eps[1]!;
          if (opts.keepOpen) {
            if (ep.kind === "socket" && ep.type === "dgram") {
              const why = "--keep-open needs a stream or seqpacket listen address (a datagram listener has one peer)";
              ctx.out.stderr.write(new AddressError(text, 0, why).render());
              return EXIT.USAGE;
            }
            ep.options.fork = true;
            // Without --exec, every connection writes to stdout; stdin is not read.
            if (opts.exec === undefined) other = () => openStdoutOnly();
          }
          await runRelay(ctx, ep, other, { linger: opts.linger, stats: opts.stats === true });
        }),
      ),
};
