/**
 * The address grammar of `sockit relay/connect/listen/send/recv`: one parser
 * for every endpoint the CLI can open, and errors that point at the bad
 * character.
 *
 *   ADDRESS  := KIND [":" BODY] ("," OPTION)*
 *   OPTION   := NAME ["=" VALUE]
 *
 * Kinds (case-insensitive; `tcp4`/`udp4` are `tcp`/`udp`):
 *
 *   tcp:HOST:PORT   tcp6:HOST:PORT   tcp-listen:[HOST:]PORT   tcp6-listen:[HOST:]PORT
 *   udp:HOST:PORT   udp6:HOST:PORT   udp-listen:[HOST:]PORT   udp6-listen:[HOST:]PORT
 *   unix:PATH  unix-listen:PATH  unix-dgram:PATH  unix-dgram-listen:PATH
 *   unix-seqpacket:PATH  unix-seqpacket-listen:PATH
 *   abstract:NAME  abstract-listen:NAME  abstract-dgram[-listen]:NAME  abstract-seqpacket[-listen]:NAME
 *   stdio  -  exec:CMD  file:PATH  fd:N  ws:URL  ws-listen:[HOST:]PORT[/PATH]
 *
 * Without a kind, `PORT`, `HOST:PORT` and `[IPv6]:PORT` mean TCP, as in ncat:
 * `tcp:HOST:PORT` (a bare port: `tcp:localhost:PORT`), or `tcp-listen:...`
 * where the command listens (`parseEndpoint(text, { listen: true })`).
 *
 * HOST is a numeric IPv4 address, an IPv6 address in brackets (`[::1]`,
 * `[fe80::1%eth0]`), `localhost` (127.0.0.1 for tcp/udp, ::1 for tcp6/udp6),
 * or a host name, resolved with getaddrinfo when the address is opened.
 * A Unix PATH starting with `@` is an abstract name (`unix:@name` = `abstract:name`).
 *
 * A comma ends the body; write `\,` for a comma and `\\` for a backslash inside
 * a path or name. `exec:CMD` takes the rest of the string as the command (so
 * commas and backslashes in it are the shell's business) and has no options.
 *
 * Options: `reuseaddr`, `reuseport`, `bind=ADDR` (the local address of a
 * connecting socket), `fork` (listen addresses: serve every connection, each
 * in its own relay), `mode=0600` (the permissions of a Unix socket file
 * created by a listen address), `so=LEVEL:NAME=VALUE` (any socket option, by
 * the names the library's option table knows; VALUE a number, true/false, or
 * 0x-hex bytes), `unlink` (a Unix listen address: remove a stale socket file
 * at PATH first), `append` and `create` (file: write mode), `origin=ORIGIN`
 * (ws-listen: a page origin allowed to connect; `*` for any).
 *
 * A listen address without a HOST (`tcp-listen:8080`, `udp6-listen:53`,
 * `ws-listen:8765`) binds loopback (127.0.0.1 / ::1): reachable from other
 * hosts only when an address is named (`tcp-listen:0.0.0.0:8080`, `[::]:8080`).
 */
import {
  type Inet6Address,
  type InetAddress,
  type SocketAddress,
  formatIPv4,
  formatIPv6,
  parseIPv4,
  parseIPv6,
} from "../src/index.js";
import { UsageError } from "./errors.js";

/** A bad address: says what is wrong and at which character (0-based `column` into `input`). */
export class AddressError extends UsageError {
  override name = "AddressError";
  constructor(
    readonly input: string,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`invalid address ${JSON.stringify(input)}: ${reason} (at character ${column + 1})`);
  }

  /**
   * The report: the one-line error, then the address and a caret under the bad
   * character (control characters are shown as `?` so the caret lines up).
   */
  render(): string {
    const shown = [...this.input].map((c) => (c < " " || c === "\u007f" ? "?" : c)).join("");
    const col = [...this.input.slice(0, this.column)].length;
    return `sockit: ${this.message}\n  ${shown}\n  ${" ".repeat(col)}^\n`;
  }
}

export type SocketFamily = "inet" | "inet6" | "unix";
export type SocketType = "stream" | "dgram" | "seqpacket";

/** A socket option to set: `so=SOL_SOCKET:SO_RCVBUF=1048576`. */
export interface SockOpt {
  level: string;
  name: string;
  value: number | boolean | Buffer;
}

/** Options every address may carry (the parser rejects the ones a kind does not take). */
export interface AddressOptions {
  reuseaddr?: boolean;
  reuseport?: boolean;
  bind?: SocketAddress;
  fork?: boolean;
  mode?: number;
  so: SockOpt[];
  append?: boolean;
  create?: boolean;
  /** Remove a stale socket file at the listen PATH before bind (never a file that is not a socket). */
  unlink?: boolean;
  /** ws-listen: the page origins allowed to open a WebSocket ("*" = any; absent = none, see cli/relay/ws.ts). */
  origins?: string[];
}

/** A socket end: connect (or, for dgram, send to) `address`, or bind and listen on it. */
export interface SocketEndpoint {
  kind: "socket";
  /** The kind as written (lower case): "tcp-listen", "unix-seqpacket" ... */
  name: string;
  family: SocketFamily;
  type: SocketType;
  listen: boolean;
  address: SocketAddress;
  /**
   * A host name to resolve (getaddrinfo) when the address is opened; `address`
   * then holds only the port. tcp:/udp: names may resolve to IPv4 or IPv6,
   * tcp6:/udp6: to IPv6 only.
   */
  host?: string;
  options: AddressOptions;
  text: string;
}

export interface StdioEndpoint {
  kind: "stdio";
  options: AddressOptions;
  text: string;
}
export interface ExecEndpoint {
  kind: "exec";
  command: string;
  options: AddressOptions;
  text: string;
}
export interface FileEndpoint {
  kind: "file";
  path: string;
  options: AddressOptions;
  text: string;
}
export interface FdEndpoint {
  kind: "fd";
  fd: number;
  options: AddressOptions;
  text: string;
}
export interface WsEndpoint {
  kind: "ws";
  url: string;
  options: AddressOptions;
  text: string;
}
export interface WsListenEndpoint {
  kind: "ws-listen";
  host: string;
  port: number;
  path: string;
  options: AddressOptions;
  text: string;
}

export type Endpoint =
  SocketEndpoint | StdioEndpoint | ExecEndpoint | FileEndpoint | FdEndpoint | WsEndpoint | WsListenEndpoint;

interface SocketKind {
  family: SocketFamily;
  type: SocketType;
  listen: boolean;
  /** How the body is read: an inet HOST:PORT, a path, or an abstract name. */
  body: "inet" | "path" | "abstract";
}

const SOCKET_KINDS: Record<string, SocketKind> = {};
for (const [proto, type] of [
  ["tcp", "stream"],
  ["udp", "dgram"],
] as const) {
  for (const [suffix, family] of [
    ["", "inet"],
    ["4", "inet"],
    ["6", "inet6"],
  ] as const) {
    SOCKET_KINDS[`${proto}${suffix}`] = { family, type, listen: false, body: "inet" };
    SOCKET_KINDS[`${proto}${suffix}-listen`] = { family, type, listen: true, body: "inet" };
  }
}
for (const [prefix, body] of [
  ["unix", "path"],
  ["abstract", "abstract"],
] as const) {
  for (const [infix, type] of [
    ["", "stream"],
    ["-dgram", "dgram"],
    ["-seqpacket", "seqpacket"],
  ] as const) {
    SOCKET_KINDS[`${prefix}${infix}`] = { family: "unix", type, listen: false, body };
    SOCKET_KINDS[`${prefix}${infix}-listen`] = { family: "unix", type, listen: true, body };
  }
}

const OTHER_KINDS = ["stdio", "-", "exec", "file", "fd", "ws", "wss", "ws-listen"];

/** Every kind name, for help texts and suggestions. */
export const ADDRESS_KINDS: readonly string[] = [...Object.keys(SOCKET_KINDS), ...OTHER_KINDS];

/** Which options each kind takes. */
function allowedOptions(kind: string, sk: SocketKind | undefined): Set<string> {
  if (sk) {
    const set = new Set(["so"]);
    if (sk.family !== "unix") set.add("reuseaddr").add("reuseport");
    if (sk.listen) {
      if (sk.type !== "dgram") set.add("fork");
      if (sk.body === "path") set.add("mode").add("unlink");
    } else {
      set.add("bind");
    }
    return set;
  }
  switch (kind) {
    case "file":
      return new Set(["append", "create"]);
    case "ws-listen":
      return new Set(["fork", "reuseaddr", "origin"]);
    default:
      return new Set();
  }
}

/**
 * The kind an address written without one gets, as ncat reads its arguments:
 * `PORT`, `HOST:PORT` and `[IPv6]:PORT` (options may follow after commas) are
 * TCP — connected to (`tcp:`; a bare port on localhost) or, where the command
 * listens, listened on (`tcp-listen:`). A HOST that is also a kind name
 * (`file`, `unix` ...) is read as that kind. Returns the prefix to put in
 * front, or undefined when `input` is no such shorthand.
 */
function shorthand(input: string, listen: boolean): string | undefined {
  const head = input.slice(0, firstOf(input, ",", 0));
  if (/^\d+$/.test(head)) return listen ? "tcp-listen:" : "tcp:localhost:";
  if (/^\[[^\]]*\]:\d+$/.test(head) || /^[A-Za-z0-9._-]+:\d+$/.test(head)) return listen ? "tcp-listen:" : "tcp:";
  return undefined;
}

/** The longest sun_path Linux takes, without its NUL. */
const SUN_PATH_MAX = 107;

/**
 * Parses one address of the grammar above; `role.listen` says how a kind-less
 * shorthand reads (tcp-listen: instead of tcp:).
 * @throws AddressError (a UsageError: exit code 2) pointing at the bad character.
 */
export function parseEndpoint(input: string, role: { listen?: boolean } = {}): Endpoint {
  if (typeof input !== "string") throw new AddressError(String(input), 0, "not a string");
  const fail = (column: number, reason: string): never => {
    throw new AddressError(input, Math.max(0, Math.min(column, input.length)), reason);
  };
  if (input === "") fail(0, `empty address (expected one of ${shortKinds()})`);
  const kindEnd = firstOf(input, ":,", 0);
  const kind = input.slice(0, kindEnd).toLowerCase();
  if (kind === "") fail(0, "missing the address kind before ':'");
  const sk = SOCKET_KINDS[kind];
  if (!sk && !OTHER_KINDS.includes(kind)) {
    const prefix = shorthand(input, role.listen === true);
    if (prefix !== undefined) {
      try {
        return { ...parseEndpoint(prefix + input), text: input };
      } catch (e) {
        if (!(e instanceof AddressError)) throw e;
        fail(e.column - prefix.length, e.reason);
      }
    }
    const bad = [...kind].findIndex((c) => !/[a-z0-9-]/.test(c));
    const hint = suggest(kind);
    fail(
      bad === -1 ? 0 : bad,
      `unknown address kind ${JSON.stringify(input.slice(0, kindEnd))}${hint ? ` (did you mean ${hint}?)` : ` (expected one of ${shortKinds()})`}`,
    );
  }

  // exec: the rest is the command, verbatim.
  if (kind === "exec") {
    if (input[kindEnd] !== ":" || kindEnd + 1 >= input.length) fail(kindEnd, "exec needs a command: exec:CMD");
    const command = input.slice(kindEnd + 1);
    if (command.trim() === "") fail(kindEnd + 1, "exec needs a command: exec:CMD");
    return { kind: "exec", command, options: { so: [] }, text: input };
  }

  // The body, up to the first unescaped comma (escapes: \, and \\).
  let body = "";
  let i = kindEnd;
  const hasBody = input[i] === ":";
  const bodyStart = hasBody ? i + 1 : i;
  /** Column of each body character in `input`, for carets. */
  const cols: number[] = [];
  if (hasBody) {
    i++;
    while (i < input.length && input[i] !== ",") {
      if (input[i] === "\\") {
        const next = input[i + 1];
        if (next === "," || next === "\\") {
          cols.push(i);
          body += next;
          i += 2;
          continue;
        }
      }
      cols.push(i);
      body += input[i];
      i++;
    }
  }
  const at = (bodyIndex: number): number => cols[bodyIndex] ?? bodyStart + body.length;

  // Options.
  const optStart = i;
  const allowed = allowedOptions(kind, sk);
  const options = parseOptions(input, optStart, allowed, kind, fail);

  const noBody = (): void => {
    if (hasBody) fail(kindEnd, `${kind} takes nothing after it`);
  };
  const needBody = (what: string): void => {
    const article = /^[aeiou]/.test(what) ? "an" : "a";
    const shape = what === "file descriptor number" ? "N" : what.toUpperCase();
    if (!hasBody || body === "") fail(bodyStart, `${kind} needs ${article} ${what}: ${kind}:${shape}`);
  };

  if (sk) {
    if (sk.body === "inet") {
      needBody(sk.listen ? "port" : "host:port");
      const { hostname, ...address } = parseInet(body, sk, at, fail, "loopback");
      return {
        ...(hostname !== undefined ? { host: hostname } : {}),
        kind: "socket",
        name: kind,
        family: address.family as SocketFamily,
        type: sk.type,
        listen: sk.listen,
        address,
        options,
        text: input,
      };
    }
    needBody(sk.body === "path" ? "path" : "name");
    let path = body;
    if (sk.body === "abstract") {
      path = `\0${body}`;
    } else if (body.startsWith("@")) {
      path = `\0${body.slice(1)}`;
      if (options.mode !== undefined) fail(optStart, "mode= is for socket files, not abstract names");
    }
    if (path.includes("\0", 1))
      fail(at(body.indexOf("\0", sk.body === "abstract" ? 0 : 1)), "a NUL byte inside a Unix socket path");
    const bytes = Buffer.byteLength(path);
    if (bytes > SUN_PATH_MAX)
      fail(
        at(Math.min(body.length - 1, SUN_PATH_MAX)),
        `a Unix socket path is at most ${SUN_PATH_MAX} bytes (this one is ${bytes})`,
      );
    return {
      kind: "socket",
      name: kind,
      family: "unix",
      type: sk.type,
      listen: sk.listen,
      address: { family: "unix", path },
      options,
      text: input,
    };
  }

  switch (kind) {
    case "stdio":
    case "-":
      noBody();
      return { kind: "stdio", options, text: input };
    case "file":
      needBody("path");
      if (body.includes("\0")) fail(at(body.indexOf("\0")), "a NUL byte inside a file path");
      if (options.append && options.create) fail(optStart, "append and create exclude each other");
      return { kind: "file", path: body, options, text: input };
    case "fd": {
      needBody("file descriptor number");
      if (!/^\d{1,7}$/.test(body))
        fail(at([...body].findIndex((c) => !/\d/.test(c))), "fd:N needs a file descriptor number");
      return { kind: "fd", fd: Number(body), options, text: input };
    }
    case "ws":
    case "wss": {
      needBody("url");
      // ws:ws://HOST/PATH (the URL after the kind) or ws://HOST/PATH itself.
      const full = /^wss?:\/\//i.test(body);
      const url = full ? body : `${kind}:${body}`;
      if (!full && !body.startsWith("//"))
        fail(at(0), `expected ${kind}:ws://HOST:PORT/PATH or ${kind}://HOST:PORT/PATH`);
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return fail(at(2), `not a valid URL: ${url}`);
      }
      if (parsed.hostname === "") fail(at(2), "the URL needs a host");
      return { kind: "ws", url, options, text: input };
    }
    case "ws-listen": {
      needBody("port");
      const slash = body.indexOf("/");
      const hostPort = slash === -1 ? body : body.slice(0, slash);
      const path = slash === -1 ? "/" : body.slice(slash);
      if (/[\s?#]/.test(path)) fail(at(slash + path.search(/[\s?#]/)), "the path may not contain spaces, '?' or '#'");
      const address = parseInet(
        hostPort,
        { family: "inet", type: "stream", listen: true, body: "inet" },
        at,
        fail,
        "loopback",
      );
      return {
        kind: "ws-listen",
        host: address.hostname ?? address.address,
        port: address.port,
        path,
        options,
        text: input,
      };
    }
  }
  return fail(0, "unknown address kind");
}

/** An inet address, or a host name to resolve (`hostname`) with the port. */
type ParsedInet = (InetAddress | Inet6Address) & { hostname?: string };

/**
 * Parses HOST:PORT (or PORT alone for listen kinds) into an inet/inet6 address.
 * A PORT alone listens on `noHost`: loopback for listen addresses (a listener
 * is reachable from other hosts and web pages only when an address is named:
 * `0.0.0.0`, `[::]`, a host name), the wildcard for `bind=` (a client's local port).
 */
function parseInet(
  body: string,
  sk: SocketKind,
  at: (i: number) => number,
  fail: (column: number, reason: string) => never,
  noHost: "loopback" | "wildcard",
): ParsedInet {
  let host: string;
  let portText: string;
  let portAt: number;
  let hostAt = 0;
  if (body.startsWith("[")) {
    const close = body.indexOf("]");
    if (close === -1) fail(at(body.length), "missing ']' after the IPv6 address");
    host = body.slice(1, close);
    hostAt = 1;
    if (close + 1 >= body.length) fail(at(close + 1), "expected ':PORT' after ']'");
    if (body[close + 1] !== ":") fail(at(close + 1), "expected ':PORT' after ']'");
    portText = body.slice(close + 2);
    portAt = close + 2;
  } else {
    const colon = body.lastIndexOf(":");
    if (colon === -1) {
      if (!sk.listen) fail(at(body.length), "expected HOST:PORT");
      host = "";
      portText = body;
      portAt = 0;
    } else {
      host = body.slice(0, colon);
      if (host.includes(":")) fail(at(0), "an IPv6 address must be written in brackets: [::1]:80");
      portText = body.slice(colon + 1);
      portAt = colon + 1;
    }
  }
  if (portText === "") fail(at(portAt), "missing the port number");
  const badDigit = [...portText].findIndex((c) => c < "0" || c > "9");
  if (badDigit !== -1) fail(at(portAt + badDigit), "the port must be a decimal number 0-65535");
  if (portText.length > 5 || Number(portText) > 65535) fail(at(portAt), "the port must be a decimal number 0-65535");
  const port = Number(portText);
  if (!sk.listen && port === 0) fail(at(portAt), "port 0 can only be listened on");

  const v6 = sk.family === "inet6";
  if (host === "") {
    if (!sk.listen) fail(at(hostAt), "missing the host");
    if (noHost === "loopback")
      return v6 ? { family: "inet6", address: "::1", port } : { family: "inet", address: "127.0.0.1", port };
    return v6 ? { family: "inet6", address: "::", port } : { family: "inet", address: "0.0.0.0", port };
  }
  if (host.toLowerCase() === "localhost") {
    return v6 ? { family: "inet6", address: "::1", port } : { family: "inet", address: "127.0.0.1", port };
  }
  if (body.startsWith("[")) {
    const pct = host.indexOf("%");
    const ip = pct === -1 ? host : host.slice(0, pct);
    const bytes = parseIPv6(ip);
    if (!bytes) fail(at(hostAt), `${JSON.stringify(ip)} is not an IPv6 address`);
    const out: Inet6Address = { family: "inet6", address: formatIPv6(bytes!), port };
    if (pct !== -1) {
      const zone = host.slice(pct + 1);
      if (zone === "") fail(at(hostAt + pct + 1), "empty scope after '%'");
      out.scopeId = /^\d+$/.test(zone) ? Number(zone) : zone;
    }
    return out;
  }
  const v4 = parseIPv4(host);
  if (!v4) {
    if (/^[\d.]+$/.test(host)) fail(at(hostAt), `${JSON.stringify(host)} is not an IPv4 address`);
    // A host name, resolved with getaddrinfo when the address is opened.
    const bad = [...host].findIndex((c) => !/[A-Za-z0-9.-]/.test(c));
    if (bad !== -1) fail(at(hostAt + bad), "a host name has only letters, digits, '-' and '.'");
    if (host.startsWith("-") || host.startsWith(".") || host.includes(".."))
      fail(at(hostAt), `${JSON.stringify(host)} is not a valid host name`);
    return { family: v6 ? "inet6" : "inet", address: v6 ? "::" : "0.0.0.0", port, hostname: host };
  }
  if (v6) return { family: "inet6", address: `::ffff:${formatIPv4(v4!)}`, port };
  return { family: "inet", address: formatIPv4(v4!), port };
}

const OPTION_NAMES = ["reuseaddr", "reuseport", "bind", "fork", "mode", "unlink", "so", "append", "create", "origin"];

function parseOptions(
  input: string,
  start: number,
  allowed: Set<string>,
  kind: string,
  fail: (column: number, reason: string) => never,
): AddressOptions {
  const options: AddressOptions = { so: [] };
  let i = start;
  while (i < input.length) {
    // input[i] === ","
    const begin = i + 1;
    let end = begin;
    let value = "";
    while (end < input.length && input[end] !== ",") {
      if (input[end] === "\\" && (input[end + 1] === "," || input[end + 1] === "\\")) {
        value += input[end + 1];
        end += 2;
      } else {
        value += input[end];
        end++;
      }
    }
    const eq = value.indexOf("=");
    const name = (eq === -1 ? value : value.slice(0, eq)).toLowerCase();
    const arg = eq === -1 ? undefined : value.slice(eq + 1);
    const argAt = begin + (eq === -1 ? value.length : eq + 1);
    if (name === "") fail(begin, "empty option after ','");
    if (!OPTION_NAMES.includes(name))
      fail(begin, `unknown option ${JSON.stringify(name)} (options: ${OPTION_NAMES.join(", ")})`);
    if (!allowed.has(name)) {
      fail(begin, `${kind} does not take ${name}${allowed.size ? ` (it takes: ${[...allowed].join(", ")})` : ""}`);
    }
    const flag = (): boolean => {
      if (arg === undefined) return true;
      if (/^(1|yes|true|on)$/i.test(arg)) return true;
      if (/^(0|no|false|off)$/i.test(arg)) return false;
      return fail(argAt, `${name} is a flag: ${name} or ${name}=0/1`);
    };
    switch (name) {
      case "reuseaddr":
      case "reuseport":
      case "fork":
      case "append":
      case "create":
      case "unlink":
        options[name] = flag();
        break;
      case "mode":
        if (arg === undefined || !/^0?[0-7]{3}$/.test(arg)) fail(argAt, "mode= takes octal permissions: mode=0600");
        options.mode = parseInt(arg!, 8);
        break;
      case "bind": {
        if (arg === undefined || arg === "") fail(argAt, "bind= takes a local address: bind=127.0.0.1:0, bind=/path");
        options.bind = parseBind(arg!, argAt, fail);
        break;
      }
      case "so":
        options.so.push(parseSo(arg, argAt, fail));
        break;
      case "origin":
        (options.origins ??= []).push(...parseOrigins(arg, argAt, fail));
        break;
    }
    i = end;
  }
  return options;
}

function parseBind(text: string, col: number, fail: (column: number, reason: string) => never): SocketAddress {
  if (text.startsWith("/") || text.startsWith("./") || text.startsWith("@")) {
    return { family: "unix", path: text.startsWith("@") ? `\0${text.slice(1)}` : text };
  }
  const listenish: SocketKind = {
    family: text.startsWith("[") ? "inet6" : "inet",
    type: "stream",
    listen: true,
    body: "inet",
  };
  // A bare port means any address; HOST:0 lets the kernel choose the port.
  const { hostname, ...address } = parseInet(text, listenish, (i) => col + i, fail, "wildcard");
  if (hostname !== undefined) fail(col, "bind= takes a numeric address");
  return address;
}

/**
 * origin=ORIGIN[ ORIGIN…] (repeatable; `\,` also separates): `*`, `null` (pages
 * with an opaque origin: file:, sandboxed frames), or scheme://host[:port] as
 * browsers send it in the Origin header. Returned normalized (lower-case host,
 * default port dropped) so that the comparison with the header is exact.
 */
function parseOrigins(arg: string | undefined, col: number, fail: (column: number, reason: string) => never): string[] {
  const usage =
    "origin= takes the page origins allowed: origin=https://app.example, origin=http://localhost:3000, origin=*";
  if (arg === undefined || arg.trim() === "") return fail(col, usage);
  const out: string[] = [];
  for (const v of arg.split(/[\s,]+/).filter((x) => x !== "")) {
    if (v === "*" || v === "null") {
      out.push(v);
      continue;
    }
    let origin: string;
    try {
      origin = new URL(v).origin;
    } catch {
      return fail(col + arg.indexOf(v), `${JSON.stringify(v)} is not an origin (${usage})`);
    }
    if (origin === "null" || origin.toLowerCase() !== v.replace(/\/$/, "").toLowerCase())
      return fail(col + arg.indexOf(v), `${JSON.stringify(v)} is not an origin: scheme://host[:port], no path`);
    out.push(origin);
  }
  return out;
}

/** so=LEVEL:NAME=VALUE, e.g. so=SOL_SOCKET:SO_RCVBUF=1048576, so=IPPROTO_TCP:TCP_NODELAY=1. */
function parseSo(arg: string | undefined, col: number, fail: (column: number, reason: string) => never): SockOpt {
  const usage = "so= takes LEVEL:NAME=VALUE, e.g. so=SOL_SOCKET:SO_RCVBUF=1048576";
  if (arg === undefined) return fail(col, usage);
  const colon = arg.indexOf(":");
  const eq = arg.indexOf("=");
  if (colon <= 0) return fail(col, usage);
  if (eq <= colon + 1) return fail(col + (eq === -1 ? arg.length : eq), usage);
  const level = arg.slice(0, colon);
  const name = arg.slice(colon + 1, eq);
  const raw = arg.slice(eq + 1);
  const nameBad = /[^A-Za-z0-9_]/.exec(level);
  if (nameBad) return fail(col + nameBad.index, "a level is a name like SOL_SOCKET or a number");
  const optBad = /[^A-Za-z0-9_]/.exec(name);
  if (optBad) return fail(col + colon + 1 + optBad.index, "an option is a name like SO_RCVBUF or a number");
  let value: number | boolean | Buffer;
  if (/^-?\d+$/.test(raw)) value = Number(raw);
  else if (/^(true|false)$/i.test(raw)) value = raw.toLowerCase() === "true";
  else if (/^0x([0-9a-f]{2})+$/i.test(raw)) value = Buffer.from(raw.slice(2), "hex");
  else return fail(col + eq + 1, "VALUE is a number, true/false, or 0x-hex bytes");
  return { level, name, value };
}

function firstOf(text: string, chars: string, from: number): number {
  for (let i = from; i < text.length; i++) if (chars.includes(text[i]!)) return i;
  return text.length;
}

function shortKinds(): string {
  return "tcp, tcp-listen, udp, udp-listen, unix, unix-listen, unix-dgram, unix-seqpacket, abstract, stdio, exec, file, fd, ws, ws-listen";
}

/** The nearest known kind by edit distance, if close enough. */
function suggest(kind: string): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of ADDRESS_KINDS) {
    const d = distance(kind, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The address as the CLI prints it in steps and errors. */
export function describeEndpoint(e: Endpoint): string {
  return e.text;
}
