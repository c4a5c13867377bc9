/**
 * WebSocket ends (RFC 6455, through the `ws` package): `ws:URL` connects,
 * `ws-listen:[HOST:]PORT[/PATH]` serves, so a web page can reach any socket
 * (as websockify does for VNC). Each WebSocket message is one message of the
 * relay: boundaries are kept towards dgram/seqpacket ends.
 *
 * Frame types: a message from another WebSocket end keeps its type (text in,
 * text out; binary in, binary out). Towards a byte stream or datagram end a
 * text frame is just its UTF-8 bytes, and bytes from such an end go out as
 * binary frames (they have no type; clients such as websockify's read binary).
 * Text frames must be UTF-8 (RFC 6455 §5.6): a text message the relay split
 * inside a character (a long one, cut at the relay's buffer) goes as binary
 * rather than be refused by the peer (close code 1007).
 * WebSocket has no half-close: the end closes (code 1000) when the relay has
 * nothing more to send it.
 */
import { isUtf8 } from "node:buffer";
import { WebSocket, WebSocketServer } from "ws";
import type { WsEndpoint, WsListenEndpoint } from "../address.js";
import { CliError } from "../errors.js";
import type { Context } from "../runtime.js";
import { ChunkReader, type End } from "./end.js";

/** The largest message accepted from a peer (ws's default is 100 MiB). */
const MAX_PAYLOAD = 16 * 1024 * 1024;

export class WsEnd implements End {
  readonly messages = true;
  readonly canEof = true;
  readonly maxWrite = MAX_PAYLOAD;
  #reader: ChunkReader;
  #closed = false;
  #error: unknown;
  /** The buffers that arrived as text frames (their frame type, for lastText). */
  readonly #textChunks = new WeakSet<Buffer>();

  constructor(
    readonly name: string,
    private readonly ws: WebSocket,
    private readonly ctx: Context,
  ) {
    const reader = new ChunkReader({ on: () => undefined, pause: () => ws.pause(), resume: () => ws.resume() });
    this.#reader = reader;
    ws.on("message", (data, isBinary) => {
      const buf = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data as ArrayBuffer);
      ctx.detail(`${name}: ${isBinary ? "binary" : "text"} message of ${buf.length} bytes`);
      if (!isBinary) this.#textChunks.add(buf);
      reader.push(buf);
    });
    ws.on("close", (code) => {
      this.#closed = true;
      ctx.step(`${name}: WebSocket closed (${code})`);
      reader.end();
    });
    ws.on("error", (e) => {
      this.#error ??= e;
      reader.fail(Object.assign(e, { code: (e as { code?: string }).code ?? "ECONNRESET" }));
    });
  }

  /** Whether the message the last read returned came in a text frame. */
  get lastText(): boolean {
    const c = this.#reader.lastChunk;
    return c !== undefined && this.#textChunks.has(c);
  }

  read(buf: Buffer): Promise<number> {
    return this.#reader.read(buf, true);
  }

  /** Sends one message: a text frame when `text` (it came as text from a WebSocket) and it is UTF-8, else binary. */
  async write(buf: Buffer, n: number, text?: boolean): Promise<void> {
    if (this.#error !== undefined) throw this.#error;
    if (this.#closed) throw Object.assign(new Error(`${this.name}: the WebSocket is closed`), { code: "EPIPE" });
    const copy = Buffer.from(buf.subarray(0, n));
    const asText = text === true && isUtf8(copy);
    await new Promise<void>((resolve, reject) =>
      this.ws.send(copy, { binary: !asText }, (err) =>
        err ? reject(Object.assign(err, { code: "EPIPE" })) : resolve(),
      ),
    );
  }

  endWrite(): void {
    if (!this.#closed) this.ws.close(1000);
  }

  close(): void {
    if (!this.#closed) {
      this.#closed = true;
      this.ws.close(1000);
      // A peer that never answers the close frame is cut off.
      setTimeout(() => this.ws.terminate(), 1000).unref();
    }
  }
}

/** Connects to a WebSocket server. */
export async function openWs(ctx: Context, ep: WsEndpoint): Promise<WsEnd> {
  ctx.step(`websocket connect ${ep.url} …`);
  const ws = new WebSocket(ep.url, { perMessageDeflate: false, maxPayload: MAX_PAYLOAD });
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      ws.terminate();
      reject(ctx.signal.reason);
    };
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    ws.once("open", () => {
      ctx.signal.removeEventListener("abort", onAbort);
      resolve();
    });
    ws.once("error", (e: Error & { code?: string }) => {
      ctx.signal.removeEventListener("abort", onAbort);
      reject(e.code ? new CliError(`${ep.text}: connect ${e.code}`) : new CliError(`${ep.text}: ${e.message}`));
    });
  });
  ctx.step(`websocket connected ${ep.url}`);
  return new WsEnd(ep.text, ws, ctx);
}

/**
 * Whether an upgrade with this Origin header may proceed (cross-site WebSocket
 * hijacking: a page on any site can open ws://127.0.0.1:PORT/, and browsers
 * send no CORS preflight for WebSocket — the Origin header is the only guard).
 * No header: not a browser (websocat, Python, curl), allowed. A header: only
 * the origins listed with `origin=` (`*` = any). The relay serves no pages, so
 * no origin is "its own", and a Host-header comparison would let DNS rebinding in.
 */
export function originAllowed(origin: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (origin === undefined || origin === "") return true;
  if (allowed.has("*")) return true;
  if (origin === "null") return allowed.has("null");
  let normalized: string;
  try {
    normalized = new URL(origin).origin;
  } catch {
    return false;
  }
  return allowed.has(normalized);
}

/** A WebSocket server that hands out connections. */
export class WsListener {
  #queue: WsEnd[] = [];
  #waiters: ((e: WsEnd) => void)[] = [];

  private constructor(
    private readonly server: WebSocketServer,
    readonly ep: WsListenEndpoint,
    private readonly ctx: Context,
  ) {
    server.on("connection", (ws, req) => {
      const peer = `${req.socket.remoteAddress ?? "?"}:${req.socket.remotePort ?? "?"}`;
      ctx.step(`websocket accept ${ep.path} from ${peer}`);
      const end = new WsEnd(ep.text, ws, ctx);
      const w = this.#waiters.shift();
      if (w) w(end);
      else this.#queue.push(end);
    });
  }

  /** Listens on the endpoint's host (loopback unless one was named), port and path. */
  static async open(ctx: Context, ep: WsListenEndpoint): Promise<WsListener> {
    const allowed = new Set(ep.options.origins ?? []);
    const server = new WebSocketServer({
      host: ep.host,
      port: ep.port,
      path: ep.path,
      perMessageDeflate: false,
      maxPayload: MAX_PAYLOAD,
      verifyClient: (info, done) => {
        if (originAllowed(info.origin, allowed)) return done(true);
        ctx.step(
          `websocket refused (403) from ${info.req.socket.remoteAddress ?? "?"}: Origin ${info.origin} is not allowed (add origin=${info.origin})`,
        );
        done(false, 403, "Forbidden: cross-origin WebSocket (allow it with origin=)");
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", (e: Error & { code?: string; syscall?: string }) =>
        reject(new CliError(`${ep.text}: ${e.syscall ?? "listen"} ${e.code ?? e.message} ${ep.host}:${ep.port}`)),
      );
    });
    // Later errors (accept EMFILE under a flood: Node's server drops the client
    // and reports it) must not end the relay: one line per 10 s, and go on.
    let lastReport = -Infinity;
    server.on("error", (e: Error & { code?: string }) => {
      const now = performance.now();
      if (now - lastReport > 10_000) ctx.out.stderr.write(`sockit: ${ep.text}: ${e.message} (still listening)\n`);
      lastReport = now;
    });
    const a = server.address();
    ctx.step(`websocket listen ${typeof a === "string" ? a : `${a.address}:${a.port}`}${ep.path}`);
    return new WsListener(server, ep, ctx);
  }

  /** The port actually bound (for port 0). */
  get port(): number {
    const a = this.server.address();
    return typeof a === "string" ? 0 : a.port;
  }

  /** Waits for the next WebSocket connection. */
  accept(): Promise<WsEnd> {
    const e = this.#queue.shift();
    if (e) return Promise.resolve(e);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(this.ctx.signal.reason);
      if (this.ctx.signal.aborted) return onAbort();
      this.ctx.signal.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push((end) => {
        this.ctx.signal.removeEventListener("abort", onAbort);
        resolve(end);
      });
    });
  }

  /** Stops listening (connections already handed out stay open). */
  close(): void {
    this.server.close();
    // ws's server.close() leaves accepted clients alone; it only stops the HTTP server.
  }
}
