#!/usr/bin/env node
// sockit's "install" script. In an installed package it keeps the prebuilt
// addon when one loads here (the same loader the library uses decides, in a
// child process) and compiles only when none does. In a source checkout (a
// .git beside package.json) it always compiles, so the dev addon matches the
// source; node-gyp-build then prefers build/Release over prebuilds/.
//
// When it has to compile and can't, it says in a few lines what is missing and
// what to do, instead of node-gyp's page of output.
//
// Env: npm_config_build_from_source=true (npm ... --build-from-source) or
// SOCKIT_BUILD_FROM_SOURCE=1 compile even when a prebuild loads.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { arch, platform } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const checkout = existsSync(join(root, ".git"));
const forced = process.env.npm_config_build_from_source === "true" || process.env.SOCKIT_BUILD_FROM_SOURCE === "1";

/** Tries the library's own loader in a child; returns its error text, or "" when the addon loads. */
function prebuildLoads() {
  const loader = join(root, "dist", "src", "raw", "native.js");
  if (!existsSync(loader)) return `${loader} is missing`;
  const r = spawnSync(process.execPath, ["-e", `import(${JSON.stringify(pathToFileURL(loader).href)})`], {
    encoding: "utf8",
    env: { ...process.env, SOCKIT_ADDON: "" },
  });
  if (r.status === 0) return "";
  const first = /sockit: [^\n]*/.exec(r.stderr ?? "");
  return first ? first[0] : (r.stderr ?? "").trim().split("\n")[0] || `exit ${r.status}`;
}

function onPath(cmd) {
  if (cmd.includes("/")) return existsSync(cmd);
  return (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, cmd)));
}

/** The tools node-gyp needs that this machine lacks: python3 (gyp), make, a C compiler, and c++ (links the addon). */
function missingTools() {
  const first = (v) => (v ?? "").trim().split(/\s+/)[0];
  const out = [];
  const python = process.env.npm_config_python || process.env.PYTHON;
  if (!(python ? onPath(python) : onPath("python3") || onPath("python"))) out.push("python3");
  if (!onPath("make")) out.push("make");
  if (!onPath(first(process.env.CC) || "cc")) out.push(first(process.env.CC) || "cc");
  if (!onPath(first(process.env.CXX) || "c++")) out.push(first(process.env.CXX) || "c++");
  return out;
}

function nodeGyp() {
  // npm (and pnpm, yarn) put a node-gyp on PATH for install scripts, and npm
  // names its own in npm_config_node_gyp.
  const js = process.env.npm_config_node_gyp;
  if (js && existsSync(js)) return [process.execPath, [js, "rebuild"]];
  return ["node-gyp", ["rebuild"]];
}

if (!checkout && !forced) {
  const why = prebuildLoads();
  if (why === "") process.exit(0);
  console.error(`sockit: no prebuilt addon loads on ${platform()}-${arch()} (${why}); compiling from source.`);
}

const lacks = missingTools();
if (lacks.length > 0) {
  console.error(
    [
      `sockit: cannot compile the native addon: ${lacks.join(", ")} not found on PATH.`,
      `  sockit ships prebuilt addons for linux-x64 and linux-arm64 (glibc and musl); other targets compile at install.`,
      `  Install a toolchain, then reinstall (npm rebuild sockit):`,
      `    Debian/Ubuntu: apt-get install -y build-essential python3`,
      `    Alpine:        apk add build-base python3`,
      `    Fedora/RHEL:   dnf install -y gcc gcc-c++ make python3`,
    ].join("\n"),
  );
  process.exit(1);
}

const [cmd, args] = nodeGyp();
const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
if (r.error) {
  console.error(
    `sockit: could not run node-gyp (${r.error.message}); install it (npm i -g node-gyp) and run npm rebuild sockit.`,
  );
  process.exit(1);
}
process.exit(r.status ?? 1);
