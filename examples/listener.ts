/**
 * listener.ts — Beej's UDP datagram listener (listener.c, Beej's Guide to
 * Network Programming §6.3), ported line by line onto `posix`: a blocking
 * socket, bind, then recvfrom() waits — blocking the thread, as in C — for a
 * datagram, prints who sent it and what it holds, and exits.
 *
 * Run:   npx tsx examples/listener.ts [address] [count]     (default 127.0.0.1:4950, 1 packet)
 * Then:  npx tsx examples/talker.ts 127.0.0.1:4950 "hi there"
 *
 * "[::1]:4950" listens on IPv6; "127.0.0.1:0" picks a free port (printed).
 * Because recvfrom blocks the thread, Ctrl-C (SIGINT) ends the process at once.
 */
import { posix, formatAddress, parseAddress } from "../src/index.js";

const MAXBUFLEN = 100;

const address = parseAddress(process.argv[2] ?? "127.0.0.1:4950");
const count = Number(process.argv[3] ?? 1);
if ((address.family !== "inet" && address.family !== "inet6") || !Number.isInteger(count) || count < 1) {
  console.error("usage: listener.ts [HOST:PORT] [COUNT]");
  process.exit(1);
}

// sockfd = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
const sockfd = posix.socket(address.family, "dgram", "udp");
// bind(sockfd, p->ai_addr, p->ai_addrlen)
try {
  posix.bind(sockfd, address);
} catch (err) {
  posix.close(sockfd);
  console.error(`listener: bind: ${(err as Error).message}`);
  process.exit(2);
}

console.log(`listener: waiting to recvfrom on ${formatAddress(posix.getsockname(sockfd))}...`);

for (let i = 0; i < count; i++) {
  // numbytes = recvfrom(sockfd, buf, MAXBUFLEN-1, 0, (struct sockaddr *)&their_addr, &addr_len)
  const { data, address: from } = posix.recvfrom(sockfd, MAXBUFLEN - 1, 0);
  const who =
    from && (from.family === "inet" || from.family === "inet6") ? from.address : from ? formatAddress(from) : "?";
  console.log(`listener: got packet from ${who}`);
  console.log(`listener: packet is ${data.length} bytes long`);
  console.log(`listener: packet contains "${data.toString()}"`);
}

posix.close(sockfd);
