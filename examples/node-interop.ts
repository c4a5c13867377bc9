/**
 * node-interop.ts — a listening socket made and tuned by sockit, served by
 * Node's own http module. sockit sets SO_REUSEPORT (which Node's net.Server
 * cannot set on Linux before Node 22.12 / 23.1) on two sockets bound to the
 * same port, hands each to `http.createServer` with `toNetServer()`, and the
 * kernel spreads incoming connections across the two servers.
 *
 * Run:   npx tsx examples/node-interop.ts [address] [requests]
 *        (default 127.0.0.1:0 — a free port — and 8 requests)
 *
 * Any socket option sockit can set (IP_FREEBIND, SO_BINDTODEVICE, TCP_FASTOPEN
 * ...) survives the hand-over the same way: Node adopts the fd as it is.
 */
import http from "node:http";
import { Socket, formatAddress, parseAddress } from "../src/index.js";

const address = parseAddress(process.argv[2] ?? "127.0.0.1:0");
const requests = Number(process.argv[3] ?? 8);
if (address.family !== "inet" && address.family !== "inet6") {
  console.error("usage: node-interop.ts [HOST:PORT] [REQUESTS]");
  process.exit(1);
}

function reusePortSocket(port: number): Socket {
  const s = new Socket(address.family as "inet" | "inet6", "stream");
  s.setsockopt("SOL_SOCKET", "SO_REUSEPORT", 1);
  s.bind({ ...address, port } as typeof address);
  s.listen();
  return s;
}

// First socket: on the requested port (or a free one); the second joins it.
const first = reusePortSocket(address.port);
const bound = first.getsockname();
const port = "port" in bound ? bound.port : 0;
const second = reusePortSocket(port); // without SO_REUSEPORT this bind throws EADDRINUSE
console.log(
  `interop: two sockets with SO_REUSEPORT = ${String(first.getsockopt("SOL_SOCKET", "SO_REUSEPORT"))} bound to ${formatAddress(bound)}`,
);

const servers = [first, second].map((sock, i) =>
  sock.toNetServer(
    http.createServer((req, res) => {
      res.setHeader("connection", "close");
      res.end(`hello from http server ${i + 1} (pid ${process.pid}), you asked for ${req.url}\n`);
    }),
  ),
);
console.log("interop: both handed to http.createServer via toNetServer()");

const host =
  address.family === "inet6"
    ? `[${bound.family === "inet6" ? bound.address : "::1"}]`
    : bound.family === "inet"
      ? bound.address
      : "127.0.0.1";
const servedBy = new Map<string, number>();
for (let i = 0; i < requests; i++) {
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get(`http://${host}:${port}/request/${i + 1}`, { agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve(text));
      })
      .on("error", reject);
  });
  process.stdout.write(`interop: GET /request/${i + 1} -> ${body}`);
  const who = /server (\d)/.exec(body)?.[1] ?? "?";
  servedBy.set(who, (servedBy.get(who) ?? 0) + 1);
}
console.log(`interop: served by ${[...servedBy].map(([k, v]) => `server ${k}: ${v}`).join(", ")}`);

await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
console.log("interop: done");
