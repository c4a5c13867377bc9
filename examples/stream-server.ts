/**
 * stream-server.ts — Beej's "Hello, world!" TCP server (server.c, Beej's Guide
 * to Network Programming §6.1), on sockit's asynchronous Socket API: where the C
 * forks a child per connection, this awaits accept() and serves each client on
 * the event loop, so any number of clients are served at once.
 *
 * Run:   npx tsx examples/stream-server.ts [address]      (default 127.0.0.1:3490)
 * Then:  npx tsx examples/stream-client.ts [address]      (or: nc 127.0.0.1 3490)
 *
 * Any address form works: "[::1]:3490", "0.0.0.0:3490", "127.0.0.1:0" (a free
 * port; the line "waiting for connections on ..." tells which). Ctrl-C stops it.
 */
import { Socket, formatAddress, parseAddress } from "../src/index.js";

const BACKLOG = 10; // how many pending connections the queue will hold

const address = parseAddress(process.argv[2] ?? "127.0.0.1:3490");
if (address.family !== "inet" && address.family !== "inet6") {
  console.error("usage: stream-server.ts [HOST:PORT]   e.g. 127.0.0.1:3490 or [::1]:3490");
  process.exit(1);
}

const server = new Socket(address.family, "stream");
server.setsockopt("SOL_SOCKET", "SO_REUSEADDR", 1); // lose the pesky "Address already in use"
server.bind(address);
server.listen(BACKLOG);

// stdout is flushed line by line; a test (or a shell script) can read the port here.
console.log(`server: waiting for connections on ${formatAddress(server.getsockname())}...`);

async function serve(conn: Socket): Promise<void> {
  try {
    await conn.sendAll("Hello, world!");
  } catch (err) {
    console.error(`server: send: ${(err as Error).message}`);
  } finally {
    conn.close();
  }
}

process.on("SIGINT", () => {
  server.close(); // the pending accept() rejects with ERR_SOCKET_CLOSED; the loop below ends
});

for (;;) {
  let conn: Socket;
  try {
    conn = await server.accept();
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_SOCKET_CLOSED") break;
    console.error(`server: accept: ${(err as Error).message}`);
    continue;
  }
  const peer = conn.getpeername();
  console.log(`server: got connection from ${"address" in peer ? peer.address : formatAddress(peer)}`);
  void serve(conn);
}
console.log("server: bye");
