/**
 * unix-seqpacket.ts — an echo server and client over a Unix SOCK_SEQPACKET
 * socket: a connection, like a stream, that keeps message boundaries, like
 * datagrams. Node's net module offers only Unix *stream* sockets, where three
 * writes of 5, 1 and 60000 bytes may arrive as one read of 60006 or as many
 * small ones; here each recv() returns exactly one message, whole.
 *
 * Run:   npx tsx examples/unix-seqpacket.ts [path]
 *        (default: a fresh socket file in the system temp directory, removed at
 *        the end; "@name" uses the abstract namespace, which leaves no file)
 *
 * Prints each message's size on both sides, and exits non-zero if any echo
 * came back merged, split or changed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Socket } from "../src/index.js";

const dir = process.argv[2] === undefined ? mkdtempSync(join(tmpdir(), "sockit-seqpacket-")) : undefined;
const path = process.argv[2] ?? join(dir!, "echo.sock");

// Sizes chosen so a byte stream would blur them: tiny, one byte, and big.
const messages = [Buffer.from("hello"), Buffer.from("!"), Buffer.alloc(60000, "x"), Buffer.from("bye")];

const server = new Socket("unix", "seqpacket");
server.bind(path);
server.listen();
console.log(`server: listening on ${path}`);

// The server: echo each message back, one recv() per message.
const served = (async () => {
  const conn = await server.accept();
  for (;;) {
    const msg = await conn.recv(65536); // never truncated: 65536 > the largest message
    if (msg.length === 0) break; // EOF: the client shut down its side
    console.log(`server: got a ${msg.length}-byte message, echoing it`);
    await conn.send(msg);
  }
  conn.close();
})();

// The client: send every message back to back, then read the echoes.
const client = new Socket("unix", "seqpacket");
await client.connect(path);
for (const m of messages) await client.send(m);
client.shutdown("write");

let ok = true;
for (const m of messages) {
  const echo = await client.recv(65536);
  const same = echo.equals(m);
  ok &&= same;
  console.log(
    `client: echo of ${m.length} bytes came back as one ${echo.length}-byte message${same ? "" : " (WRONG)"}`,
  );
}
await served;
client.close();
server.close();
if (dir) rmSync(dir, { recursive: true, force: true });

console.log(ok ? `client: ${messages.length} messages, boundaries intact` : "client: message boundaries were lost");
process.exitCode = ok ? 0 : 1;
