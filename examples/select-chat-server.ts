/**
 * select-chat-server.ts — Beej's multiperson chat server (selectserver.c,
 * Beej's Guide to Network Programming §7.3), ported line by line onto
 * `posix`: blocking sockets and one select() loop. Whatever a client sends is
 * relayed to every other client.
 *
 * Run:   npx tsx examples/select-chat-server.ts [address]   (default 127.0.0.1:9034)
 * Then, in two or three other terminals:   nc 127.0.0.1 9034
 *
 * "[::]:9034" listens on all IPv6 (and v4-mapped) addresses; "127.0.0.1:0"
 * picks a free port (printed). posix.select blocks the thread, as in C: this
 * is a script, not event-loop code (that would use Socket and Selector).
 * Output goes through fs.writeSync, C's printf, so it is never left waiting
 * for an event loop that select() does not let run. Ctrl-C ends it.
 */
import { writeSync } from "node:fs";
import { posix, formatAddress, parseAddress, SocketError, type SocketAddress } from "../src/index.js";

const printf = (text: string): void => void writeSync(1, text);
const perror = (what: string, err: unknown): void => void writeSync(2, `${what}: ${(err as Error).message}\n`);

const PORT = "127.0.0.1:9034"; // the address we're listening on

const address = parseAddress(process.argv[2] ?? PORT);
if (address.family !== "inet" && address.family !== "inet6") {
  printf("usage: select-chat-server.ts [HOST:PORT]\n");
  process.exit(1);
}

const master = new Set<number>(); // master file descriptor list (fd_set master)
// listener = socket(p->ai_family, p->ai_socktype, p->ai_protocol);
const listener = posix.socket(address.family, "stream", 0); // listening socket descriptor
// lose the pesky "address already in use" error message
posix.setsockopt(listener, "SOL_SOCKET", "SO_REUSEADDR", 1);
try {
  posix.bind(listener, address);
} catch (err) {
  posix.close(listener);
  perror("selectserver: failed to bind", err);
  process.exit(2);
}

// listen
try {
  posix.listen(listener, 10);
} catch (err) {
  perror("listen", err);
  process.exit(3);
}
printf(`selectserver: listening on ${formatAddress(posix.getsockname(listener))}\n`);

// add the listener to the master set
master.add(listener);
let fdmax = listener; // keep track of the biggest file descriptor (select() wants it in C; here it bounds the scan)

// main loop
for (;;) {
  let readFds: number[];
  try {
    // read_fds = master; select(fdmax+1, &read_fds, NULL, NULL, NULL)
    [readFds] = posix.select([...master], [], [], undefined);
  } catch (err) {
    perror("select", err);
    process.exit(4);
  }
  const ready = new Set(readFds);

  // run through the existing connections looking for data to read
  for (let i = 0; i <= fdmax; i++) {
    if (!ready.has(i)) continue; // we got one!!
    if (i === listener) {
      // handle new connections
      let newfd: number;
      let remote: SocketAddress;
      try {
        ({ fd: newfd, address: remote } = posix.accept(listener));
      } catch (err) {
        perror("accept", err);
        continue;
      }
      master.add(newfd); // add to master set
      if (newfd > fdmax) fdmax = newfd; // keep track of the max
      const remoteIP = remote.family === "inet" || remote.family === "inet6" ? remote.address : formatAddress(remote);
      printf(`selectserver: new connection from ${remoteIP} on socket ${newfd}\n`);
    } else {
      // handle data from a client
      let buf: Buffer;
      try {
        buf = posix.recv(i, 256, 0);
      } catch (err) {
        perror("recv", err); // got error...
        posix.close(i); // bye!
        master.delete(i); // remove from master set
        continue;
      }
      if (buf.length === 0) {
        // ...or connection closed by client
        printf(`selectserver: socket ${i} hung up\n`);
        posix.close(i); // bye!
        master.delete(i); // remove from master set
        continue;
      }
      // we got some data from a client
      for (let j = 0; j <= fdmax; j++) {
        // send to everyone!
        if (master.has(j)) {
          // except the listener and ourselves
          if (j !== listener && j !== i) {
            try {
              posix.send(j, buf, 0);
            } catch (err) {
              if (!(err instanceof SocketError)) throw err;
              perror("send", err);
            }
          }
        }
      }
    }
  }
}
