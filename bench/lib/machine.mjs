// What the figures were measured on: stated with every run, stored in the JSON.
import fs from "node:fs";
import os from "node:os";

function read(file) {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
}

export function describeMachine(versions) {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cores: cpus.length,
    cpu: cpus[0]?.model?.trim() ?? "unknown",
    kernel: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    maxDgramQlen: Number(read("/proc/sys/net/unix/max_dgram_qlen")) || null,
    ...versions,
  };
}

export function machineLine(m) {
  const parts = [`${m.date.slice(0, 16).replace("T", " ")} UTC`, `${m.cores} × ${m.cpu}`, m.kernel, `Node ${m.node}`];
  if (m.sockit) parts.push(`sockit ${m.sockit.split(" (")[0]}`);
  if (m.python) parts.push(`Python ${m.python}`);
  if (m.cc) parts.push(m.cc);
  if (m.socat) parts.push(`socat ${m.socat}`);
  parts.push(`load ${m.loadavg.join(" ")}`);
  return parts.join(" · ");
}
