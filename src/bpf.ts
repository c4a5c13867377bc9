/**
 * Classic BPF (the socket filter language of tcpdump and packet(7)): an
 * assembler for the bpf_asm syntax of the kernel's tools/bpf (the capture
 * filter language compiles to it in filter/), an interpreter to test programs
 * without a kernel, and {@link attachFilter} (SO_ATTACH_FILTER). Opcode parts
 * and limits come from linux/filter.h (the BPF constant group); nothing here
 * hard-codes a number the kernel defines.
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @see https://www.kernel.org/doc/html/latest/networking/filter.html
 */
import { BPF, SO, SOL, STRUCTS } from "./constants.js";
import { writeU16, writeU32 } from "./endian.js";
import { codedError } from "./errors.js";
import * as raw from "./raw/index.js";
import type { Socket } from "./socket.js";

/** One instruction: struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }. */
export interface BpfInstruction {
  /** The opcode (BPF_LD | BPF_H | BPF_ABS ...). */
  code: number;
  /** Instructions to skip when a jump's condition holds. */
  jt: number;
  /** Instructions to skip when a jump's condition fails. */
  jf: number;
  /** The operand: a constant, an offset, or a return value. */
  k: number;
}

/** A program as {@link attachFilter} accepts it: instructions, `[code, jt, jf, k]` tuples, or bpf_asm text. */
export type BpfProgramLike = readonly (BpfInstruction | readonly [number, number, number, number])[] | string;

const SF = STRUCTS.sock_filter!;
const AD_OFF = BPF.SKF_AD_OFF!;
const NET = BPF.SKF_NET_OFF!;
const U32 = 0xffffffff;

function bpfError(message: string): Error {
  return codedError("ERR_INVALID_ARG_VALUE", message);
}

/**
 * Builds one instruction (BPF_STMT / BPF_JUMP in C). Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
export function bpfInstruction(code: number, k = 0, jt = 0, jf = 0): BpfInstruction {
  return { code, jt, jf, k: k >>> 0 };
}

// ---------------------------------------------------------------------------
// The assembler (bpf_asm syntax, Documentation/networking/filter.rst).

const ALU_OPS: Record<string, number> = {
  add: BPF.ADD!,
  sub: BPF.SUB!,
  mul: BPF.MUL!,
  div: BPF.DIV!,
  mod: BPF.MOD!,
  and: BPF.AND!,
  or: BPF.OR!,
  xor: BPF.XOR!,
  lsh: BPF.LSH!,
  rsh: BPF.RSH!,
};
/** Conditional jumps: opcode and whether the branches swap (jne = jeq with true/false exchanged). */
const JUMPS: Record<string, [number, boolean]> = {
  jeq: [BPF.JEQ!, false],
  jne: [BPF.JEQ!, true],
  jneq: [BPF.JEQ!, true],
  jgt: [BPF.JGT!, false],
  jle: [BPF.JGT!, true],
  jge: [BPF.JGE!, false],
  jlt: [BPF.JGE!, true],
  jset: [BPF.JSET!, false],
};
const SIZES: Record<string, number> = { ld: BPF.W!, ldh: BPF.H!, ldb: BPF.B!, ldi: BPF.W! };
/** Ancillary loads by bpf_asm keyword: `ld proto`, `ld ifidx` ... */
const ANCILLARY: Record<string, number | undefined> = {
  proto: BPF.SKF_AD_PROTOCOL,
  type: BPF.SKF_AD_PKTTYPE,
  ifidx: BPF.SKF_AD_IFINDEX,
  mark: BPF.SKF_AD_MARK,
  vlan_tci: BPF.SKF_AD_VLAN_TAG,
  vlan_avail: BPF.SKF_AD_VLAN_TAG_PRESENT,
};

function parseNumber(text: string, line: number): number {
  const t = text.trim();
  const neg = t.startsWith("-");
  const body = neg ? t.slice(1) : t;
  if (!/^(0x[0-9a-f]+|0b[01]+|0[0-7]*|[1-9][0-9]*)$/i.test(body)) {
    throw bpfError(`bpf line ${line}: expected a number, got ${JSON.stringify(text)}`);
  }
  const v = /^0[0-7]+$/.test(body) ? parseInt(body, 8) : Number(body);
  const n = neg ? -v : v;
  if (n < -0x80000000 || n > U32) throw bpfError(`bpf line ${line}: ${text} does not fit 32 bits`);
  return n >>> 0;
}

/** Parses a memory operand: `[k]`, `[x + k]`, `[x]`. */
function memOperand(op: string, line: number): { ind: boolean; k: number } | undefined {
  const m = /^\[\s*(?:(x)\s*(?:\+\s*(.+?))?|(.+?))\s*\]$/i.exec(op);
  if (!m) return undefined;
  if (m[1]) return { ind: true, k: m[2] ? parseNumber(m[2], line) : 0 };
  return { ind: false, k: parseNumber(m[3]!, line) };
}

/**
 * Assembles bpf_asm text into instructions. One instruction per line, an
 * optional `label:` before it; `;` or `//` start a comment. Supported: `ld`,
 * `ldh`, `ldb` with `#k`, `[k]`, `[x + k]`, `M[k]`, `#len`, or an ancillary
 * keyword (`proto`, `type`, `ifidx`, `mark`, `vlan_tci`, `vlan_avail`); `ldx`/`ldxb` with
 * `#k`, `M[k]`, `#len`, `4*([k]&0xf)`; `st`/`stx M[k]`; ALU ops (`add`,
 * `sub`, `mul`, `div`, `mod`, `and`, `or`, `xor`, `lsh`, `rsh` with `#k` or
 * `x`, and `neg`); `ja L`; `jeq`/`jne`/`jgt`/`jge`/`jlt`/`jle`/`jset` with
 * `#k` or `x` and one (true; false falls through) or two labels; `ret #k`,
 * `ret a`, `ret x`; `tax`, `txa`. Numbers are decimal, 0x hex, 0b binary or
 * 0 octal. Jumps go forward only, as the kernel requires. Does not
 * correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws TypeError ERR_INVALID_ARG_VALUE naming the line for a syntax error,
 *   an unknown label, a backward jump or one longer than 255 instructions.
 */
export function assemble(text: string): BpfInstruction[] {
  if (typeof text !== "string") throw codedError("ERR_INVALID_ARG_TYPE", "bpf program text must be a string");
  interface Pending {
    line: number;
    code: number;
    k: number;
    jt?: string;
    jf?: string;
    ja?: string;
  }
  const out: Pending[] = [];
  const labels = new Map<string, number>();
  text.split("\n").forEach((rawLine, i) => {
    const line = i + 1;
    let s = rawLine.replace(/(;|\/\/).*$/, "").trim();
    const lab = /^([A-Za-z_.][\w.]*)\s*:\s*/.exec(s);
    if (lab) {
      if (labels.has(lab[1]!)) throw bpfError(`bpf line ${line}: label ${lab[1]} defined twice`);
      labels.set(lab[1]!, out.length);
      s = s.slice(lab[0].length);
    }
    if (!s) return;
    const sp = s.search(/\s/);
    const op = (sp === -1 ? s : s.slice(0, sp)).toLowerCase();
    const args =
      sp === -1
        ? []
        : s
            .slice(sp)
            .split(",")
            .map((a) => a.trim());
    const arg = args[0] ?? "";
    const bad = (): never => {
      throw bpfError(`bpf line ${line}: cannot assemble ${JSON.stringify(rawLine.trim())}`);
    };
    const push = (p: Omit<Pending, "line">): void => void out.push({ line, ...p });
    if (op in SIZES) {
      const size = SIZES[op]!;
      if (/^#len$/i.test(arg) && op === "ld") return push({ code: BPF.LD! | BPF.W! | BPF.LEN!, k: 0 });
      if (arg.startsWith("#")) return push({ code: BPF.LD! | BPF.IMM!, k: parseNumber(arg.slice(1), line) });
      const mem = /^M\[(.+)\]$/i.exec(arg);
      if (mem) return push({ code: BPF.LD! | BPF.MEM!, k: parseNumber(mem[1]!, line) });
      const anc = ANCILLARY[arg.toLowerCase()];
      if (anc !== undefined) return push({ code: BPF.LD! | size | BPF.ABS!, k: (AD_OFF + anc) >>> 0 });
      const m = memOperand(arg, line);
      if (!m) return bad();
      return push({ code: BPF.LD! | size | (m.ind ? BPF.IND! : BPF.ABS!), k: m.k });
    }
    if (op === "ldx" || op === "ldxi" || op === "ldxb") {
      const msh = /^4\s*\*\s*\(\s*\[(.+)\]\s*&\s*0xf\s*\)$/i.exec(arg);
      if (msh) return push({ code: BPF.LDX! | BPF.B! | BPF.MSH!, k: parseNumber(msh[1]!, line) });
      if (/^#len$/i.test(arg)) return push({ code: BPF.LDX! | BPF.W! | BPF.LEN!, k: 0 });
      if (arg.startsWith("#")) return push({ code: BPF.LDX! | BPF.IMM!, k: parseNumber(arg.slice(1), line) });
      const mem = /^M\[(.+)\]$/i.exec(arg);
      if (mem) return push({ code: BPF.LDX! | BPF.MEM!, k: parseNumber(mem[1]!, line) });
      return bad();
    }
    if (op === "st" || op === "stx") {
      const mem = /^M\[(.+)\]$/i.exec(arg);
      if (!mem) return bad();
      return push({ code: op === "st" ? BPF.ST! : BPF.STX!, k: parseNumber(mem[1]!, line) });
    }
    if (op in ALU_OPS) {
      const src = /^x$/i.test(arg) ? BPF.X! : BPF.K!;
      if (src === BPF.K && !arg.startsWith("#")) return bad();
      return push({ code: BPF.ALU! | ALU_OPS[op]! | src, k: src === BPF.K ? parseNumber(arg.slice(1), line) : 0 });
    }
    if (op === "neg") return push({ code: BPF.ALU! | BPF.NEG!, k: 0 });
    if (op === "tax") return push({ code: BPF.MISC! | BPF.TAX!, k: 0 });
    if (op === "txa") return push({ code: BPF.MISC! | BPF.TXA!, k: 0 });
    if (op === "ja" || op === "jmp") {
      if (!arg) return bad();
      return push({ code: BPF.JMP! | BPF.JA!, k: 0, ja: arg });
    }
    if (op in JUMPS) {
      const [jop, swap] = JUMPS[op]!;
      if (args.length < 2 || args.length > 3) return bad();
      const src = /^x$/i.test(arg) ? BPF.X! : BPF.K!;
      if (src === BPF.K && !arg.startsWith("#")) return bad();
      const k = src === BPF.K ? parseNumber(arg.slice(1), line) : 0;
      const t = args[1]!;
      const f = args[2];
      return push({
        code: BPF.JMP! | jop | src,
        k,
        ...(swap ? { jf: t, ...(f !== undefined ? { jt: f } : {}) } : { jt: t, ...(f !== undefined ? { jf: f } : {}) }),
      });
    }
    if (op === "ret") {
      if (/^a$/i.test(arg)) return push({ code: BPF.RET! | BPF.A!, k: 0 });
      if (/^x$/i.test(arg)) return push({ code: BPF.RET! | BPF.X!, k: 0 });
      if (!arg.startsWith("#")) return bad();
      return push({ code: BPF.RET! | BPF.K!, k: parseNumber(arg.slice(1), line) });
    }
    return bad();
  });
  return out.map((p, i) => {
    const target = (label: string | undefined, max: number): number => {
      if (label === undefined) return 0;
      const at = labels.get(label);
      if (at === undefined) throw bpfError(`bpf line ${p.line}: unknown label ${label}`);
      const off = at - i - 1;
      if (off < 0) throw bpfError(`bpf line ${p.line}: jump to ${label} goes backward`);
      if (off > max) throw bpfError(`bpf line ${p.line}: jump to ${label} is ${off} instructions, over ${max}`);
      return off;
    };
    if (p.ja !== undefined) return bpfInstruction(p.code, target(p.ja, U32));
    return bpfInstruction(p.code, p.k, target(p.jt, 255), target(p.jf, 255));
  });
}

/**
 * Normalizes and checks a program: instructions, `[code, jt, jf, k]` tuples
 * or bpf_asm text. Checks what the kernel's sk_chk_filter would refuse
 * cheaply: 1..BPF_MAXINSNS instructions, field ranges, jumps inside the
 * program, and a last instruction that returns. Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE, RangeError ERR_OUT_OF_RANGE.
 */
export function toProgram(program: BpfProgramLike): BpfInstruction[] {
  const insns =
    typeof program === "string"
      ? assemble(program)
      : Array.isArray(program)
        ? (program as BpfProgramLike[number][]).map((x, i) => instruction(x, i))
        : (() => {
            throw codedError("ERR_INVALID_ARG_TYPE", "a BPF program must be an array of instructions or bpf_asm text");
          })();
  if (insns.length === 0 || insns.length > BPF.MAXINSNS) {
    throw codedError("ERR_OUT_OF_RANGE", `a BPF program has 1..${BPF.MAXINSNS} instructions, got ${insns.length}`);
  }
  insns.forEach((ins, i) => {
    const cls = ins.code & 0x07;
    if (cls === BPF.JMP) {
      const far = (ins.code & 0xf0) === BPF.JA ? ins.k : Math.max(ins.jt, ins.jf);
      if (i + 1 + far >= insns.length) throw bpfError(`bpf instruction ${i} jumps past the end of the program`);
    }
  });
  if ((insns[insns.length - 1]!.code & 0x07) !== BPF.RET) {
    throw bpfError("a BPF program must end with a ret instruction");
  }
  return insns;
}

function instruction(x: unknown, i: number): BpfInstruction {
  let code: unknown, jt: unknown, jf: unknown, k: unknown;
  if (Array.isArray(x)) [code, jt, jf, k] = x as unknown[];
  else if (typeof x === "object" && x !== null) ({ code, jt, jf, k } = x as Record<string, unknown>);
  else throw codedError("ERR_INVALID_ARG_TYPE", `bpf instruction ${i} must be { code, jt, jf, k } or a tuple`);
  const field = (v: unknown, what: string, max: number, min = 0): number => {
    if (typeof v !== "number" || !Number.isInteger(v)) {
      throw codedError(
        "ERR_INVALID_ARG_TYPE",
        `bpf instruction ${i}: ${what} must be an integer, got ${raw.describe(v)}`,
      );
    }
    if (v < min || v > max)
      throw codedError("ERR_OUT_OF_RANGE", `bpf instruction ${i}: ${what} must be in ${min}..${max}, got ${v}`);
    return v;
  };
  return {
    code: field(code, "code", 0xffff),
    jt: field(jt ?? 0, "jt", 0xff),
    jf: field(jf ?? 0, "jf", 0xff),
    k: field(k ?? 0, "k", U32, -0x80000000) >>> 0,
  };
}

/**
 * Lays out instructions as an array of struct sock_filter (host byte order). Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
export function encodeProgram(program: BpfProgramLike): Buffer {
  const insns = toProgram(program);
  const b = Buffer.alloc(insns.length * SF.size);
  insns.forEach((ins, i) => {
    const o = i * SF.size;
    writeU16(b, o + SF.code!, ins.code);
    writeU32(b, o + SF.k!, ins.k);
    b[o + SF.jt!] = ins.jt;
    b[o + SF.jf!] = ins.jf;
  });
  return b;
}

/**
 * Formats a program as tcpdump -dd does: one `{ 0x28, 0, 0, 0x0000000c },` line per instruction.
 * Does not correspond to a syscall.
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
export function formatProgram(program: BpfProgramLike): string {
  return toProgram(program)
    .map(
      (i) => `{ 0x${i.code.toString(16).padStart(2, "0")}, ${i.jt}, ${i.jf}, 0x${i.k.toString(16).padStart(8, "0")} },`,
    )
    .join("\n");
}

// ---------------------------------------------------------------------------
// Attaching.

/**
 * Attaches a classic BPF program to a socket, so the kernel drops what it
 * rejects before it is queued — a packet socket then receives only matching
 * frames. Wraps `setsockopt(2)` with SO_ATTACH_FILTER (a struct sock_fprog
 * built in C, since it holds a pointer).
 *
 * Notes: packets already queued before the filter was attached stay queued;
 * drain them if that matters (as libpcap does).
 *
 * @see https://man7.org/linux/man-pages/man7/socket.7.html
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws SocketError EINVAL (the kernel's checker refused the program),
 *   ENOMEM, EPERM (SO_LOCK_FILTER set); TypeError/RangeError ERR_* for a
 *   malformed program, at once; ERR_SOCKET_CLOSED for a closed socket.
 */
export function attachFilter(socket: Socket | number, program: BpfProgramLike): void {
  const fd = typeof socket === "number" ? raw.checkFd(socket, "setsockopt") : socket.fd;
  const buf = encodeProgram(program);
  raw.setsockoptFilter(fd, SOL.SOCKET, SO.ATTACH_FILTER!, buf, buf.length / SF.size, {
    level: "SOL_SOCKET",
    option: "SO_ATTACH_FILTER",
  });
}

/**
 * Removes the filter attached to a socket. Wraps `setsockopt(2)` with SO_DETACH_FILTER.
 *
 * @see https://man7.org/linux/man-pages/man7/socket.7.html
 * @throws SocketError ENOENT when no filter is attached, EPERM when it is locked.
 */
export function detachFilter(socket: Socket | number): void {
  const fd = typeof socket === "number" ? raw.checkFd(socket, "setsockopt") : socket.fd;
  raw.setsockopt(fd, SOL.SOCKET, SO.DETACH_FILTER!, Buffer.alloc(4), {
    level: "SOL_SOCKET",
    option: "SO_DETACH_FILTER",
  });
}

// ---------------------------------------------------------------------------
// Ready filters.

/**
 * The return value that accepts a whole packet (as tcpdump's default snaplen).
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 */
export const ACCEPT_ALL = 262144;

// ---------------------------------------------------------------------------
// An interpreter, for tests and for checking a program against sample packets.

/** What {@link runFilter} needs besides the program. */
export interface FilterInput {
  /** The packet as the socket sees it (from the link header on SOCK_RAW, the network header on SOCK_DGRAM). */
  data: Uint8Array;
  /** skb->protocol, the EtherType (`ld proto`); default 0. */
  protocol?: number;
  /** Where the network header starts in `data` (SKF_NET_OFF); default 0. */
  networkOffset?: number;
  /** Where the link header starts in `data` (SKF_LL_OFF); default 0. */
  linkOffset?: number;
  /**
   * The VLAN TCI the kernel moved out of the frame into skb metadata
   * (SKF_AD_VLAN_TAG), or undefined for none (SKF_AD_VLAN_TAG_PRESENT 0).
   */
  vlanTci?: number;
  /**
   * Called when a load reads past the end of `data` (the kernel then drops
   * the packet: the program returns 0), with the offset it tried — to tell
   * a drop by the program's logic from one by a short packet.
   */
  onTruncated?: (offset: number) => void;
}

/**
 * Runs a classic BPF program over one packet as the kernel would and returns
 * what it returns: 0 drops the packet, anything else is the number of bytes
 * kept. A load past the end returns 0, as in the kernel. Supports the
 * instructions {@link assemble} emits and the ancillary loads of protocol,
 * VLAN tag and presence, packet length and SKF_NET_OFF / SKF_LL_OFF. Does not correspond to a syscall.
 *
 * @see https://man7.org/linux/man-pages/man7/packet.7.html
 * @throws TypeError/RangeError ERR_* for a malformed program.
 */
export function runFilter(program: BpfProgramLike, input: FilterInput): number {
  const insns = toProgram(program);
  const data = input.data;
  const net = input.networkOffset ?? 0;
  const ll = input.linkOffset ?? 0;
  const mem = new Uint32Array(BPF.MEMWORDS!);
  let a = 0;
  let x = 0;
  const load = (k: number, size: number): number | undefined => {
    let off = k | 0;
    if (off < 0) {
      if (off >= AD_OFF && off < 0) {
        const which = off - AD_OFF;
        if (which === BPF.SKF_AD_PROTOCOL) return input.protocol ?? 0;
        if (which === BPF.SKF_AD_VLAN_TAG) return input.vlanTci ?? 0;
        if (which === BPF.SKF_AD_VLAN_TAG_PRESENT) return input.vlanTci === undefined ? 0 : 1;
        return 0;
      }
      if (off >= NET && off < NET + 0x100000) off = net + (off - NET);
      else if (off >= BPF.SKF_LL_OFF! && off < NET) off = ll + (off - BPF.SKF_LL_OFF!);
      else return undefined;
    }
    if (off < 0 || off + size > data.byteLength) {
      input.onTruncated?.(off);
      return undefined;
    }
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + data[off + i]!;
    return v >>> 0;
  };
  const sizeOf = (code: number): number => ((code & 0x18) === BPF.H ? 2 : (code & 0x18) === BPF.B ? 1 : 4);
  for (let pc = 0; pc < insns.length; pc++) {
    const { code, jt, jf, k } = insns[pc]!;
    const cls = code & 0x07;
    const mode = code & 0xe0;
    if (cls === BPF.LD || cls === BPF.LDX) {
      let v: number | undefined;
      if (mode === BPF.IMM) v = k;
      else if (mode === BPF.LEN) v = data.byteLength;
      else if (mode === BPF.MEM) v = mem[k & 0xf];
      else if (mode === BPF.ABS) v = load(k, sizeOf(code));
      else if (mode === BPF.IND) v = load((x + k) | 0, sizeOf(code));
      else if (mode === BPF.MSH) {
        const byte = load(k, 1);
        v = byte === undefined ? undefined : (byte & 0xf) * 4;
      }
      if (v === undefined) return 0;
      if (cls === BPF.LD) a = v >>> 0;
      else x = v >>> 0;
    } else if (cls === BPF.ST) mem[k & 0xf] = a;
    else if (cls === BPF.STX) mem[k & 0xf] = x;
    else if (cls === BPF.ALU) {
      const op = code & 0xf0;
      const b = (code & 0x08) === BPF.X ? x : k;
      if ((op === BPF.DIV || op === BPF.MOD) && b === 0) return 0;
      if (op === BPF.ADD) a = (a + b) >>> 0;
      else if (op === BPF.SUB) a = (a - b) >>> 0;
      else if (op === BPF.MUL) a = Number((BigInt(a) * BigInt(b)) & 0xffffffffn);
      else if (op === BPF.DIV) a = Math.floor(a / b) >>> 0;
      else if (op === BPF.MOD) a = (a % b) >>> 0;
      else if (op === BPF.AND) a = (a & b) >>> 0;
      else if (op === BPF.OR) a = (a | b) >>> 0;
      else if (op === BPF.XOR) a = (a ^ b) >>> 0;
      else if (op === BPF.LSH) a = b >= 32 ? 0 : (a << b) >>> 0;
      else if (op === BPF.RSH) a = b >= 32 ? 0 : a >>> b;
      else if (op === BPF.NEG) a = -a >>> 0;
    } else if (cls === BPF.JMP) {
      const op = code & 0xf0;
      if (op === BPF.JA) {
        pc += k;
        continue;
      }
      const b = (code & 0x08) === BPF.X ? x : k;
      const cond = op === BPF.JEQ ? a === b : op === BPF.JGT ? a > b : op === BPF.JGE ? a >= b : (a & b) !== 0;
      pc += cond ? jt : jf;
    } else if (cls === BPF.RET) {
      const src = code & 0x18;
      return src === BPF.A ? a : src === BPF.X ? x : k;
    } else if (cls === BPF.MISC) {
      if ((code & 0xf8) === BPF.TXA) a = x;
      else x = a;
    }
  }
  return 0;
}
