/**
 * fd exhaustion and recovery: a createServer accept loop with 30 fds to spare
 * meets a 600-connection flood (held open), runs out of fds, backs off, and
 * once the flood is released serves 200 fresh clients. Figures: connections
 * accepted while exhausted, warnings printed, fresh clients served.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Socket } from "../../src/index.js";
import { check, fds, figure, hardFdLimit, lowestFreeFd, setFdLimit, since, sleep } from "./common.js";

/** The first line a child prints. */
function firstLine(p: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    p.stdout!.on("data", (d) => {
      out += String(d);
      if (out.includes("\n")) resolve(out.split("\n")[0]!);
    });
    p.once("close", () => reject(new Error(`child exited before a line: ${out}`)));
  });
}

const FLOOD = 600;
const FRESH = 200;
const warnings: string[] = [];
process.on("warning", (w) => warnings.push(`${(w as { code?: string }).code ?? w.name}`));

const server = await createServer({ host: "127.0.0.1", port: 0, backlog: 4096 });
const port = (server.address() as { port: number }).port;
const held: Socket[] = [];
let holding = true;
let served = 0;
const loop = (async () => {
  for await (const c of server) {
    served++;
    if (holding) held.push(c);
    else {
      await c.send("hi").catch(() => undefined);
      c.close();
    }
  }
})();

// The clients live in a Python child with plenty of fds: only the server is starved.
const PEER = `
import socket, sys
mode, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if mode == "flood":
    held = []
    for i in range(n):
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        except OSError as e:
            print("connect failed:", e, file=sys.stderr)
    print(len(held), flush=True)
    sys.stdin.read()
else:
    import concurrent.futures
    def one(_):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        data = b""
        while True:
            b = s.recv(16)
            if not b:
                break
            data += b
        s.close()
        return data == b"hi"
    with concurrent.futures.ThreadPoolExecutor(50) as ex:
        print(sum(ex.map(one, range(n))), flush=True)
`;
const HARD = hardFdLimit();
const fdsBefore = fds();
setFdLimit(lowestFreeFd() + 30);
// Children get a limit of their own (they would inherit ours): root may raise it.
const floodProc = spawn("prlimit", [`--nofile=${HARD}:`, "python3", "-c", PEER, "flood", String(port), String(FLOOD)], {
  stdio: ["pipe", "pipe", "inherit"],
});
const floodOpened = Number(await firstLine(floodProc));
await sleep(500);
const acceptedExhausted = served;
check(warnings.filter((w) => w === "SOCKIT_ACCEPT_BACKOFF").length === 1, "one back-off warning");
check(floodOpened === FLOOD, `every flood connection completed (in the backlog): ${floodOpened}`);
check(acceptedExhausted < FLOOD, "the server did run out of fds");
floodProc.stdin!.end();
await new Promise((r) => floodProc.once("close", r));
for (const c of held.splice(0)) c.close();
holding = false;
const t0 = performance.now();
const freshProc = spawn("prlimit", [`--nofile=${HARD}:`, "python3", "-c", PEER, "fresh", String(port), String(FRESH)], {
  stdio: ["ignore", "pipe", "inherit"],
});
const ok = Number(await firstLine(freshProc));
const seconds = since(t0);
check(ok === FRESH, `${FRESH} fresh clients served (got ${ok})`);
server.close();
await loop;
await sleep(100);
check(fds() <= fdsBefore, `fds back to ${fdsBefore} (now ${fds()})`);
figure(
  "fd-exhaustion",
  `${floodOpened} of ${FLOOD} flood connections opened against a server with 30 fds to spare; ${acceptedExhausted} accepted, then accept backed off (${warnings.length} warning); after the flood: ${ok}/${FRESH} fresh clients served in ${seconds} s; fds ${fdsBefore} → ${fds()}`,
  { flood: FLOOD, acceptedExhausted, warnings: warnings.length, fresh: FRESH, served: ok, seconds },
);
