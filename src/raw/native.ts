/**
 * The only importer of the compiled addon (sockit.node), and the declaration of
 * its shape. Which file is loaded, and the error when none loads, come from
 * ./locate-addon.ts: build/Release in a clone, else the prebuild for this
 * platform, arch and C library, or SOCKIT_ADDON. Every thunk returns its
 * syscall's result (>= 0) or -errno; none throws for a failed syscall.
 * Arguments are validated by the callers in src/raw/ before they get here.
 */
import { createRequire } from "node:module";
import { addonLoadError, addonNotFoundError, locateAddon } from "./locate-addon.js";

/** Bytes the addon accepts: any Buffer, TypedArray or DataView. */
export type Bytes = ArrayBufferView;
/** An opaque uv_poll_t handle. */
export type PollerHandle = { readonly __poller: unique symbol };
/** An opaque mmap'ed packet ring (owns the mapping). */
export type RingHandle = { readonly __ring: unique symbol };

export interface Binding {
  socket(domain: number, type: number, protocol: number): number;
  socketpair(domain: number, type: number, protocol: number, out: Int32Array): number;
  bind(fd: number, addr: Bytes, addrlen: number): number;
  connect(fd: number, addr: Bytes, addrlen: number): number;
  listen(fd: number, backlog: number): number;
  accept4(fd: number, addr: Bytes | null, lenOut: Int32Array | null, flags: number): number;
  send(fd: number, buf: Bytes, offset: number, length: number, flags: number): number;
  recv(fd: number, buf: Bytes, offset: number, length: number, flags: number): number;
  sendto(fd: number, buf: Bytes, offset: number, length: number, flags: number, addr: Bytes, addrlen: number): number;
  recvfrom(
    fd: number,
    buf: Bytes,
    offset: number,
    length: number,
    flags: number,
    addr: Bytes,
    lenOut: Int32Array,
  ): number;
  sendmsg(
    fd: number,
    buffers: Bytes[],
    addr: Bytes | null,
    addrlen: number,
    control: Bytes | null,
    flags: number,
  ): number;
  /** out = [addrlen, controllen, msg_flags] */
  recvmsg(
    fd: number,
    buffers: Bytes[],
    addr: Bytes | null,
    control: Bytes | null,
    out: Int32Array,
    flags: number,
  ): number;
  /** sendfile(outFd, inFd, offset < 0 ? NULL : &offset, count): bytes sent or -errno (SIGPIPE never kills). */
  sendfile(outFd: number, inFd: number, offset: number, count: number): number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  getsockname(fd: number, addr: Bytes, lenOut: Int32Array): number;
  getpeername(fd: number, addr: Bytes, lenOut: Int32Array): number;
  setsockopt(fd: number, level: number, name: number, value: Bytes, length: number): number;
  /** lenOut[0]: the capacity of value on entry, the option length on return. */
  getsockopt(fd: number, level: number, name: number, value: Bytes, lenOut: Int32Array): number;
  ioctlInt(fd: number, request: number, inOut: Int32Array): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  /** fds = [fd, events, revents] * n */
  poll(fds: Int32Array, nfds: number, timeoutMs: number): number;
  select(read: Int32Array, write: Int32Array, except: Int32Array, timeoutMicros: number): number;
  ifNameToIndex(name: string): number;
  ifIndexToName(index: number): string | number;
  inetNtop(family: number, bytes: Bytes): string | number;
  inetPton(family: number, text: string, out: Bytes): number;
  /** clock_gettime(CLOCK_REALTIME): ns since the epoch, or -errno. */
  clockRealtime(): bigint | number;
  /**
   * setsockopt(fd, level, name, &(struct sock_fprog){ count, insns }, sizeof):
   * attaches a classic BPF program (SO_ATTACH_FILTER, PACKET_FANOUT_DATA ...);
   * `insns` holds `count` struct sock_filter (native/packet_linux.c).
   */
  setsockoptFilter(fd: number, level: number, name: number, insns: Bytes, count: number): number;
  /** mmap(2) of a packet socket's TPACKET_V3 RX ring of blockNr blocks → an owning handle or -errno (native/packet_linux.c). */
  ringMmap(fd: number, blockSize: number, blockNr: number): RingHandle | number;
  /** munmap(2) of the ring → 0, or -EBADF once unmapped. */
  ringMunmap(ring: RingHandle): number;
  /**
   * Copies the frames of the blocks the kernel has retired into out (pcap
   * records) and meta (ringFacts.META int32s per frame), handing each block
   * back; res = [frames, bytes, skipped, malformed, blocks] → frames or -errno.
   */
  ringRead(ring: RingHandle, out: Bytes, meta: Int32Array, res: Int32Array, flags: number, loIfindex: number): number;
  /** The walk of ringRead over one block held in `block` (tests). */
  ringDecode(block: Bytes, out: Bytes, meta: Int32Array, res: Int32Array, flags: number, loIfindex: number): number;
  /** ringRead's flags (USEC, SLL), its meta row width (META) and res length (RES), SLL_OFFSET. */
  readonly ringFacts: { USEC: number; SLL: number; META: number; RES: number; SLL_OFFSET: number };

  /**
   * recvmmsg(fd, data, slot, count, addrs, addrSlot, ctl, ctlSlot, out, flags):
   * message i lands at data[i*slot], its address at addrs[i*addrSlot], its
   * control at ctl[i*ctlSlot]; out holds per-message [len, addrlen, controllen, flags].
   */
  recvmmsg(
    fd: number,
    data: Bytes,
    slot: number,
    count: number,
    addrs: Bytes | null,
    addrSlot: number,
    ctl: Bytes | null,
    ctlSlot: number,
    out: Int32Array,
    flags: number,
  ): number;
  /** sendmmsg(fd, buffers, addrs, addrSlot, addrLens, ctl, ctlSlot, ctlLens, out, flags): messages sent or -errno. */
  sendmmsg(
    fd: number,
    buffers: Bytes[],
    addrs: Bytes | null,
    addrSlot: number,
    addrLens: Int32Array | null,
    ctl: Bytes | null,
    ctlSlot: number,
    ctlLens: Int32Array | null,
    out: Int32Array | null,
    flags: number,
  ): number;
  /** Control-message layout facts from the headers (native/msg_linux.c). */
  readonly msgFacts: Record<string, number | number[] | undefined>;

  pollerNew(fd: number, callback: (status: number, events: number) => void): PollerHandle | number;
  pollerStart(handle: PollerHandle, events: number): number;
  pollerStop(handle: PollerHandle): number;
  pollerClose(handle: PollerHandle): number;
  pollerRef(handle: PollerHandle, on: boolean): number;
  /** Marks fd as owned by a Socket of this env: closed at env teardown (worker exit) if still open. */
  fdOwn(fd: number): number;
  /** Removes fd from the env's owned set (before close or detach). */
  fdDisown(fd: number): number;

  /** open(path, O_RDONLY | O_CLOEXEC) of a namespace file → fd or -errno (native/netns_linux.c). */
  nsOpen(path: string): number;
  /** setns(fd, nstype) → 0 or -errno. */
  setns(fd: number, nstype: number): number;
  /** close(fd) of a namespace file → 0 or -errno. */
  nsClose(fd: number): number;
  /** CLONE_NEWNET from <sched.h>, the nstype of a network namespace. */
  readonly CLONE_NEWNET: number;
  readonly UV: { READABLE: number; WRITABLE: number; DISCONNECT: number; PRIORITIZED: number };
  /**
   * The readiness backend of this env: "uv" (libuv's uv_poll, on Node and Deno)
   * or "epoll" (an epoll thread, on Bun, or forced with SOCKIT_POLLER=epoll).
   */
  readonly pollerBackend: "uv" | "epoll";
  /** The runtime the addon was loaded by, as the addon saw it at load. */
  readonly runtime: "node" | "deno" | "bun";

  // Name resolution (native/resolver.c): each lookup runs on the thread pool and
  // resolves [eai, errno, result]; eai is 0 or an EAI_* code, errno is set for EAI_SYSTEM.
  getaddrinfo(
    host: string | null,
    service: string | null,
    flags: number,
    family: number,
    socktype: number,
    protocol: number,
  ): Promise<[number, number, unknown]>;
  getnameinfo(sockaddr: Bytes, flags: number): Promise<[number, number, unknown]>;
  getservbyname(name: string, proto: string | null): Promise<[number, number, unknown]>;
  getservbyport(port: number, proto: string | null): Promise<[number, number, unknown]>;
  getprotobyname(name: string): Promise<[number, number, unknown]>;
  getprotobynumber(proto: number): Promise<[number, number, unknown]>;
  gethostname(): Promise<[number, number, unknown]>;
  gethostbyname2(name: string, family: number): Promise<[number, number, unknown]>;
  gethostbyaddr(addr: Bytes, family: number): Promise<[number, number, unknown]>;
  inetAton(text: string, out: Bytes): number;
  ifNameindex(): { index: number; name: string }[] | number;
  gaiStrerror(code: number): string;
  readonly resolverConstants: { AI: Record<string, number>; NI: Record<string, number>; EAI: Record<string, number> };
  readonly constants: Record<string, Record<string, number>>;
  readonly structs: Record<string, Record<string, number> & { size: number }>;
}

/** Loads the addon that locateAddon() finds; throws a consumer-facing error when none loads. */
function loadAddon(): Binding {
  const search = locateAddon();
  if (search.file === undefined) throw addonNotFoundError(search);
  try {
    // createRequire needs only an absolute base; the file is absolute already.
    return createRequire(search.file)(search.file) as Binding;
  } catch (cause) {
    throw addonLoadError(search, cause);
  }
}

export const native: Binding = loadAddon();
