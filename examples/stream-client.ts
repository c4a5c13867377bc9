/**
 * stream-client.ts — Beej's TCP client (client.c, Beej's Guide to Network
 * Programming §6.2), on sockit's asynchronous Socket API: connect to the
 * stream server, receive up to MAXDATASIZE bytes, print them.
 *
 * Run:   npx tsx examples/stream-server.ts        (in another terminal)
 *        npx tsx examples/stream-client.ts [host:port]     (default 127.0.0.1:3490)
 *
 * The host may be a name ("localhost:3490"); it is resolved with sockit's
 * getaddrinfo (hints: any family, SOCK_STREAM, as client.c asks) and every
 * address is tried in turn, as client.c walks the getaddrinfo() list.
 */
import { Socket, SocketError, getaddrinfo, parseAddress, type SocketAddress } from "../src/index.js";

const MAXDATASIZE = 100; // max number of bytes we can get at once

async function candidates(target: string): Promise<SocketAddress[]> {
  try {
    return [parseAddress(target)];
  } catch {
    // Not numeric: "name:port" — getaddrinfo(host, port, { ai_socktype = SOCK_STREAM }).
    const colon = target.lastIndexOf(":");
    const host = colon === -1 ? target : target.slice(0, colon);
    const port = colon === -1 ? "3490" : target.slice(colon + 1);
    const servinfo = await getaddrinfo(host.replace(/^\[|\]$/g, ""), port, { socktype: "stream" });
    return servinfo.map((p) => p.address);
  }
}

const target = process.argv[2] ?? "127.0.0.1:3490";
let sock: Socket | undefined;
for (const addr of await candidates(target)) {
  if (addr.family !== "inet" && addr.family !== "inet6") continue;
  const s = new Socket(addr.family, "stream");
  try {
    await s.connect(addr, { timeout: 5000 });
  } catch (err) {
    console.error(`client: connect: ${(err as SocketError).message}`);
    s.close();
    continue;
  }
  console.log(`client: connecting to ${addr.address}`);
  sock = s;
  break;
}
if (!sock) {
  console.error("client: failed to connect");
  process.exit(2);
}

const buf = await sock.recv(MAXDATASIZE);
console.log(`client: received '${buf.toString()}'`);
sock.close();
