/**
 * talker.ts — Beej's UDP datagram talker (talker.c, Beej's Guide to Network
 * Programming §6.3), ported line by line onto `posix`: make a datagram socket,
 * sendto() one message to the listener, print how many bytes went, close.
 *
 * Run:   npx tsx examples/listener.ts                      (in another terminal)
 *        npx tsx examples/talker.ts [host:port] [message]  (default 127.0.0.1:4950 "Hello, world!")
 *
 * The host may be a name ("localhost:4950"), resolved with sockit's getaddrinfo
 * (hints: any family, SOCK_DGRAM, as talker.c asks); the first result is used.
 */
import { getaddrinfo, posix, parseAddress, type SocketAddress } from "../src/index.js";

const target = process.argv[2] ?? "127.0.0.1:4950";
const message = process.argv[3] ?? "Hello, world!";

let address: SocketAddress;
try {
  address = parseAddress(target);
} catch {
  const colon = target.lastIndexOf(":");
  const host = colon === -1 ? target : target.slice(0, colon);
  const port = colon === -1 ? "4950" : target.slice(colon + 1);
  // getaddrinfo(argv[1], SERVERPORT, { ai_socktype = SOCK_DGRAM }, &servinfo)
  const servinfo = await getaddrinfo(host.replace(/^\[|\]$/g, ""), port, { socktype: "dgram" });
  address = servinfo[0]!.address;
}
if (address.family !== "inet" && address.family !== "inet6") {
  console.error("usage: talker.ts [HOST:PORT] [MESSAGE]");
  process.exit(1);
}

// sockfd = socket(p->ai_family, p->ai_socktype, p->ai_protocol)
const sockfd = posix.socket(address.family, "dgram", "udp");
let numbytes: number;
try {
  // numbytes = sendto(sockfd, argv[2], strlen(argv[2]), 0, p->ai_addr, p->ai_addrlen)
  numbytes = posix.sendto(sockfd, message, 0, address);
} catch (err) {
  console.error(`talker: sendto: ${(err as Error).message}`);
  posix.close(sockfd);
  process.exit(1);
}
console.log(`talker: sent ${numbytes} bytes to ${address.address}`);
posix.close(sockfd);
