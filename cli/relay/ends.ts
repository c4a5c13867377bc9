/**
 * The ends a relay moves data between, opened from parsed addresses
 * (cli/address.ts). Every end offers the four calls of the End contract
 * (./end.ts).
 *
 * Socket ends read with recvInto into the relay's buffer and write with
 * sendAll/send from it: no allocation per chunk on the bulk path.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createReadStream, createWriteStream, fstatSync, lstatSync, statSync, unlinkSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { Socket, type SocketAddress, type WaitOptions, getaddrinfo, isStaleSocket } from "../../src/index.js";
import type { Endpoint, SocketEndpoint } from "../address.js";
import { CliError, UsageError, errorText } from "../errors.js";
import type { Context } from "../runtime.js";
import { ChunkReader, type End } from "./end.js";
import {
  acceptSocket,
  bindSocket,
  closeSocket,
  connectSocket,
  listenSocket,
  openSocket,
  showAddress,
} from "../steps.js";

/** The largest UDP payload over IPv4 (65535 − 20 − 8); IPv6 allows 65527. */
const UDP_MAX = { inet: 65507, inet6: 65527 } as const;
/** A Unix datagram larger than this needs a larger SO_SNDBUF; relays keep below it. */
const UNIX_DGRAM_MAX = 65536;

/** Errors that mean "the peer went away": the direction ends, the relay goes on. */
export function isPeerGone(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ECONNRESET" || code === "EPIPE" || code === "ENOTCONN" || code === "ECONNREFUSED";
}

// ---------------------------------------------------------------------------
// Sockets.

/** A connected socket (or a datagram socket that learns its peer from the first datagram). */
export class SocketEnd implements End {
  readonly messages: boolean;
  readonly canEof: boolean;
  readonly maxWrite: number;
  /** For a listening datagram end: resolves once the first datagram named the peer. */
  #peer: Promise<void> | undefined;
  #peerKnown: (() => void) | undefined;
  #noReply: string | undefined;

  constructor(
    readonly name: string,
    readonly socket: Socket,
    private readonly ctx: Context,
    /** True for udp-listen / unix-dgram-listen: the first datagram's sender becomes the peer. */
    learnPeer = false,
  ) {
    const type = socket.type;
    this.messages = type !== "stream";
    this.canEof = type !== "dgram";
    this.maxWrite =
      type === "dgram"
        ? socket.family === "unix"
          ? UNIX_DGRAM_MAX
          : UDP_MAX[socket.family === "inet6" ? "inet6" : "inet"]
        : Infinity;
    if (learnPeer) {
      this.#peer = new Promise((resolve) => (this.#peerKnown = resolve));
    }
  }

  async read(buf: Buffer): Promise<number> {
    if (this.#peerKnown) {
      // The first datagram: recvfrom (one allocation, once) names the peer, which
      // we connect to so that replies go back and later reads use recvInto.
      const d = await this.socket.recvfrom(buf.length);
      d.data.copy(buf);
      await this.#connectPeer(d.address);
      return d.size;
    }
    for (;;) {
      let n: number;
      try {
        n = await this.socket.recvInto(buf);
      } catch (e) {
        // A UDP socket reports an ICMP "port unreachable" for an earlier
        // datagram as ECONNREFUSED on the next call: the peer may come back,
        // so the relay goes on (socat's behaviour too).
        if (this.#transient(e)) continue;
        throw e;
      }
      if (n === 0 && this.messages && this.canEof) return -1; // seqpacket: 0 is EOF
      if (n === 0 && !this.messages) return -1;
      return n;
    }
  }

  /** True when the call that failed with `e` should be made again (or its datagram counted lost). */
  #transient(e: unknown): boolean {
    if (this.socket.closed || this.canEof) return false;
    if ((e as { code?: unknown } | null)?.code !== "ECONNREFUSED") return false;
    this.ctx.step(`${this.name}: ECONNREFUSED (nobody listens there yet?): going on`);
    return true;
  }

  async #connectPeer(address: SocketAddress): Promise<void> {
    const known = this.#peerKnown!;
    this.#peerKnown = undefined;
    const unnamed = address.family === "unix" && (address.path === "" || address.path.length === 0);
    if (unnamed) {
      this.#noReply = `${this.name}: the first datagram came from an unnamed socket, so nothing can be sent back (bind the sender)`;
      this.ctx.step(`${this.name}: datagram from (unnamed): replies are dropped`);
    } else {
      // connect(2) on a datagram socket only sets the default peer (and filters what is received).
      await this.socket.connect(address);
      this.ctx.step(`connect fd ${this.socket.fd} → ${showAddress(address)} (the first datagram's sender)`);
    }
    known();
  }

  async write(buf: Buffer, n: number): Promise<void> {
    if (this.#peer) {
      await this.#peer;
      if (this.#noReply !== undefined) {
        this.ctx.detail(`dropped ${n} bytes: ${this.#noReply}`);
        return;
      }
    }
    const data = n === buf.length ? buf : buf.subarray(0, n);
    if (!this.messages) return this.socket.sendAll(data);
    try {
      await this.socket.send(data);
    } catch (e) {
      // A datagram refused with ECONNREFUSED is lost, as datagrams may be.
      if (!this.#transient(e)) throw e;
    }
  }

  endWrite(): void {
    if (this.socket.closed || !this.canEof) return;
    try {
      this.socket.shutdown("write");
      this.ctx.step(`shutdown fd ${this.socket.fd} write (${this.name})`);
    } catch {
      /* the peer is already gone */
    }
  }

  close(): void {
    closeSocket(this.ctx, this.socket);
  }
}

/** Sets the per-address socket options: reuseaddr, reuseport, so=LEVEL:NAME=VALUE. */
function applyOptions(ctx: Context, s: Socket, ep: SocketEndpoint): void {
  if (ep.options.reuseaddr) {
    s.setsockopt("SOL_SOCKET", "SO_REUSEADDR", true);
    ctx.step(`setsockopt fd ${s.fd} SO_REUSEADDR 1`);
  }
  if (ep.options.reuseport) {
    s.setsockopt("SOL_SOCKET", "SO_REUSEPORT", true);
    ctx.step(`setsockopt fd ${s.fd} SO_REUSEPORT 1`);
  }
  for (const o of ep.options.so) {
    const level = /^\d+$/.test(o.level) ? Number(o.level) : o.level;
    const name = /^\d+$/.test(o.name) ? Number(o.name) : o.name;
    // The option table checks the value's shape for known options.
    try {
      (s.setsockopt as (l: string | number, n: string | number, v: unknown) => void)(level, name, o.value);
    } catch (e) {
      // Name the address; a wrong name or value is the user's (exit 2), a refusal the kernel's (exit 1).
      const text = `${ep.text}: ${errorText(e)}`;
      if (e instanceof TypeError || e instanceof RangeError || /^ERR_/.test(String((e as { code?: unknown }).code)))
        throw new UsageError(text);
      throw new CliError(text);
    }
    ctx.step(
      `setsockopt fd ${s.fd} ${o.level} ${o.name} ${Buffer.isBuffer(o.value) ? o.value.toString("hex") : String(o.value)}`,
    );
  }
}

/**
 * Binds `s` to a Unix path, with `mode` applied through the umask so the file
 * is never more open than asked, and registers its removal at exit.
 */
async function bindPath(ctx: Context, s: Socket, ep: SocketEndpoint): Promise<void> {
  const path = ep.address.family === "unix" ? ep.address.path : "";
  const isFile = typeof path === "string" && path !== "" && !path.startsWith("\0");
  if (isFile && ep.options.unlink && lstatSync(path, { throwIfNoEntry: false })?.isSocket()) {
    // Only a socket file left by a process that died is removed (the library's
    // check, as createServer's): never another file, never a live socket.
    if (!(await isStaleSocket(path, ep.type))) {
      throw new CliError(`${ep.text}: ${path} is in use (something listens on it or is bound to it): not removed`);
    }
    unlinkSync(path);
    ctx.step(`unlink ${path} (stale socket file)`);
  }
  if (ep.options.mode !== undefined && isFile) {
    const old = process.umask(~ep.options.mode & 0o777);
    try {
      bindSocket(ctx, s, ep.address);
    } finally {
      process.umask(old);
    }
  } else {
    bindSocket(ctx, s, ep.address);
  }
  if (isFile) {
    // Remove the socket file we created, on exit, error or Ctrl-C — but only
    // while it is still ours (same inode).
    const ino = statSync(path).ino;
    ctx.onCleanup(() => {
      if (statSync(path, { throwIfNoEntry: false })?.ino === ino) {
        unlinkSync(path);
        ctx.step(`unlink ${path}`);
      }
    });
  }
}

/** A listening socket that hands out connections (stream/seqpacket listen addresses). */
export class Listener {
  constructor(
    readonly ep: SocketEndpoint,
    readonly socket: Socket,
    private readonly ctx: Context,
  ) {}

  /** Accepts the next connection as an End. */
  async accept(options: WaitOptions = { signal: this.ctx.signal }): Promise<SocketEnd> {
    const conn = await acceptSocket(this.ctx, this.socket, options);
    return new SocketEnd(this.ep.text, conn, this.ctx);
  }

  close(): void {
    closeSocket(this.ctx, this.socket);
  }
}

/**
 * The endpoints to try for `ep`: itself, or — when it names a host — one per
 * address getaddrinfo returns (tcp:/udp: any family, tcp6:/udp6: IPv6 only).
 */
async function resolveEndpoint(ctx: Context, ep: SocketEndpoint): Promise<SocketEndpoint[]> {
  if (ep.host === undefined || ep.family === "unix") return [ep];
  const port = ep.address.family === "inet" || ep.address.family === "inet6" ? ep.address.port : 0;
  const family = /6/.test(ep.name) ? "inet6" : "unspec";
  ctx.step(`getaddrinfo ${ep.host} ${port} ${family} ${ep.type} …`);
  let infos;
  try {
    infos = await getaddrinfo(ep.host, port, { family, socktype: ep.type === "dgram" ? "dgram" : "stream" });
  } catch (e) {
    throw new CliError(`${ep.text}: ${errorText(e)}`);
  }
  const seen = new Set<string>();
  const out: SocketEndpoint[] = [];
  for (const info of infos) {
    const a = info.address;
    if (a.family !== "inet" && a.family !== "inet6") continue;
    const key = showAddress(a);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...ep, family: a.family, address: a, host: undefined });
  }
  ctx.step(`getaddrinfo ${ep.host} → ${[...seen].join(", ") || "(none)"}`);
  if (out.length === 0) throw new CliError(`${ep.text}: ${ep.host} has no ${family === "inet6" ? "IPv6 " : ""}address`);
  return out;
}

/** Tries `open` on each endpoint `ep` resolves to, in order; the first success wins. */
async function firstOf<T>(ctx: Context, ep: SocketEndpoint, open: (e: SocketEndpoint) => Promise<T>): Promise<T> {
  const candidates = await resolveEndpoint(ctx, ep);
  let last: unknown;
  for (const [i, c] of candidates.entries()) {
    try {
      return await open(c);
    } catch (e) {
      last = e;
      if (ctx.signal.aborted || i === candidates.length - 1) break;
      ctx.step(`${showAddress(c.address)}: ${errorText(e)}; trying the next address`);
    }
  }
  throw last;
}

/** Creates, binds and listens (stream/seqpacket listen addresses), resolving a host name first. */
export function listenOn(ctx: Context, ep: SocketEndpoint): Promise<Listener> {
  return firstOf(ctx, ep, (e) => listenNow(ctx, e));
}

async function listenNow(ctx: Context, ep: SocketEndpoint): Promise<Listener> {
  const s = openSocket(ctx, ep.family, ep.type);
  try {
    applyOptions(ctx, s, ep);
    if (ep.family === "unix") await bindPath(ctx, s, ep);
    else bindSocket(ctx, s, ep.address);
    listenSocket(ctx, s);
  } catch (e) {
    closeSocket(ctx, s);
    throw e;
  }
  return new Listener(ep, s, ctx);
}

/** Opens a socket end: connects, or binds a datagram listener, or listens and accepts one connection. */
export function openSocketEnd(ctx: Context, ep: SocketEndpoint): Promise<SocketEnd> {
  return firstOf(ctx, ep, (e) => openResolved(ctx, e));
}

async function openResolved(ctx: Context, ep: SocketEndpoint): Promise<SocketEnd> {
  if (ep.listen && ep.type !== "dgram") {
    const l = await listenNow(ctx, ep);
    try {
      return await l.accept();
    } finally {
      l.close();
    }
  }
  const s = openSocket(ctx, ep.family, ep.type);
  try {
    applyOptions(ctx, s, ep);
    if (ep.listen) {
      if (ep.family === "unix") await bindPath(ctx, s, ep);
      else bindSocket(ctx, s, ep.address);
      return new SocketEnd(ep.text, s, ctx, true);
    }
    if (ep.options.bind) {
      if (ep.options.bind.family === "unix")
        await bindPath(ctx, s, { ...ep, address: ep.options.bind, options: { so: [] } });
      else bindSocket(ctx, s, ep.options.bind);
    } else if (ep.family === "unix" && ep.type === "dgram") {
      // An unbound Unix datagram socket cannot get replies: autobind gives it
      // an abstract name (bind with an empty path).
      bindSocket(ctx, s, { family: "unix", path: "" });
    }
    await connectSocket(ctx, s, ep.address, { signal: ctx.signal });
    return new SocketEnd(ep.text, s, ctx);
  } catch (e) {
    closeSocket(ctx, s);
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Node streams: stdio, exec, file, fd (when not a socket), WebSocket.

/** Writes to a Node Writable, copying (the caller reuses its buffer) and honouring backpressure. */
async function writeTo(w: Writable, buf: Buffer, n: number): Promise<void> {
  if (w.destroyed || w.writableEnded) throw Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
  const copy = Buffer.from(buf.subarray(0, n));
  await new Promise<void>((resolve, reject) => {
    const ok = w.write(copy, (err) => {
      if (err && !ok) reject(err);
    });
    if (ok) resolve();
    else {
      const onDrain = (): void => {
        w.off("error", onError);
        resolve();
      };
      const onError = (e: Error): void => {
        w.off("drain", onDrain);
        reject(e);
      };
      w.once("drain", onDrain);
      w.once("error", onError);
    }
  });
}

/** An end over a readable and a writable Node stream (either may be absent). */
export class StreamEnd implements End {
  readonly messages = false;
  readonly canEof = true;
  readonly maxWrite = Infinity;
  #reader: ChunkReader | undefined;
  #writeError: unknown;

  constructor(
    readonly name: string,
    private readonly input: Readable | undefined,
    private readonly output: Writable | undefined,
    private readonly onClose: () => void = () => undefined,
    /** Keep the output open at endWrite (stdout: other output may follow). */
    private readonly keepOutput = false,
  ) {
    if (input) {
      const reader = new ChunkReader(input);
      input.on("end", () => reader.end());
      input.on("close", () => reader.end());
      input.on("error", (e) => reader.fail(e));
      this.#reader = reader;
    }
    // An output error (EPIPE from a closed pipe) fails the next write, not the process.
    output?.on("error", (e) => (this.#writeError ??= e));
  }

  read(buf: Buffer): Promise<number> {
    return this.#reader ? this.#reader.read(buf) : Promise.resolve(-1);
  }

  async write(buf: Buffer, n: number): Promise<void> {
    if (this.#writeError !== undefined) throw this.#writeError;
    if (!this.output) return; // a read-only end drops what it is sent
    await writeTo(this.output, buf, n);
  }

  endWrite(): void {
    if (this.output && !this.keepOutput && !this.output.writableEnded) this.output.end();
  }

  close(): void {
    this.input?.pause();
    if (this.input && "destroy" in this.input && this.input !== process.stdin) this.input.destroy();
    if (this.input === process.stdin) process.stdin.destroy();
    this.endWrite();
    this.onClose();
  }
}

/** stdin/stdout. */
export function openStdio(name = "stdio"): End {
  return new StreamEnd(name, process.stdin, process.stdout, () => undefined, true);
}

/** stdout only: reading gives EOF at once (`listen --keep-open` without --exec). */
export function openStdoutOnly(): End {
  return new StreamEnd("stdout", undefined, process.stdout, () => undefined, true);
}

/** A child process (`sh -c CMD`): its stdin receives, its stdout is read; stderr passes through. */
export function openExec(ctx: Context, name: string, command: string): End {
  const child: ChildProcess = spawn("/bin/sh", ["-c", command], { stdio: ["pipe", "pipe", "inherit"] });
  ctx.step(`exec sh -c ${JSON.stringify(command)} → pid ${child.pid ?? "?"}`);
  let exited = false;
  // Stops the child if sockit ends first (Ctrl-C, an error); unregistered when it exits.
  const kill = ctx.onCleanup(() => {
    if (!exited) child.kill("SIGTERM");
  });
  child.on("exit", (code, signal) => {
    exited = true;
    kill();
    ctx.step(`exit pid ${child.pid} ${signal ?? `code ${code}`}`);
  });
  child.on("error", (e) => ctx.step(`exec failed: ${e.message}`));
  return new StreamEnd(name, child.stdout!, child.stdin!, () => {
    // The relay is over: give the child its EOF and a moment to finish, then stop it.
    if (!exited) setTimeout(kill, 2000).unref();
  });
}

/**
 * A file: read when it exists (its content, then EOF; what the relay sends
 * to it is dropped), written when it does not (or with `create`/`append`).
 */
export function openFile(ctx: Context, name: string, path: string, append = false, create = false): End {
  const exists = statSync(path, { throwIfNoEntry: false }) !== undefined;
  if (exists && !append && !create) {
    ctx.step(`open ${path} for reading`);
    return new StreamEnd(name, createReadStream(path, { highWaterMark: 256 * 1024 }), undefined);
  }
  ctx.step(`open ${path} for ${append ? "appending" : "writing"}`);
  return new StreamEnd(name, undefined, createWriteStream(path, { flags: append ? "a" : "w" }));
}

/** fd:N — a socket fd is adopted as a Socket (a duplicate is not made: sockit owns it); anything else is read and written as a stream. */
export function openFd(ctx: Context, name: string, fd: number): End {
  let st;
  try {
    st = fstatSync(fd);
  } catch (e) {
    throw new CliError(`${name}: fd ${fd} is not open (${(e as { code?: string }).code ?? "EBADF"})`);
  }
  if (st.isSocket()) {
    const s = Socket.fromFd(fd);
    ctx.step(`adopt fd ${fd}: ${String(s.family)} ${String(s.type)}`);
    return new SocketEnd(name, s, ctx);
  }
  ctx.step(`fd ${fd}: a ${st.isFIFO() ? "pipe" : st.isCharacterDevice() ? "character device" : "file"}`);
  const input = createReadStream("", { fd, autoClose: false, highWaterMark: 256 * 1024 });
  const output = createWriteStream("", { fd, autoClose: false });
  return new StreamEnd(name, input, output);
}

/** Opens any non-listening-server end (a listen address accepts one connection). */
export async function openEnd(ctx: Context, ep: Endpoint): Promise<End> {
  switch (ep.kind) {
    case "socket":
      return openSocketEnd(ctx, ep);
    case "stdio":
      return openStdio(ep.text);
    case "exec":
      return openExec(ctx, ep.text, ep.command);
    case "file":
      return openFile(ctx, ep.text, ep.path, ep.options.append, ep.options.create);
    case "fd":
      return openFd(ctx, ep.text, ep.fd);
    case "ws": {
      const { openWs } = await import("./ws.js");
      return openWs(ctx, ep);
    }
    case "ws-listen": {
      const { WsListener } = await import("./ws.js");
      const l = await WsListener.open(ctx, ep);
      try {
        return await l.accept();
      } finally {
        l.close();
      }
    }
  }
}
