/**
 * `sockit ping HOST`: ICMP echo, printed as iputils ping prints it — one line
 * per reply, then the statistics (loss, min/avg/max/mdev). Unprivileged where
 * net.ipv4.ping_group_range allows, over a raw socket otherwise.
 */
import { InvalidArgumentError } from "commander";
import { ping, type PingProblem, type PingReply, type PingResult } from "../../src/index.js";
import { type CommandSpec, intOption } from "../command.js";
import { EXIT } from "../errors.js";
import { runs } from "../runtime.js";

interface PingCliOptions {
  count?: number;
  /** Milliseconds (the option is in seconds); undefined: 1 s. */
  interval?: number;
  /** Milliseconds (the option is in seconds); undefined: 1 s. */
  wait?: number;
  ttl?: number;
  size: number;
  ipv4?: boolean;
  ipv6?: boolean;
  mode: "auto" | "dgram" | "raw";
  quiet?: boolean;
}

/** A commander parser for a duration in seconds (fractions allowed), returned in milliseconds. */
export function secondsOption(min = 0, max = 3600): (value: string) => number {
  return (value: string): number => {
    if (!/^\d+(\.\d+)?$|^\.\d+$/.test(value)) throw new InvalidArgumentError("expected seconds, e.g. 1 or 0.2");
    const s = Number(value);
    if (s < min || s > max) throw new InvalidArgumentError(`expected ${min} to ${max} seconds`);
    return s * 1000;
  };
}

function ms(n: number): string {
  return n.toFixed(3);
}

/** ping's closing lines for `r`. */
export function pingSummary(r: PingResult): string[] {
  const errors = r.problems.length ? `, +${r.problems.length} errors` : "";
  const dups = r.duplicates ? `, +${r.duplicates} duplicates` : "";
  const lines = [
    `--- ${r.host} ping statistics ---`,
    `${r.transmitted} packets transmitted, ${r.received} received${dups}${errors}, ${Number(r.loss.toPrecision(6))}% packet loss, time ${Math.round(r.time)}ms`,
  ];
  // iputils ends the statistics with a newline after the rtt line, or after
  // nothing when no reply came: an empty last line.
  lines.push(r.received > 0 ? `rtt min/avg/max/mdev = ${ms(r.min)}/${ms(r.avg)}/${ms(r.max)}/${ms(r.mdev)} ms` : "");
  return lines;
}

/** Milliseconds rounded to the microseconds ping prints (NaN, for no replies, becomes null in JSON anyway). */
function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** `r` as --json prints it: times in ms to 3 decimals (ping's precision), loss to 6 significant digits as ping's %g. */
export function pingJson(r: PingResult): PingResult {
  return {
    ...r,
    replies: r.replies.map((x) => ({ ...x, time: round3(x.time) })),
    loss: Number(r.loss.toPrecision(6)),
    time: Math.round(r.time),
    min: round3(r.min),
    avg: round3(r.avg),
    max: round3(r.max),
    mdev: round3(r.mdev),
  };
}

export const pingCommand: CommandSpec = {
  name: "ping",
  summary: "send ICMP echo requests and print the replies and statistics, as ping does",
  description: `Sends ICMP echo requests to HOST (an IPv4/IPv6 address or a host name,
looked up with getaddrinfo) and prints each reply and, at the end or on
Ctrl-C, the statistics: loss and round-trip min/avg/max/mdev. Uses an
unprivileged ICMP datagram socket where net.ipv4.ping_group_range admits your
group, a raw socket (CAP_NET_RAW) otherwise. With --json, prints the whole
result as one JSON object at the end. Exits 1 when no reply came.`,
  examples: [
    ["sockit ping -c 3 127.0.0.1", "three echo requests to the loopback"],
    ["sockit ping -6 -c 2 -i 0.2 ::1", "IPv6, 200 ms apart"],
    ["sockit --json ping -c 1 -t 1 10.0.0.1", "one request with TTL 1, as JSON"],
  ],
  define: (cmd) =>
    cmd
      .argument("<host>", "an IPv4/IPv6 address or a host name")
      .option("-c, --count <n>", "stop after n requests (default: until Ctrl-C)", intOption(1))
      .option("-i, --interval <s>", "seconds between requests (default: 1)", secondsOption(0, 3600))
      .option(
        "-W, --wait <s>",
        "seconds to wait for each reply after its request (default: 1)",
        secondsOption(0.001, 3600),
      )
      .option("-t, --ttl <n>", "TTL / hop limit of the requests", intOption(1, 255))
      .option("-s, --size <n>", "payload bytes", intOption(0, 65507), 56)
      .option("-4, --ipv4", "use IPv4 (for localhost)")
      .option("-6, --ipv6", "use IPv6 (for localhost)")
      .option("--mode <mode>", "socket: auto, dgram (ping socket) or raw", "auto")
      .option("-q, --quiet", "print only the statistics")
      .action(
        runs<PingCliOptions>(async (ctx, opts, command) => {
          const host = command.processedArgs[0] as string;
          if (!["auto", "dgram", "raw"].includes(opts.mode)) {
            ctx.out.note(`sockit: --mode must be auto, dgram or raw, got ${opts.mode}`);
            return EXIT.USAGE;
          }
          const family = opts.ipv6 ? "inet6" : opts.ipv4 ? "inet" : undefined;
          let headerShown = false;
          const header = (address: string, v6: boolean): void => {
            if (headerShown || ctx.json) return;
            headerShown = true;
            ctx.out.line(`PING ${host} (${address}) ${opts.size}(${opts.size + 8 + (v6 ? 40 : 20)}) bytes of data.`);
          };
          const show = (text: string): void => {
            if (!ctx.json && !opts.quiet) ctx.out.line(text);
          };
          const result = await ping(host, {
            count: opts.count ?? Infinity,
            interval: opts.interval ?? 1000,
            timeout: opts.wait ?? 1000,
            size: opts.size,
            mode: opts.mode,
            signal: ctx.signal,
            ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}),
            ...(family ? { family } : {}),
            // The header first, as ping prints it before any reply or error.
            onStart: (st) => header(st.address, st.family === "inet6"),
            onReply: (r: PingReply) => {
              const ttl = r.ttl !== undefined ? ` ttl=${r.ttl}` : "";
              show(
                `${r.bytes} bytes from ${r.from}: icmp_seq=${r.sequence}${ttl} time=${ms(r.time)} ms${r.duplicate ? " (DUP!)" : ""}`,
              );
            },
            onError: (p: PingProblem) => {
              show(`From ${p.from ?? "?"} icmp_seq=${p.sequence} ${p.message}`);
            },
            onTimeout: (seq: number) => ctx.detail(`no reply to icmp_seq=${seq}`),
          });
          ctx.step(`ping used a ${result.mode === "dgram" ? "ping (SOCK_DGRAM)" : "raw"} socket`);
          if (ctx.json) {
            ctx.out.printJson(pingJson(result));
          } else {
            header(result.address, result.family === "inet6");
            ctx.out.line();
            for (const l of pingSummary(result)) ctx.out.line(l);
          }
          return result.received > 0 ? EXIT.OK : EXIT.FAILURE;
        }),
      ),
};
