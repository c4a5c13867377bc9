/**
 * `sockit trace HOST`: traceroute — probes with TTL 1, 2, ... and prints who
 * answered at each hop, read from the error queue (IP_RECVERR). UDP probes
 * need no privilege; -I sends ICMP echo instead.
 */
import { traceroute, type TracerouteHop } from "../../src/index.js";
import { type CommandSpec, intOption } from "../command.js";
import { EXIT } from "../errors.js";
import { runs } from "../runtime.js";
import { secondsOption } from "./ping.js";

interface TraceCliOptions {
  maxHops: number;
  firstHop: number;
  queries: number;
  /** Milliseconds (the option is in seconds); undefined: 1 s. */
  wait?: number;
  port: number;
  icmp?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
}

/** One hop as traceroute prints it: ` 2  10.0.0.1  0.321 ms  0.298 ms *`. */
export function hopLine(hop: TracerouteHop): string {
  let line = `${String(hop.ttl).padStart(2)} `;
  let last: string | null | undefined;
  for (const p of hop.probes) {
    if (p.address === null) {
      line += " *";
      continue;
    }
    if (p.address !== last) line += ` ${p.address}`;
    last = p.address;
    line += `  ${p.time!.toFixed(3)} ms${p.note ? ` ${p.note}` : ""}`;
  }
  return line;
}

export const traceCommand: CommandSpec = {
  name: "trace",
  summary: "print the route to a host, hop by hop, as traceroute does",
  description: `Sends probes to HOST (an IPv4/IPv6 address or a host name) with TTL 1,
2, ... and prints, for each hop, who answered and how fast: routers answer
"time exceeded", the destination "port unreachable" (UDP) or an echo reply
(-I). The answers are read from the socket's error queue (IP_RECVERR), so UDP
probes need no privilege. Exits 1 when the destination was not reached.`,
  examples: [
    ["sockit trace 10.2.0.1", "the route to 10.2.0.1 over UDP probes"],
    ["sockit trace -I -q 1 -m 10 ::1", "ICMP echo probes, one per hop, at most 10 hops"],
  ],
  define: (cmd) =>
    cmd
      .argument("<host>", "an IPv4/IPv6 address or a host name")
      .option("-m, --max-hops <n>", "the largest TTL", intOption(1, 255), 30)
      .option("-f, --first-hop <n>", "the first TTL", intOption(1, 255), 1)
      .option("-q, --queries <n>", "probes per hop", intOption(1, 10), 3)
      .option("-w, --wait <s>", "seconds to wait for each probe (default: 1)", secondsOption(0.001, 60))
      .option("-p, --port <n>", "first UDP destination port", intOption(1, 65535), 33434)
      .option("-I, --icmp", "send ICMP echo requests instead of UDP")
      .option("-4, --ipv4", "use IPv4 (for localhost)")
      .option("-6, --ipv6", "use IPv6 (for localhost)")
      .action(
        runs<TraceCliOptions>(async (ctx, opts, command) => {
          const host = command.processedArgs[0] as string;
          const family = opts.ipv6 ? "inet6" : opts.ipv4 ? "inet" : undefined;
          let first = true;
          const result = await traceroute(host, {
            maxHops: opts.maxHops,
            firstHop: Math.min(opts.firstHop, opts.maxHops),
            queries: opts.queries,
            timeout: opts.wait ?? 1000,
            port: opts.port,
            protocol: opts.icmp ? "icmp" : "udp",
            signal: ctx.signal,
            ...(family ? { family } : {}),
            onHop: (hop) => {
              if (ctx.json) return;
              if (first) {
                first = false;
                ctx.out.line(`traceroute to ${host}, ${opts.maxHops} hops max`);
              }
              ctx.out.line(hopLine(hop));
            },
          });
          if (ctx.json) ctx.out.printJson(result);
          if (!result.reached) ctx.out.note(`trace: ${result.address} not reached within ${opts.maxHops} hops`);
          return result.reached ? EXIT.OK : EXIT.FAILURE;
        }),
      ),
};
