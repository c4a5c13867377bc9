/**
 * `sockit recv ADDR`: receives datagrams or messages on a listen address and
 * prints them — raw to stdout, or one JSON object per message with --json.
 */
import { type CommandSpec, intOption } from "../command.js";
import { AddressError, type SocketEndpoint } from "../address.js";
import { CliError, EXIT } from "../errors.js";
import { type Context, runs } from "../runtime.js";
import { parseAddresses } from "../relay/args.js";
import { type SocketEnd, listenOn, openSocketEnd } from "../relay/ends.js";
import { ADDRESS_HELP } from "../relay/help.js";
import { dataJson } from "../relay/data.js";
import { RELAY_BUFFER } from "../relay/relay.js";
import { closeSocket, showAddress } from "../steps.js";
import type { SocketAddress } from "../../src/index.js";

interface RecvOptions {
  count: number;
  timeout: number;
}

export const recv: CommandSpec = {
  name: "recv",
  summary: "receive datagrams or messages on a listen address and print them",
  description: `Binds a listen address and prints what arrives: on udp-listen and
unix-dgram-listen, each datagram (from any sender); on unix-seqpacket-listen,
each message of the first connection; on tcp-listen and unix-listen, all the
bytes of each connection until its EOF. Stops after --count messages or
connections (0: until Ctrl-C). Raw bytes go to stdout (on a terminal, a
message or connection that does not end in a newline gets one); with --json one line per
message: {"from","size","text"} (or "hex" when not UTF-8, "truncated" when cut).
Unix socket files it creates are removed when it ends.

${ADDRESS_HELP}`,
  examples: [
    ["sockit recv udp-listen:9999", "print one UDP datagram"],
    ["sockit --json recv -c 0 unix-dgram-listen:/tmp/log.sock", "print every datagram as a JSON line"],
    ["sockit recv -t 5000 abstract-seqpacket-listen:ctl", "wait up to 5 s for one message"],
    ["sockit recv tcp-listen:9000 > upload.bin", "receive one TCP upload"],
  ],
  define: (cmd) =>
    cmd
      .argument("<addr>", "a listen address (udp-listen:, unix-dgram-listen:, unix-seqpacket-listen:, tcp-listen: ...)")
      .option("-c, --count <n>", "stop after n messages (or stream connections); 0 = never", intOption(0), 1)
      .option("-t, --timeout <ms>", "give up when nothing arrives for this long; 0 = wait forever", intOption(0), 0)
      .action(runs<RecvOptions>((ctx, opts, command) => runRecv(ctx, opts, command.processedArgs[0] as string))),
};

async function runRecv(ctx: Context, opts: RecvOptions, text: string): Promise<number> {
  const eps = parseAddresses(ctx, [text], { listen: true });
  if (!eps) return EXIT.USAGE;
  const ep = eps[0]!;
  if (ep.kind !== "socket" || !ep.listen) {
    const why = "recv needs a listen address (udp-listen:PORT, unix-dgram-listen:PATH, tcp-listen:PORT ...)";
    ctx.out.stderr.write(new AddressError(ep.text, 0, why).render());
    return EXIT.USAGE;
  }
  const wait = opts.timeout > 0 ? { timeout: opts.timeout, signal: ctx.signal } : { signal: ctx.signal };
  const print = (data: Buffer, size: number, from: SocketAddress | undefined): void => {
    if (ctx.json) ctx.out.line(JSON.stringify({ from: from ? showAddress(from) : null, ...dataJson(data, size) }));
    else {
      ctx.out.payload(data);
      ctx.out.endPayload();
    }
  };
  const timedOut = (e: unknown): never => {
    if ((e as { code?: unknown }).code === "ETIMEDOUT")
      throw new CliError(`${ep.text}: nothing received within ${opts.timeout} ms (ETIMEDOUT)`);
    throw e;
  };
  let received = 0;
  const more = (): boolean => opts.count === 0 || received < opts.count;

  if (ep.type === "dgram") {
    const end: SocketEnd = await openSocketEnd(ctx, ep as SocketEndpoint);
    try {
      while (more()) {
        const d = await end.socket.recvfrom(RELAY_BUFFER, wait).catch(timedOut);
        ctx.step(`recvfrom ${d.size} bytes from ${showAddress(d.address)}`);
        print(d.data, d.size, d.address);
        received++;
      }
    } finally {
      end.close();
    }
    return EXIT.OK;
  }

  const listener = await listenOn(ctx, ep as SocketEndpoint);
  try {
    while (more()) {
      const conn = await listener.accept(wait).catch(timedOut);
      let peer: SocketAddress | undefined;
      try {
        peer = conn.socket.getpeername();
      } catch {
        peer = undefined;
      }
      try {
        if (ep.type === "seqpacket") {
          // Each message of this connection, until its EOF or --count.
          while (more()) {
            const d = await conn.socket.recvfrom(RELAY_BUFFER, wait).catch(timedOut);
            if (d.size === 0) break;
            print(d.data, d.size, peer);
            received++;
          }
        } else {
          const parts: Buffer[] = [];
          for (;;) {
            const b = await conn.socket.recv(RELAY_BUFFER, wait).catch(timedOut);
            if (b.length === 0) break;
            if (ctx.json) parts.push(b);
            else ctx.out.payload(b);
          }
          if (ctx.json) {
            const all = Buffer.concat(parts);
            print(all, all.length, peer);
          } else ctx.out.endPayload();
          received++;
        }
      } finally {
        closeSocket(ctx, conn.socket);
      }
    }
  } finally {
    listener.close();
  }
  return EXIT.OK;
}
