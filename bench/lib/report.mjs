// Turns measured rows into what people read: the text table, the JSON file
// and one hand-written SVG bar chart per workload. No dependencies.
import fs from "node:fs";
import path from "node:path";
import { IMPLS, PEERS, WORKLOADS } from "./impls.mjs";

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Formats a figure in its unit: 52.3k, 1.23M, 3.21, 4.1. */
export function fmt(v, unit) {
  if (v == null || !Number.isFinite(v)) return "—";
  if (unit === "GB/s") return v.toFixed(2);
  if (unit === "KiB/socket" || unit === "µs/RTT") return v.toFixed(1);
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return v.toFixed(0);
}

const ratio = (x) => (x == null || !Number.isFinite(x) ? "—" : `${x.toFixed(2)}×`);
const pct = (x) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;

/**
 * Adds medians and the two ratios to every row of one case (same workload,
 * transport and mode). The reference is Node's built-in where it has the
 * transport, else the best npm peer (by median); C is the physical limit.
 * Ratios are plain quotients value/reference: above 1 is faster for rates,
 * and for W5 memory (lower is better) above 1 means more memory.
 */
export function summarise(rows) {
  const ok = rows.filter((r) => r.samples.length > 0);
  for (const r of ok) {
    r.median = median(r.samples);
    r.min = Math.min(...r.samples);
    r.max = Math.max(...r.samples);
    if (r.loss?.length) r.lossMedian = median(r.loss);
    if (r.clientKiB?.length) r.clientKiBMedian = median(r.clientKiB);
  }
  const lower = WORKLOADS[rows[0]?.workload]?.lowerIsBetter;
  const refImpl = WORKLOADS[rows[0]?.workload]?.ref ?? "node";
  let ref = ok.find((r) => r.impl === refImpl);
  if (!ref) {
    const peers = ok.filter((r) => PEERS.includes(r.impl));
    peers.sort((a, b) => (lower ? a.median - b.median : b.median - a.median));
    ref = peers[0];
  }
  const c = ok.find((r) => r.impl === "c");
  for (const r of ok) {
    r.ref = ref ? { impl: ref.impl, ratio: r.median / ref.median } : null;
    // C's process memory per socket is ~0 (the kernel's socket memory is not
    // in any process's RSS), so a memory ratio to C says nothing.
    r.vsC = c && !lower ? r.median / c.median : null;
  }
  return rows;
}

function pad(s, n, right = false) {
  s = String(s);
  const len = [...s].length;
  return len >= n ? s : right ? " ".repeat(n - len) + s : s + " ".repeat(n - len);
}

/** The text table for all results, one block per workload and mode. */
export function table(results) {
  const out = [];
  const blocks = new Map();
  for (const r of results) {
    const key = `${r.workload}|${r.mode}`;
    if (!blocks.has(key)) blocks.set(key, []);
    blocks.get(key).push(r);
  }
  for (const [key, rows] of blocks) {
    const [w, mode] = key.split("|");
    const spec = WORKLOADS[w];
    const sec = spec.secondary;
    out.push("");
    out.push(`${spec.title}${mode ? ` — ${mode}` : ""}${spec.lowerIsBetter ? "  (lower is better)" : ""}`);
    const head = [
      pad("transport", 15),
      pad("impl", 17),
      pad(spec.unit, 11, true),
      ...(sec ? [pad(sec.unit, 8, true)] : []),
      pad("min–max", 17, true),
      pad("× ref", 22, true),
      pad("× C", 7, true),
      "  notes",
    ];
    out.push(head.join(" "));
    let last = "";
    for (const r of rows) {
      const t = r.transport === last ? "" : r.transport;
      last = r.transport;
      if (!r.samples.length) {
        out.push(`${pad(t, 15)} ${pad(r.impl, 17)} ${r.error ?? "no result"}`);
        continue;
      }
      const notes = [];
      if (r.lossMedian != null && (r.transport === "udp" || r.lossMedian > 0)) notes.push(`loss ${pct(r.lossMedian)}`);
      if (r.clientKiBMedian != null) notes.push(`client ${fmt(r.clientKiBMedian, "KiB/socket")} KiB/socket`);
      // The sockit W2 sender batches (sendBatch): say how, beside the figure.
      if (r.impl === "sockit" && r.workload === "W2" && process.env.SOCKIT_SEND !== "single")
        notes.push(
          ["tcp", "tcp6", "unix-stream"].includes(r.transport)
            ? "sendBatch: writev of 64"
            : "sendBatch: sendmmsg of 64",
        );
      if (r.error) notes.push(`(some rounds failed: ${r.error.slice(0, 80)})`);
      out.push(
        [
          pad(t, 15),
          pad(r.impl, 17),
          pad(fmt(r.median, spec.unit), 11, true),
          ...(sec ? [pad(fmt(sec.of(r.median), sec.unit), 8, true)] : []),
          pad(`${fmt(r.min, spec.unit)}–${fmt(r.max, spec.unit)}`, 17, true),
          pad(r.ref ? `${ratio(r.ref.ratio)} ${r.ref.impl}` : "—", 22, true),
          pad(ratio(r.vsC), 7, true),
          notes.length ? `  ${notes.join("; ")}` : "",
        ].join(" "),
      );
    }
  }
  return out.join("\n");
}

const COLORS = {
  sockit: "#d6336c",
  node: "#228be6",
  "unix-dgram": "#f59f00",
  "node-unix-socket": "#e8590c",
  "raw-socket": "#fab005",
  c: "#495057",
  python: "#37b24d",
  socat: "#7048e8",
  "socat-b256k": "#9775fa",
};

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * One horizontal bar chart for one workload: a group per transport (and
 * mode), a bar per implementation at its median, a whisker from min to max.
 */
export function svg(workload, rows, machine) {
  const spec = WORKLOADS[workload];
  const groups = new Map();
  for (const r of rows) {
    const key = r.mode ? `${r.transport} · ${r.mode}` : r.transport;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  const W = 900;
  const left = 170;
  const right = 200;
  const bar = 16;
  const gap = 4;
  const groupGap = 14;
  const top = 58;
  let height = top;
  for (const g of groups.values()) height += 20 + g.length * (bar + gap) + groupGap;
  height += 24;
  const max = Math.max(1e-9, ...rows.filter((r) => r.samples.length).map((r) => r.max));
  const x = (v) => left + ((W - left - right) * v) / max;
  const parts = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${height}" fill="#fff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">${esc(spec.title)}</text>`,
    `<text x="16" y="44" fill="#666">${esc(`${spec.unit}${spec.lowerIsBetter ? " (lower is better)" : " (higher is better)"}, median of rounds, whisker min–max · ${machine.cores} cores, ${machine.kernel}, Node ${machine.node}, ${machine.date.slice(0, 10)}, load ${machine.loadavg[0]}`)}</text>`,
  );
  let y = top;
  for (const [label, g] of groups) {
    parts.push(`<text x="16" y="${y + 14}" font-weight="600">${esc(label)}</text>`);
    y += 20;
    for (const r of g) {
      const cy = y + bar / 2;
      parts.push(`<text x="${left - 8}" y="${cy + 4}" text-anchor="end">${esc(r.impl)}</text>`);
      if (r.samples.length) {
        const color = COLORS[r.impl] ?? "#868e96";
        parts.push(
          `<rect x="${left}" y="${y}" width="${Math.max(1, x(r.median) - left).toFixed(1)}" height="${bar}" fill="${color}" rx="2"/>`,
          `<line x1="${x(r.min).toFixed(1)}" x2="${x(r.max).toFixed(1)}" y1="${cy}" y2="${cy}" stroke="#000" stroke-opacity="0.55"/>`,
          `<line x1="${x(r.min).toFixed(1)}" x2="${x(r.min).toFixed(1)}" y1="${cy - 4}" y2="${cy + 4}" stroke="#000" stroke-opacity="0.55"/>`,
          `<line x1="${x(r.max).toFixed(1)}" x2="${x(r.max).toFixed(1)}" y1="${cy - 4}" y2="${cy + 4}" stroke="#000" stroke-opacity="0.55"/>`,
        );
        const note = spec.secondary
          ? ` (${fmt(spec.secondary.of(r.median), spec.secondary.unit)} ${spec.secondary.unit})`
          : "";
        parts.push(
          `<text x="${(x(r.max) + 6).toFixed(1)}" y="${cy + 4}">${esc(`${fmt(r.median, spec.unit)}${note}`)}</text>`,
        );
      } else {
        parts.push(`<text x="${left + 4}" y="${cy + 4}" fill="#999">${esc(r.error ?? "no result")}</text>`);
      }
      y += bar + gap;
    }
    y += groupGap;
  }
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/** Writes results/latest.json, latest.txt (the printed report) and W*.svg; returns the paths. */
export function writeOutputs(dir, doc, text) {
  fs.mkdirSync(dir, { recursive: true });
  const written = [];
  const json = path.join(dir, "latest.json");
  fs.writeFileSync(json, JSON.stringify(doc, null, 2) + "\n");
  written.push(json);
  const txt = path.join(dir, "latest.txt");
  fs.writeFileSync(txt, text);
  written.push(txt);
  for (const w of Object.keys(WORKLOADS)) {
    const rows = doc.results.filter((r) => r.workload === w);
    const file = path.join(dir, `${w}.svg`);
    if (!rows.length) {
      fs.rmSync(file, { force: true }); // a chart from an earlier run would not match latest.json
      continue;
    }
    fs.writeFileSync(file, svg(w, rows, doc.machine));
    written.push(file);
  }
  return written;
}

export const KINDS = Object.fromEntries(Object.entries(IMPLS).map(([k, v]) => [k, v.kind]));
