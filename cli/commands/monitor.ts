/**
 * `sockit monitor`: link, address, route and neighbour changes (rtnetlink
 * multicast groups) and kernel uevents, printed as they happen — one line per
 * event, or one JSON object per line with --json. Like `ip monitor` and
 * `udevadm monitor --kernel` together.
 */
import {
  type RouteEvent,
  type RouteGroup,
  type Uevent,
  monitorRoute,
  monitorUevents,
  SocketError,
} from "../../src/index.js";
import { type CommandSpec, intOption } from "../command.js";
import { UsageError } from "../errors.js";
import { runs } from "../runtime.js";

interface MonitorOptions {
  netns?: string;
  count?: number;
}

/** What the monitor can watch, by the words the command takes. */
const TOPICS: Record<string, RouteGroup[] | "uevent"> = {
  link: ["link"],
  address: ["ipv4-address", "ipv6-address"],
  addr: ["ipv4-address", "ipv6-address"],
  route: ["ipv4-route", "ipv6-route"],
  neighbour: ["neighbour"],
  neigh: ["neighbour"],
  uevent: "uevent",
};

type Item = { kind: "route"; event: RouteEvent } | { kind: "uevent"; event: Uevent };

export const monitor: CommandSpec = {
  name: "monitor",
  summary: "print link, address, route, neighbour changes and kernel uevents as they happen",
  description: `Joins the rtnetlink multicast groups (and, with 'uevent', the kernel's
NETLINK_KOBJECT_UEVENT group) and prints each change the kernel announces.
TOPICs: link, address, route, neighbour, uevent (default: all). With
--netns, watches a network namespace (uevents of network devices are only
sent to their own namespace). The line "monitoring ..." goes to stderr once
subscribed. Runs until Ctrl-C, or until -c events were printed.`,
  examples: [
    ["sockit monitor", "every change, until Ctrl-C"],
    ["sockit monitor link address --netns blue", "interfaces and addresses of namespace blue"],
    ["sockit --json monitor uevent -c 1", "the next kernel uevent, as one JSON line"],
  ],
  define: (cmd) =>
    cmd
      .argument("[topic...]", `what to watch: ${Object.keys(TOPICS).join(", ")} (default: all)`)
      .option("--netns <name>", "watch this network namespace (name under /run/netns, or a path)")
      .option("-c, --count <n>", "stop after n events", intOption(1))
      .action(
        runs<MonitorOptions>(async (ctx, opts, command) => {
          const words = (command.processedArgs[0] as string[] | undefined) ?? [];
          const groups = new Set<RouteGroup>();
          let uevents = words.length === 0;
          for (const w of words) {
            const t = TOPICS[w];
            if (t === undefined)
              throw new UsageError(`unknown topic '${w}' (known: ${Object.keys(TOPICS).join(", ")})`);
            if (t === "uevent") uevents = true;
            else for (const g of t) groups.add(g);
          }
          if (words.length === 0)
            for (const t of Object.values(TOPICS)) if (t !== "uevent") for (const g of t) groups.add(g);
          const netns = opts.netns !== undefined ? { netns: opts.netns } : {};
          // Both sources push into one queue; the loop below prints in arrival order.
          const queue: Item[] = [];
          let wake: (() => void) | undefined;
          let failure: unknown;
          const push = (item: Item): void => {
            queue.push(item);
            wake?.();
          };
          const stop = new AbortController();
          const signal = AbortSignal.any([ctx.signal, stop.signal]);
          const pumps: Promise<void>[] = [];
          const fail = (e: unknown): void => {
            failure ??= e;
            wake?.();
          };
          // A monitor whose receive queue overflowed gets ENOBUFS once: events were
          // lost. Say so on stderr and keep watching with a fresh subscription,
          // as `ip monitor` does, instead of ending.
          const pump = <T>(open: () => AsyncGenerator<T, void, undefined>, wrap: (e: T) => Item): Promise<void> => {
            // The first subscription opens here, synchronously: a missing
            // namespace fails the command before "monitoring" is printed.
            let it = open();
            return (async () => {
              for (;;) {
                try {
                  for await (const event of it) push(wrap(event));
                  return;
                } catch (e) {
                  if (!(e instanceof SocketError && e.code === "ENOBUFS") || signal.aborted) throw e;
                  ctx.out.note("sockit: events were lost (ENOBUFS: the receive queue overflowed)", "yellow");
                  it = open();
                }
              }
            })().catch(fail);
          };
          try {
            if (groups.size > 0) {
              pumps.push(
                pump(
                  () => monitorRoute({ groups: [...groups], signal, ...netns }),
                  (event) => ({ kind: "route", event }),
                ),
              );
            }
            if (uevents) {
              pumps.push(
                pump(
                  () => monitorUevents({ signal, ...netns }),
                  (event) => ({ kind: "uevent", event }),
                ),
              );
            }
          } catch (e) {
            stop.abort(); // close what did open
            throw e;
          }
          ctx.out.note(
            `monitoring ${[...groups, ...(uevents ? ["uevent"] : [])].join(", ")}${opts.netns ? ` in netns ${opts.netns}` : ""} (Ctrl-C to stop)`,
          );
          let printed = 0;
          try {
            while (!signal.aborted && (opts.count === undefined || printed < opts.count)) {
              const item = queue.shift();
              if (item === undefined) {
                if (failure !== undefined) throw failure;
                await new Promise<void>((resolve) => {
                  wake = resolve;
                  signal.addEventListener("abort", () => resolve(), { once: true });
                });
                wake = undefined;
                continue;
              }
              printed++;
              if (ctx.json)
                ctx.out.line(
                  JSON.stringify({ type: item.kind === "uevent" ? "uevent" : item.event.kind, ...item.event }),
                );
              else if (item.kind === "uevent")
                ctx.out.line(
                  `uevent ${item.event.action} ${item.event.devpath}${item.event.subsystem ? ` (${item.event.subsystem})` : ""}`,
                );
              else ctx.out.line(formatRouteEventLine(item.event));
            }
          } finally {
            stop.abort();
            await Promise.allSettled(pumps);
          }
        }),
      ),
};

/**
 * One line describing an event, in the spirit of `ip monitor`:
 * "link new 3 veth0 <UP,LOWER_UP> mtu 1500 state UP", "address new inet 10.0.0.1/24 if 3",
 * "route delete 10.9.0.0/24 via 10.0.0.2 if 3", "neighbour new 10.0.0.2 lladdr 02:.. if 3 REACHABLE".
 */
function formatRouteEventLine(ev: RouteEvent): string {
  switch (ev.kind) {
    case "link": {
      const l = ev.link;
      return `link ${ev.action} ${l.index} ${l.name} <${l.flagNames.join(",")}>${l.mtu !== undefined ? ` mtu ${l.mtu}` : ""} state ${l.operstate}${l.kind ? ` kind ${l.kind}` : ""}`;
    }
    case "address": {
      const a = ev.address;
      return `address ${ev.action} ${typeof a.family === "string" ? a.family : `af${a.family}`} ${a.local ?? "?"}/${a.prefixlen} if ${a.index} scope ${a.scope}${a.label ? ` ${a.label}` : ""}`;
    }
    case "route": {
      const r = ev.route;
      return `route ${ev.action} ${r.dst}${r.gateway ? ` via ${r.gateway}` : ""}${r.oif !== undefined ? ` if ${r.oif}` : ""} table ${r.table} proto ${r.protocol} scope ${r.scope}${r.type !== "unicast" ? ` type ${r.type}` : ""}`;
    }
    case "neighbour": {
      const n = ev.neighbour;
      return `neighbour ${ev.action} ${n.dst ?? "?"}${n.lladdr ? ` lladdr ${n.lladdr}` : ""} if ${n.index} ${n.state.join(",")}`;
    }
  }
}
