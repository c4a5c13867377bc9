/**
 * udp-reply-from-dst.ts — a UDP server bound to the wildcard address that
 * answers every query from the address the query was sent to.
 *
 * A host with several addresses (or a service address next to the host's own)
 * runs into this with UDP: a socket bound to 0.0.0.0 or [::] sends its reply
 * from whatever source the routing table picks, and a client that asked
 * 10.0.0.2 drops an answer that comes from 10.0.0.1. TCP does not have the
 * problem (the connection fixes both ends); for UDP the kernel tells you the
 * destination of each datagram in an IP_PKTINFO / IPV6_PKTINFO control
 * message, and you hand the same message back on the reply to choose its
 * source. That is all this server does — DNS servers (NSD, Unbound) do the
 * same. Node's dgram cannot: it has no ancillary data at all.
 *
 * Run:   npx tsx examples/udp-reply-from-dst.ts [address ...]
 *        (default: 127.0.0.1 127.0.0.2 ::1 — every 127/8 address is local on
 *        Linux; give addresses of your own host to try others)
 *
 * One dual-stack socket on [::] serves IPv4 and IPv6. For each address the
 * example sends a query from a fresh client socket, prints where the reply
 * came from, and exits non-zero if any reply came from another address.
 */
import { Socket, type SocketAddress } from "../src/index.js";

const targets = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["127.0.0.1", "127.0.0.2", "::1"];

// The server: one socket for both families, asking for the destination of
// every datagram (IPv6's option also covers IPv4 datagrams on a dual-stack socket).
const server = new Socket("inet6", "dgram");
server.setsockopt("IPPROTO_IPV6", "IPV6_V6ONLY", false);
server.bind("[::]:0");
server.setsockopt("IPPROTO_IPV6", "IPV6_RECVPKTINFO", true);
const port = (server.getsockname() as { port: number }).port;
console.log(`server: listening on [::]:${port} (IPv4 and IPv6)`);

const serving = (async () => {
  for (;;) {
    let query;
    try {
      query = await server.recvmsg({ size: 512 });
    } catch (e) {
      if ((e as { code?: string }).code === "ERR_SOCKET_CLOSED") return;
      throw e;
    }
    const to = query.pktinfo?.address ?? "?";
    console.log(
      `server: "${query.data}" from ${show(query.address!)} was sent to ${to} (interface ${query.pktinfo?.ifindex})`,
    );
    // The reply goes out from the query's destination: pass its pktinfo back.
    await server.sendmsg({ buffers: [`answer from ${to}`], address: query.address!, pktinfo: query.pktinfo! });
  }
})();

let ok = true;
for (const target of targets) {
  const v6 = target.includes(":");
  const client = new Socket(v6 ? "inet6" : "inet", "dgram");
  const dst = v6 ? `[${target}]:${port}` : `${target}:${port}`;
  await client.sendto(`query for ${target}`, dst);
  const reply = await client.recvfrom(512, { timeout: 2000 });
  const from = (reply.address as { address: string }).address;
  const same = from === target;
  ok &&= same;
  console.log(`client: asked ${target}, the answer came from ${from}${same ? "" : " (WRONG: a client would drop it)"}`);
  client.close();
}
server.close();
await serving;
process.exitCode = ok ? 0 : 1;

function show(a: SocketAddress): string {
  return "address" in a ? `${a.address}:${(a as { port: number }).port}` : String(a.family);
}
