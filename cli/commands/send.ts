/**
 * `sockit send ADDR DATA`: sends DATA as one datagram or message (or the
 * whole of it on a stream, then EOF), optionally waits for one reply.
 */
import { type Datagram, Socket, SocketError, type SocketAddress } from "../../src/index.js";
import { AddressError, type SocketEndpoint } from "../address.js";
import { type CommandSpec, intOption } from "../command.js";
import { CliError, EXIT, UsageError } from "../errors.js";
import { type Context, runs } from "../runtime.js";
import { parseAddresses } from "../relay/args.js";
import { openSocketEnd } from "../relay/ends.js";
import { ADDRESS_HELP } from "../relay/help.js";
import { dataJson, readAll } from "../relay/data.js";
import { showAddress } from "../steps.js";

interface SendOptions {
  hex?: boolean;
  reply?: boolean;
  timeout: number;
}

export const send: CommandSpec = {
  name: "send",
  summary: "send one datagram or message to an address (and optionally print the reply)",
  description: `Sends DATA to ADDR: one datagram on udp/unix-dgram, one message on
unix-seqpacket, the bytes then EOF on a stream. DATA '-' reads stdin to its end;
--hex takes DATA as hex bytes. With --reply, waits (up to --timeout ms) for one
datagram or message back — on a stream, everything until the peer's EOF — and
prints it to stdout — on a terminal followed by a newline when it does not end
with one (with --json: {"to","bytes","reply":{"from","size","text"|"hex"}}).

${ADDRESS_HELP}`,
  examples: [
    ["sockit send udp:127.0.0.1:9999 hello", "one UDP datagram"],
    ["sockit send unix-dgram:/dev/log '<13>sockit: hello syslog'", "a line to the system log"],
    ["sockit send --reply udp:127.0.0.1:7 ping", "send to an echo service and print the answer"],
    ["sockit send --hex abstract-seqpacket:ctl 01ff00", "one binary message"],
    [
      "sockit --json send --reply unix-seqpacket:/tmp/s.sock status | jq .reply.text",
      "ask a question, read the answer",
    ],
  ],
  define: (cmd) =>
    cmd
      .argument("<addr>", "where to send (udp:, unix-dgram:, unix-seqpacket:, tcp:, unix:, abstract-...:)")
      .argument("<data>", "the data ('-' reads stdin)")
      .option("-x, --hex", "DATA is hex bytes: 48656c6c6f")
      .option("-r, --reply", "wait for one reply and print it")
      .option("-t, --timeout <ms>", "how long --reply waits", intOption(1, 3_600_000), 2000)
      .action(runs<SendOptions>((ctx, opts, command) => runSend(ctx, opts, command.processedArgs as string[]))),
};

async function runSend(ctx: Context, opts: SendOptions, args: string[]): Promise<number> {
  const eps = parseAddresses(ctx, [args[0]!]);
  if (!eps) return EXIT.USAGE;
  const ep = eps[0]!;
  if (ep.kind !== "socket" || ep.listen) {
    ctx.out.stderr.write(
      new AddressError(
        ep.text,
        0,
        "send needs an address to send to (udp:, unix-dgram:, tcp:, unix-seqpacket: ...)",
      ).render(),
    );
    return EXIT.USAGE;
  }
  const text = args[1]!;
  let data: Buffer;
  if (text === "-") data = await readAll(process.stdin);
  else if (opts.hex) {
    if (!/^([0-9a-fA-F]{2})*$/.test(text))
      throw new UsageError(`--hex: ${JSON.stringify(text)} is not an even number of hex digits`);
    data = Buffer.from(text, "hex");
  } else data = Buffer.from(text);

  const end = await openSocketEnd(ctx, ep as SocketEndpoint);
  const s = end.socket;
  try {
    if (end.messages) await s.send(data);
    else await s.sendAll(data);
    ctx.step(`send fd ${s.fd} ${data.length} bytes → ${ep.text}`);
    let reply: Datagram | undefined;
    if (opts.reply) {
      if (!end.messages) s.shutdown("write");
      reply = await receiveReply(s, end.messages, opts.timeout, ctx.signal).catch((e: unknown) => {
        if ((e as { code?: unknown }).code === "ETIMEDOUT")
          throw new CliError(`${ep.text}: no reply within ${opts.timeout} ms (ETIMEDOUT)`);
        throw withPeer(e, s);
      });
      ctx.step(`reply of ${reply.size} bytes from ${showAddress(reply.address)}`);
    }
    if (ctx.json) {
      const out: Record<string, unknown> = { to: ep.text, bytes: data.length };
      if (reply) out.reply = { from: showAddress(reply.address), ...dataJson(reply.data, reply.size) };
      ctx.out.line(JSON.stringify(out));
    } else if (reply) {
      ctx.out.payload(reply.data);
      ctx.out.endPayload();
    }
  } finally {
    end.close();
  }
  return EXIT.OK;
}

/**
 * `e` with the peer's address when it has none: an error a connected socket's
 * recv reports (ECONNREFUSED from an ICMP port unreachable) says which peer,
 * as `recvfrom ECONNREFUSED 127.0.0.1:7`.
 */
function withPeer(e: unknown, s: Socket): unknown {
  if (!(e instanceof SocketError) || e.address !== undefined || e.path !== undefined) return e;
  let peer: SocketAddress;
  try {
    peer = s.getpeername();
  } catch {
    return e;
  }
  if (peer.family === "inet" || peer.family === "inet6") {
    return new SocketError(e.errno, e.syscall, { address: peer.address, port: peer.port });
  }
  if (peer.family === "unix" && typeof peer.path === "string" && peer.path !== "") {
    return new SocketError(e.errno, e.syscall, { path: peer.path });
  }
  return e;
}

async function receiveReply(s: Socket, messages: boolean, timeout: number, signal: AbortSignal): Promise<Datagram> {
  if (messages) return s.recvfrom(256 * 1024, { timeout, signal });
  const parts: Buffer[] = [];
  const deadline = Date.now() + timeout;
  for (;;) {
    const b = await s.recv(256 * 1024, { timeout: Math.max(1, deadline - Date.now()), signal });
    if (b.length === 0) break;
    parts.push(b);
  }
  const data = Buffer.concat(parts);
  let address;
  try {
    address = s.getpeername();
  } catch {
    address = { family: "unix" as const, path: "" };
  }
  return { data, address, truncated: false, size: data.length };
}
