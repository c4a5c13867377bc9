/**
 * `sockit ip addr|link|route|neigh`: the interfaces, addresses, routes and
 * neighbours of this network namespace (or of --netns), from rtnetlink, in
 * the shape iproute2 prints them — `--json` gives the same keys as `ip -j`.
 */
import type { Command } from "commander";
import {
  type InterfaceAddress,
  type Link,
  type Neighbour,
  type Route,
  IFA_F,
  NTF,
  RTNH_F,
  RTPROT,
  RT_SCOPE,
  listAddresses,
  listLinks,
  listNeighbours,
  listRoutes,
} from "../../src/index.js";
import type { CommandSpec } from "../command.js";
import { UsageError } from "../errors.js";
import type { Column } from "../output.js";
import { type Context, runs } from "../runtime.js";

interface IpOptions {
  netns?: string;
  ipv4?: boolean;
  ipv6?: boolean;
  table?: string;
}

type Json = Record<string, unknown>;

/** Link fields in `ip -j link`'s order and naming. */
function linkJson(l: Link, byIndex: Map<number, Link>, withMode = false): Json {
  const j: Json = { ifindex: l.index };
  if (l.link !== undefined && l.link !== 0) {
    const peer = l.linkNetnsid === undefined ? byIndex.get(l.link) : undefined;
    if (peer) j.link = peer.name;
  }
  j.ifname = l.name;
  const flags = [...l.flagNames];
  // iproute2: "M-DOWN" when the device this one sits on is down (print_link_flags's m_flag).
  if (l.link !== undefined && l.link !== 0 && l.linkNetnsid === undefined) {
    const lower = byIndex.get(l.link);
    if (lower && !(lower.flags & 1)) flags.push("M-DOWN");
  }
  j.flags = flags;
  if (l.mtu !== undefined) j.mtu = l.mtu;
  if (l.qdisc !== undefined) j.qdisc = l.qdisc;
  if (l.master !== undefined) j.master = byIndex.get(l.master)?.name ?? l.master;
  j.operstate = l.operstate;
  if (withMode && l.linkMode !== undefined) j.linkmode = l.linkMode;
  j.group = l.group === 0 ? "default" : String(l.group);
  if (l.txqlen !== undefined) j.txqlen = l.txqlen;
  j.link_type = l.linkType;
  if (l.address !== undefined) j.address = l.address;
  if (l.broadcast !== undefined) j.broadcast = l.broadcast;
  if (l.link !== undefined && l.link !== 0 && l.linkNetnsid !== undefined) {
    j.link_index = l.link;
    j.link_netnsid = l.linkNetnsid;
  }
  return j;
}

/** Address fields in `ip -j addr`'s addr_info naming. */
function addrJson(a: InterfaceAddress): Json {
  const j: Json = { family: a.family };
  if (a.local !== undefined) j.local = a.local;
  if (a.address !== undefined) j.address = a.address;
  j.prefixlen = a.prefixlen;
  if (a.broadcast !== undefined) j.broadcast = a.broadcast;
  j.scope = a.scope;
  // iproute2's names and rules (print_addrinfo): one bit is "secondary" for IPv4 and
  // "temporary" for IPv6; "dynamic" is the absence of IFA_F_PERMANENT.
  for (const [name, bit] of ifaFlagTable()) {
    if (!(a.flags & bit)) continue;
    if (bit === IFA_F.SECONDARY) j[a.family === "inet6" ? "temporary" : "secondary"] = true;
    else j[name] = true;
  }
  if (!(a.flags & IFA_F.PERMANENT)) j.dynamic = true;
  if (a.label !== undefined) j.label = a.label;
  if (a.validLifetime !== undefined) j.valid_life_time = a.validLifetime;
  if (a.preferredLifetime !== undefined) j.preferred_life_time = a.preferredLifetime;
  return j;
}

/** IFA_F_* bits with iproute2's names (permanent is shown as the absence of "dynamic"). */
function ifaFlagTable(): [string, number][] {
  const names: [string, number | undefined][] = [
    ["secondary", IFA_F.SECONDARY],
    ["tentative", IFA_F.TENTATIVE],
    ["deprecated", IFA_F.DEPRECATED],
    ["home", IFA_F.HOMEADDRESS],
    ["nodad", IFA_F.NODAD],
    ["mngtmpaddr", IFA_F.MANAGETEMPADDR],
    ["noprefixroute", IFA_F.NOPREFIXROUTE],
    ["autojoin", IFA_F.MCAUTOJOIN],
    ["dadfailed", IFA_F.DADFAILED],
    ["optimistic", IFA_F.OPTIMISTIC],
    ["stable-privacy", IFA_F.STABLE_PRIVACY],
  ];
  return names.filter((n): n is [string, number] => n[1] !== undefined);
}

function lower(group: Readonly<Record<string, number | undefined>>, v: number): string | undefined {
  for (const [k, n] of Object.entries(group)) if (n === v) return k.toLowerCase();
  return undefined;
}

/** Route fields as `ip -j route` prints them. */
function routeJson(r: Route, byIndex: Map<number, Link>): Json {
  const j: Json = {};
  if (r.type !== "unicast") j.type = r.type;
  j.dst =
    r.dstLen === 0 ? "default" : r.dstLen === (r.family === "inet6" ? 128 : 32) ? r.dst.replace(/\/\d+$/, "") : r.dst;
  if (r.gateway !== undefined) j.gateway = r.gateway;
  if (r.oif !== undefined) j.dev = byIndex.get(r.oif)?.name ?? `if${r.oif}`;
  if (r.protocol !== lower(RTPROT, RTPROT.BOOT)) j.protocol = r.protocol;
  if (r.scope !== "global" && !(r.scope === lower(RT_SCOPE, RT_SCOPE.UNIVERSE))) j.scope = r.scope;
  if (r.prefsrc !== undefined) j.prefsrc = r.prefsrc;
  if (r.priority !== undefined) j.metric = r.priority;
  if (r.pref !== undefined) j.pref = r.pref;
  const flags: string[] = [];
  if (r.flags & RTNH_F.ONLINK) flags.push("onlink");
  if (r.flags & RTNH_F.LINKDOWN) flags.push("linkdown");
  j.flags = flags;
  return j;
}

function neighJson(n: Neighbour, byIndex: Map<number, Link>): Json {
  const j: Json = {};
  if (n.dst !== undefined) j.dst = n.dst;
  j.dev = byIndex.get(n.index)?.name ?? `if${n.index}`;
  if (n.lladdr !== undefined) j.lladdr = n.lladdr;
  if (n.router) j.router = null;
  j.state = n.state;
  return j;
}

function routeOptions(ctx: Context, opts: IpOptions): { netns?: string; signal: AbortSignal } {
  return { signal: ctx.signal, ...(opts.netns !== undefined ? { netns: opts.netns } : {}) };
}

function family(opts: IpOptions): { family?: "inet" | "inet6" } {
  if (opts.ipv4 && opts.ipv6) throw new UsageError("-4 and -6 exclude each other");
  return opts.ipv4 ? { family: "inet" } : opts.ipv6 ? { family: "inet6" } : {};
}

async function links(ctx: Context, opts: IpOptions): Promise<{ list: Link[]; byIndex: Map<number, Link> }> {
  ctx.step(`RTM_GETLINK dump${opts.netns ? ` in netns ${opts.netns}` : ""}`);
  const list = await listLinks(routeOptions(ctx, opts));
  return { list, byIndex: new Map(list.map((l) => [l.index, l])) };
}

function common(cmd: Command): Command {
  return cmd
    .option("--netns <name>", "look inside this network namespace (name under /run/netns, or a path)")
    .option("-4, --ipv4", "IPv4 only")
    .option("-6, --ipv6", "IPv6 only");
}

async function showAddr(ctx: Context, opts: IpOptions): Promise<void> {
  const { list, byIndex } = await links(ctx, opts);
  const f = family(opts);
  ctx.step(`RTM_GETADDR dump`);
  const addrs = await listAddresses(f, routeOptions(ctx, opts));
  const rows: (Json & { addr_info: Json[] })[] = list.map((l) => ({
    ...linkJson(l, byIndex),
    addr_info: addrs.filter((a) => a.index === l.index).map((a) => addrJson(a)),
  }));
  const shown = f.family ? rows.filter((r) => r.addr_info.length > 0) : rows;
  if (ctx.json) return ctx.out.printJson(shown);
  for (const r of shown) {
    ctx.out.line(
      `${r.ifindex}: ${r.ifname as string}: <${(r.flags as string[]).join(",")}> mtu ${String(r.mtu ?? "-")} state ${r.operstate as string}`,
    );
    ctx.out.line(
      `    link/${r.link_type as string}${r.address ? ` ${r.address as string}` : ""}${r.broadcast ? ` brd ${r.broadcast as string}` : ""}`,
    );
    for (const a of r.addr_info) {
      const peer = a.address ? ` peer ${a.address as string}` : "";
      const brd = a.broadcast ? ` brd ${a.broadcast as string}` : "";
      ctx.out.line(
        `    ${a.family === "inet" ? "inet" : "inet6"} ${a.local as string}${peer}/${a.prefixlen as number}${brd} scope ${a.scope as string}${a.label ? ` ${a.label as string}` : ""}`,
      );
    }
  }
}

async function showLink(ctx: Context, opts: IpOptions): Promise<void> {
  const { list, byIndex } = await links(ctx, opts);
  const rows = list.map((l) => linkJson(l, byIndex, true));
  if (ctx.json) return ctx.out.printJson(rows);
  const columns: Column<Json>[] = [
    { header: "Index", value: (r) => String(r.ifindex), align: "right" },
    { header: "Name", value: (r) => String(r.ifname) + (r.link ? `@${r.link as string}` : "") },
    {
      header: "State",
      value: (r) => String(r.operstate),
      color: (r) => (r.operstate === "UP" ? "green" : r.operstate === "DOWN" ? "red" : undefined),
    },
    { header: "MTU", value: (r) => String(r.mtu ?? "-"), align: "right" },
    { header: "Type", value: (r) => String(r.link_type) },
    { header: "Address", value: (r) => String(r.address ?? "-") },
    { header: "Flags", value: (r) => (r.flags as string[]).join(",") },
  ];
  ctx.out.table(columns, rows);
}

async function showRoute(ctx: Context, opts: IpOptions): Promise<void> {
  const { byIndex } = await links(ctx, opts);
  const t = opts.table ?? "main";
  let table: number | "main" | "local" | "all";
  if (t === "main" || t === "local" || t === "all") table = t;
  else if (/^\d+$/.test(t)) table = Number(t);
  else throw new UsageError(`unknown table '${t}' (main, local, all or a number)`);
  ctx.step(`RTM_GETROUTE dump (table ${t})`);
  // As `ip route`: IPv4 unless -6.
  const routes = await listRoutes({ family: family(opts).family ?? "inet", table }, routeOptions(ctx, opts));
  // ip route lists unicast-ish routes of the main table; the local table's local/broadcast routes only with `table local/all`.
  const rows = routes.map((r) => routeJson(r, byIndex));
  if (ctx.json) return ctx.out.printJson(rows);
  for (const r of rows) {
    const parts: string[] = [];
    if (r.type) parts.push(String(r.type));
    parts.push(String(r.dst));
    if (r.gateway) parts.push(`via ${r.gateway as string}`);
    if (r.dev) parts.push(`dev ${r.dev as string}`);
    if (r.protocol) parts.push(`proto ${r.protocol as string}`);
    if (r.scope) parts.push(`scope ${r.scope as string}`);
    if (r.prefsrc) parts.push(`src ${r.prefsrc as string}`);
    if (r.metric !== undefined) parts.push(`metric ${String(r.metric)}`);
    parts.push(...(r.flags as string[]));
    ctx.out.line(parts.join(" "));
  }
}

async function showNeigh(ctx: Context, opts: IpOptions): Promise<void> {
  const { byIndex } = await links(ctx, opts);
  const list = await listNeighbours(family(opts), routeOptions(ctx, opts));
  // As `ip neigh`: entries in no state but NOARP (or none) are hidden, proxies shown.
  const rows = list
    .filter((n) => n.state.some((st) => st !== "NOARP" && st !== "NONE") || n.flags & NTF.PROXY)
    .map((n) => neighJson(n, byIndex));
  if (ctx.json) return ctx.out.printJson(rows);
  for (const r of rows) {
    ctx.out.line(
      `${String(r.dst ?? "?")} dev ${String(r.dev)}${r.lladdr ? ` lladdr ${r.lladdr as string}` : ""}${"router" in r ? " router" : ""} ${(r.state as string[]).join(",")}`,
    );
  }
}

export const ip: CommandSpec = {
  name: "ip",
  summary: "show interfaces, addresses, routes and neighbours (ip addr|link|route|neigh), from rtnetlink",
  description: `Shows what iproute2's ip shows, read over rtnetlink: 'ip addr' (the
default: interfaces with their addresses), 'ip link', 'ip route' (the main
table; --table local|all|N) and 'ip neigh'. With --json the output has the
keys of 'ip -j'. --netns looks inside a network namespace without entering it
(the netlink socket is created there).`,
  examples: [
    ["sockit ip addr", "interfaces and their addresses"],
    ["sockit --json ip addr", "the same as JSON, keyed as ip -j addr"],
    ["sockit ip route --netns blue", "the main routing table of namespace blue"],
    ["sockit ip route -6 --table all", "every IPv6 route of every table"],
  ],
  define: (cmd) => {
    // `sockit ip` alone lists addresses, as `ip` users expect from `ip a`.
    cmd.addCommand(
      common(
        cmd.createCommand("addr").alias("a").alias("address").description("interfaces and their addresses"),
      ).action(runs<IpOptions>((ctx, opts) => showAddr(ctx, opts))),
      { isDefault: true },
    );
    cmd.addCommand(
      common(cmd.createCommand("link").alias("l").description("interfaces")).action(
        runs<IpOptions>((ctx, opts) => showLink(ctx, opts)),
      ),
    );
    cmd.addCommand(
      common(cmd.createCommand("route").alias("r").description("routes"))
        .option("--table <table>", "main (default), local, all, or a table number")
        .action(runs<IpOptions>((ctx, opts) => showRoute(ctx, opts))),
    );
    cmd.addCommand(
      common(cmd.createCommand("neigh").alias("n").description("neighbour (ARP/NDP) entries")).action(
        runs<IpOptions>((ctx, opts) => showNeigh(ctx, opts)),
      ),
    );
  },
};
