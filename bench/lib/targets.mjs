// The goals of issue 7, checked against one run's medians. Each goal is a
// ratio of sockit's median to another implementation's median in the same
// case; a goal whose rows are missing (filtered out, not built, failed) is
// listed as "not measured", never as met.

const BULK_NET = ["tcp", "tcp6", "unix-stream"];
const W1_ALL = ["tcp", "tcp6", "udp", "unix-stream", "unix-dgram", "unix-seqpacket", "icmp"];

/** [workload, mode, transport, other impl, comparison, bound, subject (default sockit)] */
const GOALS = [
  ...W1_ALL.map((t) => ["W1", "same core", t, "c", ">=", 0.75]),
  ...["tcp", "tcp6", "udp", "unix-stream"].map((t) => ["W1", "same core", t, "node", ">=", 1.2]),
  ["W1", "same core", "unix-dgram", "unix-dgram", ">=", 1.2],
  ["W1", "same core", "unix-dgram", "node-unix-socket", ">=", 2],
  ["W1", "same core", "unix-seqpacket", "node-unix-socket", ">=", 2],
  // ICMP echo over a raw socket: Node has none, raw-socket is the reference.
  ["W1", "same core", "icmp", "raw-socket", ">=", 1.2],
  ...["udp", "unix-dgram", "unix-seqpacket"].map((t) => ["W2", "across cores", t, "c", ">=", 1.0]),
  ["W2", "across cores", "unix-dgram", "unix-dgram", ">=", 3],
  ["W2", "across cores", "unix-dgram", "node-unix-socket", ">=", 3],
  ["W2", "across cores", "unix-seqpacket", "node-unix-socket", ">=", 3],
  ["W2", "across cores", "unix-stream", "node", ">=", 1.3],
  ["W3", "across cores", "unix-stream", "node", ">=", 1.5],
  ["W3", "across cores", "unix-stream", "c", ">=", 0.9],
  ["W3", "across cores", "tcp", "node", ">=", 1.0],
  ["W3", "across cores", "tcp", "c", ">=", 0.9],
  ["W3", "across cores", "tcp6", "node", ">=", 1.0],
  ["W3", "across cores", "tcp6", "c", ">=", 0.9],
  // After toNetSocket() the bytes take Node's own path: equal to Node's net
  // within the run's noise (±10%).
  ...BULK_NET.map((t) => ["W3", "across cores", t, "node", ">=", 0.9, "sockit-net"]),
  // Issue 18: the event face (DatagramSocket) against the npm peers on their
  // own turf, both peers (so the best of them), on one core and across cores.
  ...["same core", "across cores"].flatMap((mode) => [
    ["W1", mode, "unix-dgram", "unix-dgram", ">=", 1.3, "sockit-event"],
    ["W1", mode, "unix-dgram", "node-unix-socket", ">=", 1.3, "sockit-event"],
    ["W1", mode, "unix-seqpacket", "node-unix-socket", ">=", 1.3, "sockit-event"],
  ]),
  ["W2", "across cores", "unix-dgram", "node-unix-socket", ">=", 1.5, "sockit-event"],
  ["W4", "across cores", "tcp", "node", ">=", 1.0],
  ["W4", "across cores", "unix-stream", "node", ">=", 1.0],
  ["W5", "", "tcp", "node", "<=", 1.0],
  ["W5", "", "unix-stream", "node", "<=", 1.0],
  // The CLI relay (issue 6): sockit relay ≥ 2× socat (default buffer).
  ["W6", "", "tcp", "socat", ">=", 2],
  ["W6", "", "unix-stream", "socat", ">=", 2],
];

/** Returns { lines, met, missed, unmeasured } for the results of one run. */
export function checkTargets(results) {
  const find = (w, mode, t, impl) =>
    results.find(
      (r) => r.workload === w && r.mode === mode && r.transport === t && r.impl === impl && r.samples.length,
    );
  const lines = [];
  let met = 0;
  let missed = 0;
  let unmeasured = 0;
  for (const [w, mode, t, other, cmp, bound, subject = "sockit"] of GOALS) {
    const label = `${w} ${t}${mode === "same core" ? " (same core)" : ""}: ${subject} ${cmp === ">=" ? "≥" : "≤"} ${bound}× ${other}`;
    const a = find(w, mode, t, subject);
    const b = find(w, mode, t, other);
    if (!a || !b) {
      unmeasured++;
      continue;
    }
    const ratio = a.median / b.median;
    const ok = cmp === ">=" ? ratio >= bound : ratio <= bound;
    if (ok) met++;
    else missed++;
    lines.push(`  ${ok ? "met   " : "MISSED"} ${label}: ${ratio.toFixed(2)}×`);
  }
  return { lines, met, missed, unmeasured };
}
