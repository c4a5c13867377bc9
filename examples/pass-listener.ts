/**
 * pass-listener.ts — a zero-downtime restart: the running server hands its
 * listening socket to its successor over a Unix socket (SCM_RIGHTS), so the
 * port never closes and no connection is refused while the code changes.
 *
 * This is how nginx, HAProxy and systemd's socket activation keep a port
 * open across restarts. A listening socket is just an fd: passing it gives
 * the new process the same kernel socket, with its accept queue — connections
 * that arrive during the handover wait there and the successor accepts them.
 *
 * Run:   npx tsx examples/pass-listener.ts [connections]
 *        (default 30; a client connects that many times in a row)
 *
 * The old server (this process) listens on 127.0.0.1, serves a third of the
 * connections, then starts the new server (this file again, as a child, with
 * one end of a socketpair as its fd 3), passes it the listener with sendFds()
 * and stops accepting. Each answer names the process that served it. Exits
 * non-zero if any connection failed or one generation served none.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Socket, recvFds, sendFds, socketpair } from "../src/index.js";

/** Answers every connection with `generation pid`, until the listener is closed. */
async function serve(listener: Socket, generation: string): Promise<number> {
  let served = 0;
  for (;;) {
    let conn: Socket;
    try {
      conn = await listener.accept();
    } catch (e) {
      if ((e as { code?: string }).code === "ERR_SOCKET_CLOSED") return served;
      throw e;
    }
    await conn.sendAll(`${generation} ${process.pid}\n`);
    conn.close();
    served++;
  }
}

if (process.argv[2] === "--successor") {
  // The new server: fd 3 is its end of the socketpair (Socket.fromFd takes ownership).
  const control = Socket.fromFd(3);
  const handover = await recvFds(control, 64, 1);
  const [fd] = handover.fds; // the listener, ours now
  if (fd === undefined) throw new Error("successor: no listener came with the handover");
  const listener = Socket.fromFd(fd);
  console.log(`new server ${process.pid}: got the listener on ${JSON.stringify(listener.getsockname())}`);
  const serving = serve(listener, "new");
  // The old server closes its end when the demo is over: EOF means stop.
  await control.recv(1);
  listener.close();
  control.close();
  console.log(`new server ${process.pid}: served ${await serving} connections`);
} else {
  const total = Number(process.argv[2] ?? 30);
  const listener = new Socket("inet", "stream");
  listener.bind("127.0.0.1:0");
  listener.listen();
  const address = listener.getsockname();
  console.log(`old server ${process.pid}: listening on ${JSON.stringify(address)}`);
  const oldServing = serve(listener, "old");

  const [mine, theirs] = socketpair("unix", "stream");
  let successor: ReturnType<typeof spawn> | undefined;
  const answers: string[] = [];
  let failures = 0;
  for (let i = 0; i < total; i++) {
    if (i === Math.floor(total / 3)) {
      // Hand over: start the successor, pass it the listener, stop accepting.
      successor = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--successor"], {
        stdio: ["ignore", "inherit", "inherit", theirs.fd],
      });
      theirs.close(); // the child has its copy
      await sendFds(mine, "listener", [listener]);
      listener.close(); // our copy only: the socket stays open in the successor
      console.log(`old server ${process.pid}: handed the listener over and stopped accepting`);
    }
    const client = new Socket("inet", "stream");
    try {
      // Generous: a connection made during the handover waits in the queue until
      // the successor (a new Node process) has started and accepts it.
      await client.connect(address, { timeout: 20_000 });
      answers.push((await client.recv(64, { timeout: 20_000 })).toString().trim());
    } catch (e) {
      failures++;
      console.log(`client: connection ${i} failed: ${(e as Error).message}`);
    } finally {
      client.close();
    }
  }
  const servedOld = await oldServing;
  mine.close(); // tells the successor to stop
  await new Promise((resolve) => successor?.once("exit", resolve));
  const servedNew = answers.filter((a) => a.startsWith("new")).length;
  console.log(
    `client: ${answers.length} answers (${servedOld} by the old server, ${servedNew} by the new one), ${failures} failures`,
  );
  process.exitCode = failures === 0 && servedOld > 0 && servedNew > 0 ? 0 : 1;
}
