/**
 * Lays a predicate tree out as a classic BPF program. Each node is emitted
 * once, in order, with the places its outcome continues to (continuation
 * passing: `a and b` sends a's false to the and's false, a's true to b), so
 * every jump goes forward, as the kernel requires. Conditional jump offsets
 * are 8 bits: a branch that lands more than 255 instructions on goes to an
 * unconditional `ja` (32-bit offset) placed right after the jump — a
 * trampoline; offsets are recomputed until every jump fits.
 *
 * @see https://www.kernel.org/doc/html/latest/networking/filter.html
 */
import { BPF } from "../constants.js";
import type { BpfInstruction } from "../bpf.js";
import type { Pred } from "./codegen.js";

/** A place in the program: a label id. */
type Label = number;

type Item =
  | { kind: "stmt"; ins: BpfInstruction }
  | { kind: "cond"; code: number; k: number; t: Label; f: Label }
  | { kind: "ja"; to: Label }
  | { kind: "label"; id: Label };

/**
 * Lays out `pred` as a program returning `accept` for packets it holds for
 * and 0 for the rest, after the `prologue` statements. Does not correspond to a syscall.
 */
export function layoutProgram(pred: Pred, accept: number, prologue: BpfInstruction[] = []): BpfInstruction[] {
  const items: Item[] = prologue.map((ins) => ({ kind: "stmt", ins }));
  let labels = 0;
  const ACCEPT = labels++;
  const REJECT = labels++;
  const emit = (p: Pred, t: Label, f: Label): void => {
    switch (p.t) {
      case "const":
        items.push({ kind: "ja", to: p.v ? t : f });
        return;
      case "not":
        emit(p.a, f, t);
        return;
      case "do":
        for (const ins of p.stmts) items.push({ kind: "stmt", ins });
        emit(p.then, t, f);
        return;
      case "and": {
        const mid = labels++;
        emit(p.a, mid, f);
        items.push({ kind: "label", id: mid });
        emit(p.b, t, f);
        return;
      }
      case "or": {
        const mid = labels++;
        emit(p.a, t, mid);
        items.push({ kind: "label", id: mid });
        emit(p.b, t, f);
        return;
      }
      case "leaf":
        for (const ins of p.stmts) items.push({ kind: "stmt", ins });
        items.push({ kind: "cond", code: BPF.JMP! | p.op | (p.x ? BPF.X! : BPF.K!), k: p.k, t, f });
    }
  };
  emit(pred, ACCEPT, REJECT);
  items.push({ kind: "label", id: ACCEPT });
  items.push({ kind: "stmt", ins: { code: BPF.RET! | BPF.K!, jt: 0, jf: 0, k: accept >>> 0 } });
  items.push({ kind: "label", id: REJECT });
  items.push({ kind: "stmt", ins: { code: BPF.RET! | BPF.K!, jt: 0, jf: 0, k: 0 } });

  // Which branches of which conditional jumps need a trampoline; grows until every jump fits.
  const farT = new Set<number>();
  const farF = new Set<number>();
  for (;;) {
    const at = new Map<Label, number>();
    const pos: number[] = [];
    let n = 0;
    items.forEach((it, i) => {
      pos[i] = n;
      if (it.kind === "label") at.set(it.id, n);
      else if (it.kind === "cond") n += 1 + (farT.has(i) ? 1 : 0) + (farF.has(i) ? 1 : 0);
      else if (it.kind === "ja") n += jaNeeded(i) ? 1 : 0;
      else n += 1;
    });
    // A ja to the very next instruction is dropped (recomputed each round: it depends on layout only through labels).
    function jaNeeded(i: number): boolean {
      const it = items[i] as Extract<Item, { kind: "ja" }>;
      for (let j = i + 1; j < items.length; j++) {
        const nx = items[j]!;
        if (nx.kind !== "label") return true;
        if (nx.id === it.to) return false;
      }
      return true;
    }
    let changed = false;
    const out: BpfInstruction[] = [];
    items.forEach((it, i) => {
      if (it.kind === "label") return;
      if (it.kind === "stmt") {
        out.push(it.ins);
        return;
      }
      if (it.kind === "ja") {
        if (!jaNeeded(i)) return;
        out.push({ code: BPF.JMP! | BPF.JA!, jt: 0, jf: 0, k: at.get(it.to)! - (pos[i]! + 1) });
        return;
      }
      const next = pos[i]! + 1;
      const tramps: BpfInstruction[] = [];
      const branch = (label: Label, far: Set<number>): number => {
        const target = at.get(label)!;
        if (far.has(i)) {
          const slot = next + tramps.length;
          tramps.push({ code: BPF.JMP! | BPF.JA!, jt: 0, jf: 0, k: target - (slot + 1) });
          return slot - next;
        }
        const off = target - next;
        if (off > 255) {
          far.add(i);
          changed = true;
        }
        return off;
      };
      const jt = branch(it.t, farT);
      const jf = branch(it.f, farF);
      out.push({ code: it.code, jt, jf, k: it.k }, ...tramps);
    });
    if (!changed) return out;
  }
}
