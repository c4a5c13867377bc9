/**
 * `npm run soak`: the fault-and-load scenarios, each in its own process (they
 * change the fd limit, hold 10,000 connections, churn for a while), one after
 * the other. Loopback and Unix sockets only; bounded loops; a few minutes in
 * all. Each prints its figure; the run fails if any scenario's checks fail.
 * Not part of `npm test`. Needs prlimit (util-linux) and python3.
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const all = ["fd-exhaustion", "peer-death", "close-waiting", "conn10k", "dgram1m", "churn"];
const only = process.argv.slice(2);
const scenarios = only.length > 0 ? all.filter((s) => only.includes(s)) : all;
const results: { name: string; code: number | null; seconds: number; figure: string }[] = [];

for (const name of scenarios) {
  const t0 = performance.now();
  console.log(`== ${name}`);
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", join(here, `${name}.ts`)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    process.stdout.write(
      d
        .split("\n")
        .filter((l) => !l.startsWith("{"))
        .join("\n"),
    );
  });
  const code = await new Promise<number | null>((r) => child.once("close", r));
  const figure = out.split("\n").find((l) => l.startsWith(`${name}:`)) ?? "(no figure)";
  results.push({ name, code, seconds: Math.round(performance.now() - t0) / 1000, figure });
}

console.log("\n== soak summary");
for (const r of results) console.log(`${r.code === 0 ? "ok  " : "FAIL"} ${r.name} (${r.seconds} s)`);
process.exitCode = results.every((r) => r.code === 0) ? 0 : 1;
