/**
 * activated-server.ts — an echo server that runs both socket-activated (systemd,
 * or `systemd-socket-activate`) and stand-alone. Activated, it serves every
 * listening socket it was handed — TCP, Unix stream, Unix seqpacket, even Unix
 * datagram sockets (echoed back to the sender), which Node's net cannot adopt.
 * Stand-alone, it opens its own with createServer. Either way it tells the
 * service manager "READY=1" over NOTIFY_SOCKET once it serves, and prints one
 * line per socket.
 *
 * Run:   npx tsx examples/activated-server.ts [PORT | PATH]        (stand-alone; default port 7007)
 * Or:    systemd-socket-activate -l 7007 -l /tmp/echo.sock node --import tsx examples/activated-server.ts
 * Then:  npx tsx cli/main.ts connect 127.0.0.1:7007   (or: nc 127.0.0.1 7007)
 *
 * Activated, the manager must start node itself: it sets LISTEN_PID to the pid
 * it execs, and a launcher in between (`npx tsx …`, `npm exec`, `sh -c` without
 * exec) is another pid and does not pass fds 3… on — listenFds() then adopts
 * nothing and warns (SOCKIT_LISTEN_PID_MISMATCH), and this example falls back
 * to stand-alone, where the manager already holds the port: it says so in one
 * line and exits 1.
 *
 * SIGTERM or SIGINT closes the listening sockets and ends the process.
 */
import { type Server, Socket, SocketError, createServer, formatAddress, listenFds, notify } from "../src/index.js";

/** Echoes everything a stream/seqpacket connection sends until it closes. */
async function echo(conn: Socket): Promise<void> {
  try {
    for (;;) {
      const data = await conn.recv(65536);
      if (data.length === 0) break;
      await conn.sendAll(data);
    }
  } catch {
    // A reset connection ends its echo loop; the server goes on.
  } finally {
    conn.close();
  }
}

/** Accepts and echoes on one listening socket until it is closed. */
async function serveListening(listener: Socket): Promise<void> {
  for (;;) {
    let conn: Socket;
    try {
      conn = await listener.accept();
    } catch {
      return; // closed at shutdown
    }
    void echo(conn);
  }
}

/** Echoes datagrams back to their senders. */
async function serveDatagrams(sock: Socket): Promise<void> {
  try {
    for (;;) {
      const { data, address } = await sock.recvfrom(65536);
      if (address) await sock.sendto(data, address);
    }
  } catch {
    // Closed at shutdown.
  }
}

const where = (s: Socket): string => {
  try {
    return formatAddress(s.getsockname());
  } catch {
    return `fd ${s.fd}`;
  }
};

const activated = listenFds();
const sockets: Socket[] = [];
const stops: (() => void)[] = [];
if (activated.length > 0) {
  for (const { name, socket } of activated) {
    if (socket === null) continue;
    sockets.push(socket);
    console.log(`activated-server: serving ${name} ${socket.family}/${socket.type} on ${where(socket)}`);
    if (socket.type === "dgram") void serveDatagrams(socket);
    else void serveListening(socket);
  }
  stops.push(() => sockets.forEach((s) => s.close()));
} else {
  const arg = process.argv[2] ?? "7007";
  let server: Server;
  try {
    server = /^\d+$/.test(arg)
      ? await createServer({ host: "127.0.0.1", port: Number(arg) })
      : await createServer({ path: arg });
  } catch (e) {
    // One line, no stack trace: the usual cause is a port or path already in use.
    if (!(e instanceof SocketError)) throw e;
    const busy =
      e.code === "EADDRINUSE"
        ? " (something already listens there: another copy of this server, or a socket activator whose sockets did not reach this process)"
        : "";
    console.error(`activated-server: ${e.message}${busy}`);
    process.exit(1);
  }
  console.log(`activated-server: serving stand-alone on ${formatAddress(server.address())}`);
  stops.push(() => server.close());
  void (async () => {
    for await (const conn of server) void echo(conn);
  })();
}

const told = await notify("READY=1");
console.log(`activated-server: ready${told ? " (told the service manager)" : ""}`);

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.once(sig, () => {
    void notify("STOPPING=1").finally(() => {
      for (const stop of stops) stop();
      console.log("activated-server: stopped");
    });
  });
}
