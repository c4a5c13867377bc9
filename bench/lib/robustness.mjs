// Runs bench/workers/robust.mjs (receiver and sender, two processes) and
// turns the two JSON lines into one line for the report. Correctness, not
// speed: it passes when every datagram arrived once, intact, and nothing
// crashed. Not a test: figures and outcomes go to the bench output only.
import fs from "node:fs";
import path from "node:path";
import { BENCH_DIR } from "./impls.mjs";
import { Proc } from "./proc.mjs";

export async function robustness(tmp, opts) {
  const n = opts.quick ? 12_000 : 30_000;
  const sock = path.join(tmp, "robust.s");
  const script = path.join(BENCH_DIR, "workers", "robust.mjs");
  const receiver = new Proc("robust receiver", [process.execPath, script, "receiver", sock, String(n)]);
  let sender;
  const title = `robustness (sockit, unix-dgram, queue of ${readQlen()}, ${n} datagrams: bursts, re-entrant sends from completions, stalled receiver)`;
  try {
    await receiver.readLine(20_000);
    sender = new Proc("robust sender", [process.execPath, script, "sender", sock, String(n)]);
    const s = JSON.parse(await sender.readLine(60_000));
    const r = JSON.parse(await receiver.readLine(15_000));
    const errors = Object.entries(s.errors ?? {});
    const ok = r.received === n && r.duplicated === 0 && r.corrupt === 0 && s.sent === n && errors.length === 0;
    const parts = [
      `${r.received}/${n} delivered`,
      `${r.lost} lost`,
      `${r.duplicated} duplicated`,
      `${r.corrupt} corrupt`,
      r.reordered ? `${r.reordered} out of call order` : "in call order",
      errors.length ? `send errors ${errors.map(([k, v]) => `${k}×${v}`).join(", ")}` : "no send errors",
      `${s.secs.toFixed(2)} s`,
    ];
    return { ok, sender: s, receiver: r, line: `${title}: ${ok ? "OK" : "FAILED"} — ${parts.join(", ")}` };
  } catch (e) {
    return { ok: false, line: `${title}: FAILED — ${String(e.message ?? e).slice(0, 300)}` };
  } finally {
    await Promise.all([sender?.end(), receiver.end()]);
  }
}

function readQlen() {
  try {
    return Number(fs.readFileSync("/proc/sys/net/unix/max_dgram_qlen", "utf8"));
  } catch {
    return "?";
  }
}
