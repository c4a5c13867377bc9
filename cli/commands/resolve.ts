/**
 * `sockit resolve NAME [SERVICE]`: what getaddrinfo(3) makes of a name (and
 * service), one row per result, with every hint as an option; `--reverse`
 * adds getnameinfo(3)'s name for each address.
 */
import { Option, type Command } from "commander";
import type { CommandSpec } from "../command.js";
import { CliError } from "../errors.js";
import type { Column } from "../output.js";
import { runs } from "../runtime.js";
import { AI, NI, ResolveError, getaddrinfo, getnameinfo, type AddrInfo } from "../../src/index.js";

interface ResolveOptions {
  ipv4?: boolean;
  ipv6?: boolean;
  type?: "stream" | "dgram" | "raw" | "seqpacket";
  passive?: boolean;
  canonname?: boolean;
  numericHost?: boolean;
  numericServ?: boolean;
  addrconfig?: boolean;
  v4mapped?: boolean;
  all?: boolean;
  reverse?: boolean;
}

interface Row {
  family: string;
  type: string;
  protocol: string;
  address: string;
  port: number;
  canonname?: string;
  reverse?: string;
}

/** Rethrows a resolver failure as a one-line CLI error (exit 1). */
function cliError(err: unknown): never {
  if (err instanceof ResolveError) throw new CliError(err.message);
  throw err;
}

export const resolve: CommandSpec = {
  name: "resolve",
  summary: "resolve a host name and service with getaddrinfo (and reverse names)",
  description:
    "Prints what getaddrinfo(3) returns for NAME (and SERVICE): family, socket type, protocol,\n" +
    "address and port, one row per result, with each AI_* hint as an option. --reverse adds the\n" +
    "name getnameinfo(3) gives each address. Uses the system resolver (/etc/hosts, DNS, NSS).",
  examples: [
    ["sockit resolve localhost http", "addresses and port of the http service on localhost"],
    ["sockit resolve -6 --v4mapped --all localhost", "IPv6 results, IPv4 ones as ::ffff:a.b.c.d"],
    ["sockit resolve --reverse --json 127.0.0.1", "the address's name, as JSON"],
    ["sockit resolve --passive -t stream '' 8080", "what a server would bind for port 8080"],
  ],
  define: (cmd: Command) =>
    cmd
      .argument("<name>", "host name or numeric address ('' for none)")
      .argument("[service]", "service name or port number")
      .option("-4, --ipv4", "IPv4 only (AF_INET)")
      .option("-6, --ipv6", "IPv6 only (AF_INET6)")
      .addOption(new Option("-t, --type <type>", "socket type").choices(["stream", "dgram", "raw", "seqpacket"]))
      .option("--passive", "AI_PASSIVE: addresses to bind (the wildcard when NAME is '')")
      .option("--canonname", "AI_CANONNAME: also print the canonical name")
      .option("--numeric-host", "AI_NUMERICHOST: NAME must be an address (no lookup)")
      .option("--numeric-serv", "AI_NUMERICSERV: SERVICE must be a port number")
      .option("--addrconfig", "AI_ADDRCONFIG: only families this host has addresses for")
      .option("--v4mapped", "AI_V4MAPPED: with -6, IPv4 results as v4-mapped IPv6")
      .option("--all", "AI_ALL: with --v4mapped, both IPv6 and v4-mapped results")
      .option("-r, --reverse", "add each address's name (getnameinfo)")
      .action(
        runs<ResolveOptions>(async (ctx, opts, command) => {
          const [name, service] = command.args as [string, string | undefined];
          if (opts.ipv4 && opts.ipv6) throw new CliError("-4 and -6 exclude each other", 2);
          const flags =
            (opts.passive ? AI.AI_PASSIVE : 0) |
            (opts.canonname ? AI.AI_CANONNAME : 0) |
            (opts.numericHost ? AI.AI_NUMERICHOST : 0) |
            (opts.numericServ ? AI.AI_NUMERICSERV : 0) |
            (opts.addrconfig ? AI.AI_ADDRCONFIG : 0) |
            (opts.v4mapped ? AI.AI_V4MAPPED : 0) |
            (opts.all ? AI.AI_ALL : 0);
          ctx.step(`getaddrinfo ${JSON.stringify(name)} ${JSON.stringify(service ?? null)} flags=${flags}`);
          let list: AddrInfo[];
          try {
            list = await getaddrinfo(name === "" ? null : name, service ?? null, {
              family: opts.ipv4 ? "inet" : opts.ipv6 ? "inet6" : "unspec",
              socktype: opts.type,
              flags,
            });
          } catch (err) {
            cliError(err);
          }
          const rows: Row[] = [];
          for (const a of list) {
            const addr = a.address as { address?: string; port?: number };
            const row: Row = {
              family: String(a.family),
              type: String(a.socktype),
              protocol: String(a.protocol),
              address: addr.address ?? "",
              port: addr.port ?? 0,
            };
            if (a.canonname !== undefined) row.canonname = a.canonname;
            if (opts.reverse) {
              try {
                row.reverse = (await getnameinfo(a.address, NI.NI_NUMERICSERV)).host;
              } catch (err) {
                if (!(err instanceof ResolveError)) throw err;
                row.reverse = "";
              }
            }
            rows.push(row);
          }
          if (ctx.json) {
            ctx.out.printJson(rows);
            return;
          }
          const columns: Column<Row>[] = [
            { header: "FAMILY", value: (r) => r.family },
            { header: "TYPE", value: (r) => r.type },
            { header: "PROTOCOL", value: (r) => r.protocol },
            { header: "ADDRESS", value: (r) => r.address },
            { header: "PORT", value: (r) => String(r.port), align: "right" },
          ];
          if (opts.canonname) columns.push({ header: "CANONNAME", value: (r) => r.canonname ?? "-" });
          if (opts.reverse) columns.push({ header: "NAME", value: (r) => r.reverse || "-" });
          ctx.out.table(columns, rows);
        }),
      ),
};
