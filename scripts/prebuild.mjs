#!/usr/bin/env node
// Builds the prebuilt addons that the npm tarball ships, with prebuildify
// (--napi: one Node-API binary serves every Node/Deno/Bun version; --tag-libc:
// the file name carries glibc/musl so node-gyp-build picks the right one):
//
//   prebuilds/linux-x64/sockit.glibc.node    gcc
//   prebuilds/linux-x64/sockit.musl.node     musl-gcc (Debian: musl-tools)
//   prebuilds/linux-arm64/sockit.glibc.node  aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu)
//   prebuilds/linux-arm64/sockit.musl.node   aarch64-linux-gnu-gcc with musl's specs
//                                            (musl-dev:arm64, dpkg --add-architecture arm64)
//
// Usage: npm run prebuild [-- TARGET...]   (TARGET: linux-x64-glibc, linux-x64-musl, ...)
// Each target builds in a staging copy of binding.gyp + native/ so the dev
// build in build/Release is left alone. binding.gyp's -Wall -Wextra -Werror
// apply to every target. Node's headers come from the running Node's install
// (npm_config_nodedir): nothing is downloaded.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Kernel UAPI headers (linux/, asm/, asm-generic/) for musl builds, whose specs drop /usr/include. */
const kernelHeaders = {
  x64: {
    linux: "/usr/include/linux",
    "asm-generic": "/usr/include/asm-generic",
    asm: "/usr/include/x86_64-linux-gnu/asm",
  },
  arm64: {
    linux: "/usr/aarch64-linux-gnu/include/linux",
    "asm-generic": "/usr/aarch64-linux-gnu/include/asm-generic",
    asm: "/usr/aarch64-linux-gnu/include/asm",
  },
};

const targets = {
  "linux-x64-glibc": { arch: "x64", libc: "glibc", cc: ["gcc"], strip: "strip", apt: ["gcc", "make"] },
  "linux-x64-musl": {
    arch: "x64",
    libc: "musl",
    cc: ["gcc", "-specs", "/usr/lib/x86_64-linux-musl/musl-gcc.specs"],
    strip: "strip",
    apt: ["musl-tools"],
  },
  "linux-arm64-glibc": {
    arch: "arm64",
    libc: "glibc",
    cc: ["aarch64-linux-gnu-gcc"],
    strip: "aarch64-linux-gnu-strip",
    apt: ["gcc-aarch64-linux-gnu"],
  },
  "linux-arm64-musl": {
    arch: "arm64",
    libc: "musl",
    cc: ["aarch64-linux-gnu-gcc", "-specs", "/usr/lib/aarch64-linux-musl/musl-gcc.specs"],
    strip: "aarch64-linux-gnu-strip",
    apt: ["gcc-aarch64-linux-gnu", "musl-dev:arm64 (after dpkg --add-architecture arm64 && apt-get update)"],
  },
};

function onPath(cmd) {
  return spawnSync("sh", ["-c", `command -v "$1"`, "sh", cmd], { stdio: "ignore" }).status === 0;
}

/** What the target's toolchain lacks on this machine (empty when it can build). */
function missing(t) {
  const out = [];
  if (!onPath(t.cc[0])) out.push(t.cc[0]);
  if (t.cc[2] && !existsSync(t.cc[2])) out.push(t.cc[2]);
  if (!onPath(t.strip)) out.push(t.strip);
  if (!onPath("make")) out.push("make");
  if (t.libc === "musl") for (const dir of Object.values(kernelHeaders[t.arch])) if (!existsSync(dir)) out.push(dir);
  return out;
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  const bundled = join(
    dirname(process.execPath),
    "..",
    "lib",
    "node_modules",
    "npm",
    "node_modules",
    "node-gyp",
    "bin",
    "node-gyp.js",
  );
  if (existsSync(bundled)) return bundled;
  return "node-gyp";
}

/** The running Node's own headers (include/node/node_api.h), so node-gyp downloads nothing. */
function nodeDir() {
  const prefix = join(dirname(process.execPath), "..");
  if (existsSync(join(prefix, "include", "node", "node_api.h"))) return prefix;
  throw new Error(`prebuild: no Node headers under ${prefix}/include/node; install Node with its headers`);
}

function build(name, t, stage) {
  // A wrapper script stands for "the compiler": gyp's Makefile splits $(CC) on
  // spaces in some rules and not others, so flags can't ride in CC itself.
  const ccWrapper = join(stage, `cc-${name}`);
  const extra = [];
  if (t.libc === "glibc") extra.push("-include", join(root, "scripts", "glibc-floor.h"));
  if (t.libc === "musl") {
    const inc = join(stage, `kernel-${t.arch}`);
    mkdirSync(inc, { recursive: true });
    for (const [link, target] of Object.entries(kernelHeaders[t.arch])) symlinkSync(target, join(inc, link));
    extra.push("-idirafter", inc);
  }
  writeFileSync(
    ccWrapper,
    `#!/bin/sh\nexec ${t.cc.map((a) => `'${a}'`).join(" ")} "$@" ${extra.map((a) => `'${a}'`).join(" ")}\n`,
    {
      mode: 0o755,
    },
  );
  const src = join(stage, `src-${name}`);
  mkdirSync(src);
  cpSync(join(root, "binding.gyp"), join(src, "binding.gyp"));
  cpSync(join(root, "native"), join(src, "native"), { recursive: true });
  writeFileSync(join(src, "package.json"), JSON.stringify({ name: "sockit" }));
  const args = [
    join(root, "node_modules", "prebuildify", "bin.js"),
    "--napi",
    "--strip",
    `--target=node@${process.versions.node}`,
    `--arch=${t.arch}`,
    `--libc=${t.libc}`,
    "--tag-libc",
    `--strip-bin=${t.strip}`,
    `--node-gyp=${nodeGyp()}`,
    `--cwd=${src}`,
    `--out=${root}`,
  ];
  const env = {
    ...process.env,
    CC: ccWrapper,
    CXX: ccWrapper,
    LINK: ccWrapper,
    npm_config_nodedir: nodeDir(),
    // Quiet npm's own "verbose"/progress noise that node-gyp inherits.
    npm_config_loglevel: "warn",
  };
  const r = spawnSync(process.execPath, args, { stdio: "inherit", env });
  if (r.status !== 0) throw new Error(`prebuild ${name}: prebuildify exited with ${r.status}`);
}

const wanted = process.argv.slice(2);
for (const w of wanted)
  if (!(w in targets)) throw new Error(`prebuild: unknown target ${w}; known: ${Object.keys(targets).join(", ")}`);
const names = wanted.length > 0 ? wanted : Object.keys(targets);
const stage = mkdtempSync(join(tmpdir(), "sockit-prebuild-"));
const failed = [];
try {
  for (const name of names) {
    const t = targets[name];
    const lacks = missing(t);
    if (lacks.length > 0) {
      console.error(
        `prebuild ${name}: cannot build, missing ${lacks.join(", ")}. Debian: apt-get install -y ${t.apt.join(" ")}`,
      );
      failed.push(name);
      continue;
    }
    console.error(`== prebuild ${name}`);
    build(name, t, stage);
  }
} finally {
  rmSync(stage, { recursive: true, force: true });
}
if (failed.length > 0) {
  console.error(`prebuild: not built: ${failed.join(", ")}`);
  process.exit(1);
}
