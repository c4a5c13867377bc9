/**
 * Socket.sendfile and posix.sendfile (issue 15, item 1): real TCP and Unix
 * stream peers written by others (CPython's socket, Node's net) receive a
 * file larger than the socket buffers, so the transfer meets EAGAIN and
 * resumes at the offset reached; offset/length edges; a socket closed, a peer
 * gone and an abort mid-transfer (each error carrying `sent`); the copy
 * fallback for inputs the kernel refuses (/proc files, FIFOs); no fd leak.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AF, MSG, SOCK, Socket, SocketError, posix, socketpair } from "../../src/index.js";
import { isPending, pattern, python, tempDir, turn, within, newFds, openFds } from "../helpers.js";

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

let dir: { path: string; cleanup: () => void };
let bigPath: string;
let big: Buffer;
let smallPath: string;
let small: Buffer;

before(() => {
  dir = tempDir("sockit-sendfile-");
  // 24 MiB: larger than a loopback TCP connection's send and receive buffers
  // together (tcp_wmem/tcp_rmem max 4 + 6 MiB), so the sender meets EAGAIN.
  big = pattern(24 * 1024 * 1024, 7);
  bigPath = join(dir.path, "big.bin");
  writeFileSync(bigPath, big);
  small = pattern(10_000, 3);
  smallPath = join(dir.path, "small.bin");
  writeFileSync(smallPath, small);
});
after(() => dir.cleanup());

/** Reads from `s` until EOF or `size` bytes. */
async function recvAll(s: Socket, size = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  while (got < size) {
    const c = await within(s.recv(Math.min(1 << 20, size - got)), "recv");
    if (c.length === 0) break;
    chunks.push(c);
    got += c.length;
  }
  return Buffer.concat(chunks);
}

/** Waits until `p` has stopped making progress inside the kernel: pending across turns (EAGAIN waits). */
async function stillPending(p: Promise<unknown>): Promise<boolean> {
  for (let i = 0; i < 3; i++) if (!(await isPending(p))) return false;
  return true;
}

describe("Socket.sendfile to peers nobody here wrote", () => {
  test("TCP to CPython's socket: a 24 MiB file from a path, every byte in order", async () => {
    const before = openFds();
    const peer = python(
      "import socket, hashlib\n" +
        "l = socket.create_server(('127.0.0.1', 0)); print(l.getsockname()[1], flush=True)\n" +
        "c, _ = l.accept(); h = hashlib.sha256(); n = 0\n" +
        "while True:\n" +
        "    b = c.recv(1 << 20)\n" +
        "    if not b: break\n" +
        "    h.update(b); n += len(b)\n" +
        "print(n, h.hexdigest(), flush=True)\n",
    );
    const port = Number(await peer.line("port"));
    const s = new Socket("inet", "stream");
    await s.connect({ family: "inet", address: "127.0.0.1", port });
    const sending = s.sendfile(bigPath);
    // The file outruns the buffers: the call waits for writable (EAGAIN) at least once.
    assert.ok(await isPending(sending), "sendfile waited for buffer space");
    assert.equal(await within(sending, "sendfile", 60_000), big.length);
    s.shutdown("write");
    const [n, digest] = (await peer.line("digest")).split(" ");
    assert.equal(Number(n), big.length);
    assert.equal(digest, sha(big));
    s.close();
    assert.equal((await peer.exited).code, 0);
    assert.deepEqual(newFds(before), [], "the file sockit opened is closed again");
  });

  test("Unix stream to Node's net: a FileHandle and an fd number, with offset and length", async () => {
    const where = join(dir.path, "net.sock");
    const received: Buffer[] = [];
    let done!: () => void;
    const ended = new Promise<void>((r) => (done = r));
    const server = net.createServer((c) => {
      c.on("data", (d: Buffer) => received.push(d));
      c.on("end", () => {
        c.end();
        done();
      });
    });
    await new Promise<void>((r) => server.listen(where, r));
    try {
      const s = new Socket("unix", "stream");
      await s.connect(where);
      const fh = await open(bigPath, "r");
      const fd = openSync(bigPath, "r");
      try {
        assert.equal(await within(s.sendfile(fh, { offset: 1000, length: 5_000_000 }), "fh", 60_000), 5_000_000);
        assert.equal(await within(s.sendfile(fd, { offset: 20_000_000 }), "fd", 60_000), big.length - 20_000_000);
      } finally {
        await fh.close();
        closeSync(fd);
      }
      s.shutdown("write");
      await within(ended, "net peer end");
      s.close();
      const got = Buffer.concat(received);
      assert.equal(got.length, 5_000_000 + big.length - 20_000_000);
      assert.ok(got.subarray(0, 5_000_000).equals(big.subarray(1000, 5_001_000)));
      assert.ok(got.subarray(5_000_000).equals(big.subarray(20_000_000)));
    } finally {
      server.close();
    }
  });
});

describe("Socket.sendfile: offset and length edges", () => {
  const cases: [string, { offset?: number; length?: number }, number, number][] = [
    // [what, options, first byte, bytes expected]
    ["the whole file", {}, 0, 10_000],
    ["from an offset to the end", { offset: 9_999 }, 9_999, 1],
    ["offset at the end: nothing", { offset: 10_000 }, 10_000, 0],
    ["offset past the end: nothing", { offset: 1e9 }, 0, 0],
    ["length 0: nothing", { offset: 5, length: 0 }, 5, 0],
    ["one byte", { offset: 1, length: 1 }, 1, 1],
    ["length past the end: up to the end", { offset: 9_000, length: 5_000 }, 9_000, 1_000],
    ["an exact middle", { offset: 4_096, length: 4_096 }, 4_096, 4_096],
  ];
  for (const [what, options, start, count] of cases) {
    test(what, async () => {
      const [a, b] = socketpair("unix", "stream");
      try {
        assert.equal(await within(a.sendfile(smallPath, options), "sendfile"), count);
        a.shutdown("write");
        const got = await recvAll(b);
        assert.equal(got.length, count);
        assert.ok(got.equals(small.subarray(start, start + count)));
      } finally {
        a.close();
        b.close();
      }
    });
  }

  test("the file position is neither used nor moved", async () => {
    const fd = openSync(smallPath, "r");
    const [a, b] = socketpair("unix", "stream");
    try {
      const buf = Buffer.alloc(100);
      assert.equal(readSync(fd, buf, 0, 100, null), 100); // the position is now 100
      assert.equal(await within(a.sendfile(fd, { length: 10 }), "sendfile"), 10);
      assert.ok((await recvAll(b, 10)).equals(small.subarray(0, 10)), "offset 0, not the position");
      assert.equal(readSync(fd, buf, 0, 10, null), 10);
      assert.ok(buf.subarray(0, 10).equals(small.subarray(100, 110)), "the position stayed at 100");
    } finally {
      closeSync(fd);
      a.close();
      b.close();
    }
  });
});

describe("Socket.sendfile: ending early", () => {
  test("closing the socket mid-transfer rejects ERR_SOCKET_CLOSED with the bytes sent", async () => {
    const [a, b] = socketpair("unix", "stream");
    const sending = a.sendfile(bigPath);
    // The path is opened first (asynchronously): wait for the first bytes, then for the wait on a full buffer.
    await within(b.recvmsg({ flags: MSG.PEEK }), "the first bytes");
    assert.ok(await stillPending(sending), "waits: nobody reads");
    a.close();
    const err = (await sending.catch((e: unknown) => e)) as { code?: string; sent?: number };
    assert.equal(err.code, "ERR_SOCKET_CLOSED");
    assert.equal(typeof err.sent, "number");
    assert.ok(err.sent! > 0 && err.sent! < big.length, `sent ${err.sent}`);
    // What was sent is exactly the prefix the peer can read.
    const got = await recvAll(b);
    assert.equal(got.length, err.sent);
    assert.ok(got.equals(big.subarray(0, got.length)));
    b.close();
  });

  test("the peer going away rejects EPIPE/ECONNRESET with the bytes sent, no SIGPIPE", async () => {
    const [a, b] = socketpair("unix", "stream");
    const sending = a.sendfile(bigPath);
    await within(b.recvmsg({ flags: MSG.PEEK }), "the first bytes");
    assert.ok(await stillPending(sending));
    b.close();
    const err = (await within(
      sending.catch((e: unknown) => e),
      "sendfile after the peer closed",
    )) as SocketError & { sent?: number };
    assert.ok(err instanceof SocketError, String(err));
    assert.ok(["EPIPE", "ECONNRESET"].includes(err.code), err.code);
    assert.equal(err.syscall, "sendfile");
    assert.ok(err.sent! > 0, `sent ${err.sent}`);
    a.close();
  });

  test("abort via signal rejects AbortError with the bytes sent; the path's fd is closed", async () => {
    const before = openFds();
    const [a, b] = socketpair("unix", "stream");
    const ac = new AbortController();
    const sending = a.sendfile(bigPath, { signal: ac.signal });
    // The path is opened first (asynchronously): abort once bytes have gone, as the tests above do.
    await within(b.recvmsg({ flags: MSG.PEEK }), "the first bytes");
    assert.ok(await stillPending(sending));
    ac.abort(new Error("enough"));
    const err = (await sending.catch((e: unknown) => e)) as Error & { sent?: number };
    assert.equal(err.name, "AbortError");
    assert.ok(err.sent! > 0, `sent ${err.sent}`);
    const got = await recvAll(b, err.sent);
    assert.ok(got.equals(big.subarray(0, err.sent)));
    // The socket is still usable after the withdrawn call.
    await a.sendAll("after");
    assert.equal((await recvAll(b, 5)).toString(), "after");
    a.close();
    b.close();
    await turn();
    assert.deepEqual(newFds(before), []);
    // An already-aborted signal sends nothing and opens nothing.
    const [c, d] = socketpair("unix", "stream");
    await assert.rejects(c.sendfile(bigPath, { signal: AbortSignal.abort() }), { name: "AbortError" });
    assert.equal(d.bytesAvailable(), 0);
    c.close();
    d.close();
  });

  test("a timeout rejects ETIMEDOUT with the bytes sent", async () => {
    const [a, b] = socketpair("unix", "stream");
    const err = (await within(
      a.sendfile(bigPath, { timeout: 50 }).catch((e: unknown) => e),
      "timeout",
    )) as SocketError & { sent?: number };
    assert.equal(err.code, "ETIMEDOUT");
    assert.ok(err.sent! > 0);
    a.close();
    b.close();
  });

  test("a path that cannot be opened rejects ENOENT and leaks nothing", async () => {
    const before = openFds();
    const [a, b] = socketpair("unix", "stream");
    await assert.rejects(a.sendfile(join(dir.path, "missing")), { code: "ENOENT" });
    a.close();
    b.close();
    assert.deepEqual(newFds(before), []);
  });
});

describe("Socket.sendfile: the copy fallback for inputs the kernel refuses", () => {
  test("a /proc/<pid> file (EINVAL from sendfile(2)) is read and sent", async () => {
    const expected = readFileSync("/proc/self/limits");
    assert.throws(
      () => {
        const fd = openSync("/proc/self/limits", "r");
        const [x, y] = posix.socketpair(AF.UNIX, SOCK.STREAM);
        try {
          posix.sendfile(x, fd, 0, 100);
        } finally {
          closeSync(fd);
          posix.close(x);
          posix.close(y);
        }
      },
      { code: "EINVAL" },
      "the kernel refuses /proc files (else this test does not test the fallback)",
    );
    const [a, b] = socketpair("unix", "stream");
    assert.equal(await within(a.sendfile("/proc/self/limits"), "sendfile"), expected.length);
    assert.equal(await within(a.sendfile("/proc/self/limits", { offset: 6, length: 4 }), "part"), 4);
    a.shutdown("write");
    const got = await recvAll(b);
    assert.ok(got.equals(Buffer.concat([expected, expected.subarray(6, 10)])));
    a.close();
    b.close();
  });

  test("a FIFO written by another process (sendfile: EINVAL) is copied; an offset into it is ESPIPE", async () => {
    const fifo = join(dir.path, "fifo");
    assert.equal(spawnSync("mkfifo", [fifo]).status, 0);
    const size = 3 * 1024 * 1024;
    const before = openFds();
    const writer = python(
      "import sys\n" +
        "data = bytes((i * 7) & 0xff for i in range(256)) * (int(sys.argv[2]) // 256)\n" +
        "open(sys.argv[1], 'wb').write(data)\n",
      fifo,
      String(size),
    );
    const expected = Buffer.alloc(size);
    for (let i = 0; i < size; i++) expected[i] = ((i % 256) * 7) & 0xff;
    const [a, b] = socketpair("unix", "stream");
    const sending = a.sendfile(fifo);
    const reading = recvAll(b, size);
    assert.equal(await within(sending, "sendfile from a FIFO", 60_000), size);
    assert.ok((await reading).equals(expected));
    assert.equal((await writer.exited).code, 0);
    await assert.rejects(
      (async () => {
        const w = python("import sys\nopen(sys.argv[1], 'wb').write(b'x' * 10)\n", fifo);
        try {
          return await a.sendfile(fifo, { offset: 3 });
        } finally {
          await w.exited;
        }
      })(),
      { code: "ESPIPE" },
    );
    a.close();
    b.close();
    assert.deepEqual(newFds(before), []);
  });
});

describe("Socket.sendfile: bad arguments throw at once", () => {
  test("types, ranges and socket types", () => {
    const [a, b] = socketpair("unix", "stream");
    const [d1, d2] = socketpair("unix", "seqpacket");
    try {
      const bad: [() => unknown, string][] = [
        [() => a.sendfile({} as never), "ERR_INVALID_ARG_TYPE"],
        [() => a.sendfile(null as never), "ERR_INVALID_ARG_TYPE"],
        [() => a.sendfile(-1), "ERR_OUT_OF_RANGE"],
        [() => a.sendfile(2 ** 32), "ERR_OUT_OF_RANGE"],
        [() => a.sendfile(smallPath, { offset: -1 }), "ERR_OUT_OF_RANGE"],
        [() => a.sendfile(smallPath, { offset: 2 ** 53 }), "ERR_OUT_OF_RANGE"],
        [() => a.sendfile(smallPath, { length: 1.5 }), "ERR_INVALID_ARG_TYPE"],
        [() => a.sendfile(smallPath, { timeout: -1 }), "ERR_OUT_OF_RANGE"],
        [() => d1.sendfile(smallPath), "ERR_SOCKET_BAD_TYPE"],
      ];
      for (const [fn, code] of bad) assert.throws(fn, { code });
    } finally {
      for (const s of [a, b, d1, d2]) s.close();
    }
  });

  test("a closed socket: bad arguments still throw at once, good ones reject ERR_SOCKET_CLOSED", async () => {
    const [a, b] = socketpair("unix", "stream");
    a.close();
    b.close();
    assert.throws(() => a.sendfile(smallPath, { offset: -1 }), { code: "ERR_OUT_OF_RANGE" });
    const before = openFds();
    await assert.rejects(a.sendfile(smallPath), { code: "ERR_SOCKET_CLOSED" });
    assert.deepEqual(newFds(before), []);
  });
});

describe("posix.sendfile", () => {
  test("copies count bytes from an offset; a null offset reads from and moves the file position", () => {
    const [x, y] = posix.socketpair(AF.UNIX, SOCK.STREAM);
    const fd = openSync(smallPath, "r");
    try {
      assert.equal(posix.sendfile(x, fd, 100, 50), 50);
      assert.ok(posix.recv(y, 100).equals(small.subarray(100, 150)));
      // null: the file position (0) is used and moved; a second call goes on from there.
      assert.equal(posix.sendfile(x, fd, null, 10), 10);
      assert.equal(posix.sendfile(x, fd, null, 10), 10);
      assert.ok(posix.recv(y, 100).equals(small.subarray(0, 20)));
      // An explicit offset neither used nor moved it: the next null read goes on at 20.
      assert.equal(posix.sendfile(x, fd, 5000, 1), 1);
      assert.equal(posix.sendfile(x, fd, null, 1), 1);
      assert.ok(posix.recv(y, 100).equals(Buffer.concat([small.subarray(5000, 5001), small.subarray(20, 21)])));
      assert.equal(posix.sendfile(x, fd, small.length, 10), 0, "end of file");
    } finally {
      closeSync(fd);
      posix.close(x);
      posix.close(y);
    }
  });

  test("a non-blocking socket with a full buffer throws EAGAIN; a closed peer EPIPE (no SIGPIPE)", () => {
    const [x, y] = posix.socketpair(AF.UNIX, SOCK.STREAM | SOCK.NONBLOCK);
    const fd = openSync(bigPath, "r");
    try {
      let off = 0;
      let err: unknown;
      for (;;) {
        try {
          const n = posix.sendfile(x, fd, off, big.length - off);
          assert.ok(n > 0);
          off += n;
        } catch (e) {
          err = e;
          break;
        }
      }
      assert.equal((err as SocketError).code, "EAGAIN");
      assert.ok(off > 0 && off < big.length);
      posix.close(y);
      assert.throws(() => posix.sendfile(x, fd, off, 1000), { code: "EPIPE", syscall: "sendfile" });
    } finally {
      closeSync(fd);
      posix.close(x);
    }
  });

  test("arguments are checked", () => {
    assert.throws(() => posix.sendfile(-1, 0, 0, 1), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => posix.sendfile(1, 2 ** 32, 0, 1), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => posix.sendfile(1, 0, -1, 1), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => posix.sendfile(1, 0, 0, -1), { code: "ERR_OUT_OF_RANGE" });
    assert.throws(() => posix.sendfile(1, 0, "0" as never, 1), { code: "ERR_INVALID_ARG_TYPE" });
  });
});
