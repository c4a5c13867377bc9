/**
 * privsep-opener.ts — privilege separation: a small privileged helper opens
 * files for an unprivileged worker and passes it the open fds (SCM_RIGHTS).
 *
 * The worker — the part that parses untrusted input — runs with no rights to
 * speak of; the helper does one thing, checks each request against a policy,
 * and answers with an fd or a refusal. A compromised worker can read only
 * what the policy allows, and only through fds it was given. OpenSSH's
 * privsep monitor, Chrome's broker process and systemd's fd store work this
 * way; Node cannot do it without a native addon, because passing an fd needs
 * sendmsg(2) ancillary data.
 *
 * Run:   sudo npx tsx examples/privsep-opener.ts
 *        (as root the worker is started as nobody and first shows that it
 *        cannot open the secret itself; without root both run as you, and the
 *        demo still shows the protocol and the policy)
 *
 * The helper (this process) writes a secret file only root can read, starts
 * the worker (this file again, with one end of a seqpacket socketpair as fd
 * 3), and serves its requests: a path in, `ok` + an fd or `denied: why` out.
 * It checks who is asking with SO_PEERCRED and which paths it may have. Exits
 * non-zero if the worker did not get exactly what the policy allows.
 */
import { spawn } from "node:child_process";
import { chmodSync, closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Socket, peerCredentials, recvFds, sendFds, socketpair } from "../src/index.js";

if (process.argv[2] === "--worker") {
  // ---- the unprivileged worker -------------------------------------------
  const [secret, forbidden] = process.argv.slice(3) as [string, string];
  const helper = Socket.fromFd(3);
  console.log(`worker (uid ${process.getuid!()}): started`);
  try {
    openSync(secret, "r");
    console.log(`worker: opened ${secret} myself (no privilege separation without root)`);
  } catch (e) {
    console.log(`worker: cannot open ${secret} myself: ${(e as { code?: string }).code}`);
  }
  let failed = false;
  for (const path of [secret, forbidden]) {
    await helper.send(path);
    const reply = await recvFds(helper, 256, 1);
    const [fd] = reply.fds; // ours to read and close
    if (fd === undefined) {
      console.log(`worker: asked for ${path}: ${reply.data}`);
      failed ||= path === secret;
      continue;
    }
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    closeSync(fd);
    console.log(`worker: asked for ${path}: got an fd, the file says "${buf.subarray(0, n).toString().trim()}"`);
    failed ||= path !== secret;
  }
  helper.close();
  process.exitCode = failed ? 1 : 0;
} else {
  // ---- the privileged helper ---------------------------------------------
  const dir = mkdtempSync(join(tmpdir(), "sockit-privsep-"));
  chmodSync(dir, 0o755);
  const secret = join(dir, "secret.txt");
  writeFileSync(secret, "the helper opened this for you\n", { mode: 0o600 });
  const forbidden = "/etc/hostname";
  const allowed = new Set([secret]); // the policy: this file and nothing else

  const [mine, theirs] = socketpair("unix", "seqpacket");
  const root = process.getuid!() === 0;
  const worker = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "--worker", secret, forbidden],
    {
      stdio: ["ignore", "inherit", "inherit", theirs.fd],
      // As root, drop to nobody: the worker cannot read the 0600 secret itself.
      ...(root ? { uid: 65534, gid: 65534 } : {}),
    },
  );
  theirs.close();
  const exited = new Promise<number | null>((resolve) => worker.once("exit", resolve));

  // SO_PEERCRED of a socketpair names its creator (us); ask the kernel who
  // sent each request instead, with SCM_CREDENTIALS.
  mine.setsockopt("SOL_SOCKET", "SO_PASSCRED", true);
  console.log(
    `helper (uid ${process.getuid!()}): serving ${root ? "a worker running as nobody" : "a worker running as you"}; socketpair peer ${JSON.stringify(peerCredentials(mine))}`,
  );
  for (;;) {
    const req = await mine.recvmsg({ size: 4096 });
    // EOF (the worker is gone): no bytes and — unlike every message under
    // SO_PASSCRED, even an empty one — no credentials.
    if (req.size === 0 && req.credentials === undefined) break;
    const path = req.data.toString();
    const who = req.credentials;
    if (who === undefined || who.pid !== worker.pid) {
      await mine.send(`denied: request from pid ${who?.pid}, not the worker`);
    } else if (!allowed.has(path)) {
      console.log(`helper: pid ${who.pid} (uid ${who.uid}) asked for ${path}: not in the policy`);
      await mine.send("denied: not in the policy");
    } else {
      const fd = openSync(path, "r");
      console.log(`helper: pid ${who.pid} (uid ${who.uid}) asked for ${path}: sending an fd`);
      await sendFds(mine, "ok", [fd]);
      closeSync(fd); // the worker has its own reference now
    }
  }
  const code = await exited;
  mine.close();
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = code ?? 1;
}
