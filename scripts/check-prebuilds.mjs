#!/usr/bin/env node
// "prepack": refuses to pack a tarball without every prebuilt addon, or with
// one older than the C sources it was built from (a stale binary would ship
// behaviour the source no longer has). `npm run prebuild` makes them.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const required = [
  "prebuilds/linux-x64/sockit.glibc.node",
  "prebuilds/linux-x64/sockit.musl.node",
  "prebuilds/linux-arm64/sockit.glibc.node",
  "prebuilds/linux-arm64/sockit.musl.node",
];
const sources = ["binding.gyp", ...readdirSync(join(root, "native")).map((f) => `native/${f}`)];
const newestSource = Math.max(...sources.map((f) => statSync(join(root, f)).mtimeMs));

const problems = [];
for (const f of required) {
  const p = join(root, f);
  if (!existsSync(p)) problems.push(`${f} is missing`);
  else if (statSync(p).mtimeMs < newestSource) problems.push(`${f} is older than the C sources`);
}
if (problems.length > 0) {
  console.error(
    `prepack: ${problems.join("; ")}.\nRun \`npm run prebuild\` first (see scripts/prebuild.mjs for the toolchains).`,
  );
  process.exit(1);
}
